//! Share snapshots: immutable copies of one branch of a conversation, with visibility, expiry,
//! revocation and a viewer log.
//!
//! A snapshot copies the branch (title, and each message's role, status, content, model and
//! time) when it is created; nothing refers back to the source, so later edits, continuations,
//! regenerations or deleting the conversation never change what was shared.
//!
//! Who sees what:
//! - `tenant`: every active member of the tenant, signed in; `users`: the listed members and the
//!   owner; `link`: anyone with the link's 256-bit token, signed out — only while the tenant
//!   allows public links (checked on every read, so turning links off applies at once).
//! - Every refusal to read (unknown, other tenant, not listed, revoked, expired, links off,
//!   tenant disabled) is the same `not_found`.
//! - A link's token is looked up by its SHA-256 digest. With a master key configured, the token
//!   is also kept sealed under it so the owner can copy the link again; without one it is shown
//!   once, at creation.

mod entities;
mod store;

use crate::audit::{self, Actor, NewEntry, action};
use crate::auth::secrets;
use crate::crypto::Keyring;
use crate::domain::TenantScope;
use crate::domain::{ConversationId, MessageId, MessageRole, MessageStatus, Status, TenantId, UserId};
use crate::error::{AppError, AppResult};
use crate::store::{self as db, Store};
use chrono::{DateTime, Utc};
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// A share snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShareId(pub Uuid);

impl std::fmt::Display for ShareId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Who may read a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every active member of the tenant, signed in.
    Tenant,
    /// The listed members of the tenant (and the owner).
    Users,
    /// Anyone with the link, signed out; only while the tenant allows public links.
    Link,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Tenant => "tenant",
            Visibility::Users => "users",
            Visibility::Link => "link",
        }
    }

    fn from_db(raw: &str) -> Self {
        match raw {
            "tenant" => Visibility::Tenant,
            "link" => Visibility::Link,
            // The narrowest reading of anything unexpected.
            _ => Visibility::Users,
        }
    }
}

/// Where a share is in its life, for filtering lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareState {
    Active,
    Revoked,
    Expired,
}

/// A share's metadata (not its contents).
#[derive(Debug, Clone)]
pub struct Share {
    pub id: ShareId,
    pub tenant_id: TenantId,
    pub owner_id: UserId,
    /// For its owner's reference; the conversation may since have been deleted.
    pub source_conversation_id: Option<ConversationId>,
    pub title: String,
    pub visibility: Visibility,
    pub has_link: bool,
    sealed_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Share {
    pub fn state(&self, at: DateTime<Utc>) -> ShareState {
        if self.revoked_at.is_some() {
            ShareState::Revoked
        } else if self.expires_at.is_some_and(|e| e <= at) {
            ShareState::Expired
        } else {
            ShareState::Active
        }
    }
}

/// A share with what its owner and the tenant's admins may see about it.
#[derive(Debug, Clone)]
pub struct ShareDetail {
    pub share: Share,
    pub recipients: Vec<UserId>,
    pub message_count: u64,
    pub view_count: u64,
    /// The link's token: at creation, and later for its owner when it can be recovered (a
    /// master key is configured and the share is still live).
    pub token: Option<String>,
}

/// One copied message.
#[derive(Debug, Clone)]
pub struct SnapshotMessage {
    /// 0 for the root of the branch.
    pub position: u32,
    pub role: MessageRole,
    pub status: MessageStatus,
    pub content: String,
    pub model: Option<String>,
    /// When the original message was written.
    pub created_at: DateTime<Utc>,
    /// What files the message carried: names only, the files stay their owner's.
    pub files: Vec<SharedFile>,
}

/// A file a shared message carried, as the snapshot names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SharedFile {
    pub name: String,
    pub media_type: String,
    pub kind: String,
    pub size_bytes: u64,
}

/// What a reader sees: the copy and nothing outside it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub title: String,
    pub shared_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The sharer's display name; only for signed-in readers of the same tenant.
    pub shared_by: Option<String>,
    pub messages: Vec<SnapshotMessage>,
}

/// One read of a snapshot.
#[derive(Debug, Clone)]
pub struct View {
    pub id: Uuid,
    /// `None` for an anonymous read through a link.
    pub viewer: Option<UserId>,
    pub viewer_name: Option<String>,
    pub viewed_at: DateTime<Utc>,
}

/// A tenant's sharing settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Whether link shares (readable signed out) may be created and read. Off by default.
    pub links_allowed: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What a new share asks for, as received.
pub struct NewShare<'a> {
    pub leaf: Option<MessageId>,
    pub visibility: Visibility,
    pub user_ids: Option<&'a [Uuid]>,
    /// Recipients by e-mail address (members cannot list the tenant's users to find ids).
    pub user_emails: Option<&'a [String]>,
    pub expires_at: Option<DateTime<Utc>>,
    pub title: Option<&'a str>,
}

/// Whose shares a caller may manage: their own, or (tenant admins, proven by the
/// `tenant_shares:manage` permission) every share of the tenant.
#[derive(Debug, Clone, Copy)]
pub enum Manager {
    Owner(TenantScope),
    TenantAdmin(TenantScope),
}

impl Manager {
    fn scope(&self) -> &TenantScope {
        match self {
            Manager::Owner(s) | Manager::TenantAdmin(s) => s,
        }
    }

    /// The owner filter repositories apply: the caller, unless a tenant admin.
    fn owner_filter(&self) -> Option<UserId> {
        match self {
            Manager::Owner(s) => Some(s.user),
            Manager::TenantAdmin(_) => None,
        }
    }
}

/// The longest a share may be given to live.
pub const MAX_EXPIRY_DAYS: i64 = 365;
/// The most users one share may list.
pub const MAX_RECIPIENTS: usize = 200;

pub struct ShareService {
    store: Store,
    /// Seals link tokens so their owner can copy them again; `None` without a master key.
    master_key: Option<Keyring>,
}

fn not_found() -> AppError {
    AppError::NotFound("snapshot")
}

/// A page of the shares `owner` created (newest first, before `before`), each with its
/// recipients and copied messages, as the user's data export writes them (no link token: it is
/// a credential, and the owner can copy it from the app).
pub async fn export_page(
    conn: &impl db::Conn,
    tenant: TenantId,
    owner: UserId,
    before: Option<ShareId>,
    limit: u64,
) -> AppResult<Vec<(ShareId, serde_json::Value)>> {
    let mut out = Vec::new();
    for share in store::list(conn, tenant, Some(owner), None, before, limit).await? {
        let recipients = store::recipients(conn, tenant, share.id).await?;
        let messages: Vec<serde_json::Value> = store::messages(conn, tenant, share.id)
            .await?
            .into_iter()
            .map(|m| {
                serde_json::json!({
                    "position": m.position,
                    "role": m.role.as_str(),
                    "status": m.status.as_str(),
                    "content": m.content,
                    "model": m.model,
                    "created_at": m.created_at,
                    "files": m.files,
                })
            })
            .collect();
        let state = match share.state(db::now()) {
            ShareState::Active => "active",
            ShareState::Revoked => "revoked",
            ShareState::Expired => "expired",
        };
        out.push((
            share.id,
            serde_json::json!({
                "id": share.id.0,
                "title": share.title,
                "visibility": share.visibility.as_str(),
                "state": state,
                "has_link": share.has_link,
                "source_conversation_id": share.source_conversation_id.map(|c| c.0),
                "recipients": recipients.iter().map(|u| u.0).collect::<Vec<_>>(),
                "expires_at": share.expires_at,
                "revoked_at": share.revoked_at,
                "created_at": share.created_at,
                "messages": messages,
            }),
        ));
    }
    Ok(out)
}

pub(crate) fn token_context(tenant: TenantId, share: ShareId) -> String {
    format!("share-link:{tenant}:{share}")
}

impl ShareService {
    pub fn new(store: Store, master_key: Option<Keyring>) -> Self {
        Self { store, master_key }
    }

    /// The ids of the active members of the caller's tenant with these addresses. An unknown
    /// address and a non-member get the same answer, so this reveals nothing beyond the tenant.
    async fn recipients_by_email(&self, scope: &TenantScope, emails: &[String]) -> AppResult<Vec<Uuid>> {
        if emails.len() > MAX_RECIPIENTS {
            return Err(AppError::Validation {
                field: "user_emails",
                reason: format!("may list at most {MAX_RECIPIENTS} users"),
            });
        }
        let conn = self.store.conn();
        let mut out = Vec::with_capacity(emails.len());
        for raw in emails {
            let not_member = || AppError::Validation {
                field: "user_emails",
                reason: format!("{} is not an active member of this tenant", raw.trim()),
            };
            let email = crate::domain::Email::parse(raw).map_err(|_| not_member())?;
            let user = db::users::find_by_email(conn, &email).await?.ok_or_else(not_member)?;
            let member = db::memberships::member(conn, scope.tenant, user.id).await?;
            if !member.is_some_and(|m| m.status == Status::Active && m.user.status == Status::Active) {
                return Err(not_member());
            }
            out.push(user.id.0);
        }
        Ok(out)
    }

    /// Snapshots a branch of one of the caller's conversations.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, conversation = %conversation))]
    pub async fn create(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        conversation: ConversationId,
        new: NewShare<'_>,
    ) -> AppResult<ShareDetail> {
        let title = new.title.map(|t| crate::domain::display_name("title", t, 200)).transpose()?;
        let expires_at = validate_expiry(new.expires_at, db::now())?;
        let mut ids: Vec<Uuid> = new.user_ids.map(<[Uuid]>::to_vec).unwrap_or_default();
        ids.extend(self.recipients_by_email(scope, new.user_emails.unwrap_or_default()).await?);
        let requested = validate_recipients(new.visibility, Some(&ids), scope.user)?;

        let txn = self.store.begin().await?;
        let source = db::conversations::get(&*txn, scope.tenant, scope.user, conversation)
            .await?
            .ok_or(AppError::NotFound("conversation"))?;
        let leaf = match new.leaf {
            Some(leaf) => {
                let message = db::messages::get(&*txn, scope.tenant, leaf).await?;
                if message.is_none_or(|m| m.conversation_id != conversation) {
                    return Err(AppError::Validation {
                        field: "leaf_message_id",
                        reason: "is not a message of this conversation".into(),
                    });
                }
                leaf
            }
            None => source
                .active_leaf_id
                .ok_or_else(|| AppError::Conflict("this conversation has no messages to share yet".into()))?,
        };
        let all = db::messages::of_conversation(&*txn, scope.tenant, conversation).await?;
        let branch = crate::chat::context::path_to(&all, Some(leaf));
        if branch.is_empty() {
            return Err(AppError::Internal(format!("branch to {leaf} is empty")));
        }
        // Only finished text is shared: a snapshot of an answer still being written would be
        // a truncated copy that never catches up.
        if branch.iter().any(|m| !m.status.is_terminal()) {
            return Err(AppError::Conflict(
                "an answer on this branch is still being written; share it once it has finished".into(),
            ));
        }
        for user in &requested {
            let member = db::memberships::member(&*txn, scope.tenant, *user).await?;
            if !member.is_some_and(|m| m.status == Status::Active && m.user.status == Status::Active) {
                return Err(AppError::Validation {
                    field: "user_ids",
                    reason: format!("{user} is not an active member of this tenant"),
                });
            }
        }
        if new.visibility == Visibility::Link && !store::settings(&*txn, scope.tenant).await?.links_allowed {
            return Err(AppError::Forbidden(
                "public links are turned off in this tenant; a tenant admin must enable them \
                 (PUT /v1/tenant/sharing) before link shares can be created"
                    .into(),
            ));
        }

        let id = ShareId(Uuid::now_v7());
        let token = (new.visibility == Visibility::Link).then(secrets::random_token);
        let token_sealed = match (&token, &self.master_key) {
            (Some(token), Some(key)) => {
                Some(key.encrypt(token, &token_context(scope.tenant, id)).map_err(AppError::Internal)?)
            }
            _ => None,
        };
        let share = store::insert(
            &*txn,
            store::NewShareRow {
                id,
                tenant: scope.tenant,
                owner: scope.user,
                source_conversation: conversation,
                title: title.as_deref().unwrap_or(&source.title),
                visibility: new.visibility,
                token_hash: token.as_deref().map(secrets::digest),
                token_sealed,
                expires_at,
            },
        )
        .await?;
        let parts = db::files::parts_of_conversation(&*txn, scope.tenant, conversation).await?;
        store::insert_messages(&*txn, scope.tenant, id, &branch, &parts).await?;
        let recipients: Vec<UserId> = requested.into_iter().collect();
        store::insert_recipients(&*txn, scope.tenant, id, &recipients).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::SHARE_CREATED).target("share", id).details(
                serde_json::json!({
                    "visibility": new.visibility.as_str(),
                    "conversation_id": conversation.0,
                    "leaf_message_id": leaf.0,
                    "messages": branch.len(),
                    "recipients": recipients.iter().map(|u| u.0).collect::<Vec<_>>(),
                    "expires_at": expires_at,
                }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(ShareDetail { share, recipients, message_count: branch.len() as u64, view_count: 0, token })
    }

    /// An owner's shares, or a tenant admin's view of the tenant's (narrowed to `owner`'s when
    /// given), newest first.
    pub async fn list(
        &self,
        manager: Manager,
        owner: Option<UserId>,
        state: Option<ShareState>,
        before: Option<ShareId>,
        limit: u64,
    ) -> AppResult<Vec<Share>> {
        let owner = manager.owner_filter().or(owner);
        store::list(self.store.conn(), manager.scope().tenant, owner, state, before, limit).await
    }

    async fn managed(&self, conn: &impl db::Conn, manager: &Manager, id: ShareId) -> AppResult<Share> {
        store::get(conn, manager.scope().tenant, manager.owner_filter(), id).await?.ok_or(AppError::NotFound("share"))
    }

    /// One share's metadata, recipients and counts (owner or tenant admin).
    pub async fn get(&self, manager: Manager, id: ShareId) -> AppResult<ShareDetail> {
        let conn = self.store.conn();
        let share = self.managed(conn, &manager, id).await?;
        let tenant = manager.scope().tenant;
        let token = if share.owner_id == manager.scope().user { self.recover_token(&share) } else { None };
        Ok(ShareDetail {
            recipients: store::recipients(conn, tenant, id).await?,
            message_count: store::message_count(conn, tenant, id).await?,
            view_count: store::view_count(conn, tenant, id).await?,
            token,
            share,
        })
    }

    /// The link of a live link share, when sealed under the master key.
    pub fn recover_token(&self, share: &Share) -> Option<String> {
        if share.state(db::now()) != ShareState::Active {
            return None;
        }
        let (sealed, key) = (share.sealed_token.as_deref()?, self.master_key.as_ref()?);
        match key.decrypt(sealed, &token_context(share.tenant_id, share.id)) {
            Ok(token) => Some(token),
            Err(e) => {
                tracing::warn!(share = %share.id, error = %e, "a share link cannot be recovered");
                None
            }
        }
    }

    /// Revokes a share (owner or tenant admin). Revoking a revoked share changes nothing.
    #[tracing::instrument(skip_all, fields(tenant = %manager.scope().tenant, share = %id))]
    pub async fn revoke(&self, manager: Manager, actor: &Actor, id: ShareId) -> AppResult<()> {
        let scope = *manager.scope();
        let txn = self.store.begin().await?;
        let share = self.managed(&*txn, &manager, id).await?;
        if store::revoke(&*txn, scope.tenant, manager.owner_filter(), id, scope.user).await? {
            audit::record(
                &*txn,
                NewEntry::new(Some(scope.tenant), actor, action::SHARE_REVOKED).target("share", id).details(
                    serde_json::json!({ "owner_id": share.owner_id.0, "by_owner": share.owner_id == scope.user }),
                ),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Who read a share, newest first (owner or tenant admin).
    pub async fn views(
        &self,
        manager: Manager,
        id: ShareId,
        before: Option<Uuid>,
        limit: u64,
    ) -> AppResult<(Vec<View>, u64)> {
        let conn = self.store.conn();
        let tenant = manager.scope().tenant;
        self.managed(conn, &manager, id).await?;
        let mut views = store::views(conn, tenant, id, before, limit).await?;
        let mut names: HashMap<UserId, Option<String>> = HashMap::new();
        for view in &mut views {
            if let Some(viewer) = view.viewer {
                if let Entry::Vacant(slot) = names.entry(viewer) {
                    slot.insert(db::memberships::member(conn, tenant, viewer).await?.map(|m| m.user.display_name));
                }
                view.viewer_name = names.get(&viewer).cloned().flatten();
            }
        }
        Ok((views, store::view_count(conn, tenant, id).await?))
    }

    /// A snapshot for a signed-in reader of its tenant, checked against its visibility.
    pub async fn read(&self, scope: &TenantScope, id: ShareId) -> AppResult<Snapshot> {
        let conn = self.store.conn();
        let share = store::readable(conn, scope.tenant, scope.user, id).await?.ok_or_else(not_found)?;
        let owner = db::users::get(conn, share.owner_id).await?;
        let messages = store::messages(conn, scope.tenant, id).await?;
        self.record_view(scope.tenant, id, Some(scope.user)).await?;
        Ok(Snapshot {
            title: share.title,
            shared_at: share.created_at,
            expires_at: share.expires_at,
            shared_by: owner.map(|o| o.display_name),
            messages,
        })
    }

    /// A link share for anyone holding its token, signed out.
    pub async fn read_public(&self, token: &str) -> AppResult<Snapshot> {
        // Tokens are 32 random bytes, URL-safe base64 without padding: 43 characters.
        if token.len() != 43 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(not_found());
        }
        let conn = self.store.conn();
        let share = store::live_link(conn, &secrets::digest(token)).await?.ok_or_else(not_found)?;
        let tenant = share.tenant_id;
        if db::tenants::get(conn, tenant).await?.is_none_or(|t| t.status != Status::Active) {
            return Err(not_found());
        }
        if !store::settings(conn, tenant).await?.links_allowed {
            return Err(not_found());
        }
        let messages = store::messages(conn, tenant, share.id).await?;
        self.record_view(tenant, share.id, None).await?;
        Ok(Snapshot {
            title: share.title,
            shared_at: share.created_at,
            expires_at: share.expires_at,
            shared_by: None,
            messages,
        })
    }

    /// A write like any other, so on SQLite it takes its turn in the writers' queue.
    async fn record_view(&self, tenant: TenantId, share: ShareId, viewer: Option<UserId>) -> AppResult<()> {
        let txn = self.store.begin().await?;
        store::record_view(&*txn, tenant, share, viewer).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn settings(&self, scope: &TenantScope) -> AppResult<Settings> {
        store::settings(self.store.conn(), scope.tenant).await
    }

    /// Changes the tenant's sharing settings (tenant admins). A change is audited; a no-op writes nothing.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant))]
    pub async fn set_settings(&self, scope: &TenantScope, actor: &Actor, links_allowed: bool) -> AppResult<Settings> {
        let txn = self.store.begin().await?;
        let before = store::settings(&*txn, scope.tenant).await?;
        if before.links_allowed == links_allowed {
            return Ok(before);
        }
        let after = store::set_settings(&*txn, scope.tenant, links_allowed, scope.user).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::SHARING_SETTINGS_CHANGED)
                .target("tenant", scope.tenant)
                .details(serde_json::json!({ "links_allowed": { "from": before.links_allowed, "to": links_allowed } })),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }
}

fn validate_expiry(expires_at: Option<DateTime<Utc>>, at: DateTime<Utc>) -> AppResult<Option<DateTime<Utc>>> {
    let Some(expires_at) = expires_at else { return Ok(None) };
    if expires_at <= at {
        return Err(AppError::Validation { field: "expires_at", reason: "must be in the future".into() });
    }
    if expires_at > at + chrono::Duration::days(MAX_EXPIRY_DAYS) {
        return Err(AppError::Validation {
            field: "expires_at",
            reason: format!("must be at most {MAX_EXPIRY_DAYS} days from now"),
        });
    }
    // What PostgreSQL keeps, so the value reads back exactly as written.
    Ok(Some(chrono::DurationRound::duration_trunc(expires_at, chrono::Duration::microseconds(1)).unwrap_or(expires_at)))
}

/// The distinct users a `users` share lists (never the owner, who can always read it).
fn validate_recipients(
    visibility: Visibility,
    user_ids: Option<&[Uuid]>,
    owner: UserId,
) -> AppResult<BTreeSet<UserId>> {
    let ids = user_ids.unwrap_or_default();
    if visibility != Visibility::Users {
        if !ids.is_empty() {
            return Err(AppError::Validation { field: "user_ids", reason: "is only for `users` visibility".into() });
        }
        return Ok(BTreeSet::new());
    }
    let users: BTreeSet<UserId> = ids.iter().map(|u| UserId(*u)).filter(|u| *u != owner).collect();
    if users.is_empty() {
        return Err(AppError::Validation {
            field: "user_ids",
            reason: "must list at least one member of the tenant besides you".into(),
        });
    }
    if users.len() > MAX_RECIPIENTS {
        return Err(AppError::Validation {
            field: "user_ids",
            reason: format!("may list at most {MAX_RECIPIENTS} users"),
        });
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_must_be_in_the_future_and_bounded() {
        let at = db::now();
        assert!(validate_expiry(None, at).is_ok_and(|e| e.is_none()));
        assert!(validate_expiry(Some(at), at).is_err());
        assert!(validate_expiry(Some(at - chrono::Duration::seconds(1)), at).is_err());
        assert!(validate_expiry(Some(at + chrono::Duration::days(MAX_EXPIRY_DAYS + 1)), at).is_err());
        assert!(validate_expiry(Some(at + chrono::Duration::hours(1)), at).is_ok_and(|e| e.is_some()));
    }

    #[test]
    fn recipients_only_for_users_visibility() {
        let owner = UserId(Uuid::now_v7());
        let other = Uuid::now_v7();
        assert!(validate_recipients(Visibility::Tenant, Some(&[other]), owner).is_err());
        assert!(validate_recipients(Visibility::Users, None, owner).is_err());
        assert!(validate_recipients(Visibility::Users, Some(&[owner.0]), owner).is_err(), "only the owner");
        let listed = validate_recipients(Visibility::Users, Some(&[other, other, owner.0]), owner);
        assert!(listed.is_ok_and(|l| l.len() == 1), "deduplicated, owner left out");
    }

    #[test]
    fn state_follows_revocation_then_expiry() {
        let at = db::now();
        let share = Share {
            id: ShareId(Uuid::now_v7()),
            tenant_id: TenantId(Uuid::now_v7()),
            owner_id: UserId(Uuid::now_v7()),
            source_conversation_id: None,
            title: "t".into(),
            visibility: Visibility::Tenant,
            has_link: false,
            sealed_token: None,
            expires_at: Some(at - chrono::Duration::seconds(1)),
            revoked_at: None,
            created_at: at,
        };
        assert_eq!(share.state(at), ShareState::Expired);
        assert_eq!(Share { revoked_at: Some(at), ..share.clone() }.state(at), ShareState::Revoked);
        assert_eq!(Share { expires_at: None, ..share }.state(at), ShareState::Active);
    }
}

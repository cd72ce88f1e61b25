//! Share snapshots: create one from a branch, list, inspect and revoke them, read them (signed
//! in, or signed out through a link), their viewer log, and the tenant's sharing settings.
use super::ApiTags;
use super::chat::{RoleView, StatusView};
use super::error::ApiResult;
use super::extract::Auth;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::{ConversationId, MessageId, MessageRole, UserId};
use confab_core::error::AppError;
use confab_core::shares::{
    Manager, NewShare, Settings, Share, ShareDetail, ShareId, ShareState, Snapshot, SnapshotMessage, View, Visibility,
};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct SharesApi;

/// Who may read a share snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ShareVisibility {
    /// Every active member of the tenant, signed in.
    Tenant,
    /// The members listed in `user_ids` (and the owner), signed in.
    Users,
    /// Anyone with the link, signed out — only while the tenant allows public links.
    Link,
}

impl From<ShareVisibility> for Visibility {
    fn from(v: ShareVisibility) -> Self {
        match v {
            ShareVisibility::Tenant => Visibility::Tenant,
            ShareVisibility::Users => Visibility::Users,
            ShareVisibility::Link => Visibility::Link,
        }
    }
}

impl From<Visibility> for ShareVisibility {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Tenant => ShareVisibility::Tenant,
            Visibility::Users => ShareVisibility::Users,
            Visibility::Link => ShareVisibility::Link,
        }
    }
}

/// A share's state: `active`, `revoked` by its owner or an admin, or `expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ShareStatus {
    Active,
    Revoked,
    Expired,
}

impl From<ShareStatus> for ShareState {
    fn from(s: ShareStatus) -> Self {
        match s {
            ShareStatus::Active => ShareState::Active,
            ShareStatus::Revoked => ShareState::Revoked,
            ShareStatus::Expired => ShareState::Expired,
        }
    }
}

impl From<ShareState> for ShareStatus {
    fn from(s: ShareState) -> Self {
        match s {
            ShareState::Active => ShareStatus::Active,
            ShareState::Revoked => ShareStatus::Revoked,
            ShareState::Expired => ShareStatus::Expired,
        }
    }
}

/// A share snapshot of a branch of one of the caller's conversations.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateShare {
    /// The last message of the branch to share; the conversation's active branch when absent.
    #[oai(nullable)]
    pub leaf_message_id: Option<Uuid>,
    /// Who may read it.
    pub visibility: ShareVisibility,
    /// With `users` visibility: the active members of the tenant who may read it.
    #[oai(nullable)]
    pub user_ids: Option<Vec<Uuid>>,
    /// With `users` visibility: the same, by e-mail address (combined with `user_ids`).
    #[oai(nullable)]
    pub user_emails: Option<Vec<String>>,
    /// When it stops being readable; in the future, at most 365 days away. Never, when absent.
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    /// The snapshot's title; the conversation's title when absent.
    #[oai(nullable)]
    pub title: Option<String>,
}

/// The secret link of a `link` share: shown when the share is created, and to its owner.
#[derive(Debug, Object)]
pub struct ShareLink {
    /// The secret that opens the snapshot: `GET /v1/public/snapshots/{token}`.
    pub token: String,
    /// The web chat's page for it, `/s/{token}`.
    pub path: String,
    /// The same page as an absolute URL.
    pub url: String,
}

/// A share snapshot: an immutable copy of a conversation branch and who may read it.
#[derive(Debug, Object)]
pub struct ShareView {
    /// The share's id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Who may read it.
    pub visibility: ShareVisibility,
    /// Its state.
    pub status: ShareStatus,
    /// The user who shared it.
    pub owner_id: Uuid,
    /// The conversation it was copied from (which may since have changed or been deleted).
    #[oai(nullable)]
    pub source_conversation_id: Option<Uuid>,
    /// A link share's link: in the response that creates it and, for its owner, while the share
    /// is live and the installation can recover it (a master key is configured). Otherwise only
    /// `has_link`.
    #[oai(nullable)]
    pub link: Option<ShareLink>,
    /// Whether it has a secret link (`link` visibility).
    pub has_link: bool,
    /// When it stops being readable; null for never.
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked; null while not revoked.
    #[oai(nullable)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was shared.
    pub created_at: DateTime<Utc>,
    /// With `users` visibility: who may read it. Only on a single share.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub user_ids: Option<Vec<Uuid>>,
    /// Only on a single share.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub message_count: Option<u64>,
    /// Only on a single share.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub view_count: Option<u64>,
}

/// A page of share snapshots, newest first.
#[derive(Debug, Object)]
pub struct SharePage {
    /// This page's items.
    pub items: Vec<ShareView>,
    /// Pass it as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// One message of a share snapshot, as it was when shared.
#[derive(Debug, Object)]
pub struct SnapshotMessageView {
    /// 0 for the first message of the branch.
    pub position: u32,
    /// Who wrote it.
    pub role: RoleView,
    /// Its state when shared.
    pub status: StatusView,
    /// Its text (Markdown).
    pub content: String,
    /// For answers: the model that wrote it; null for user messages.
    #[oai(nullable)]
    pub model: Option<String>,
    /// When the original message was written.
    pub created_at: DateTime<Utc>,
    /// The files the message carried, by name (absent when none). Only names are shared: the
    /// files stay their owner's, and readers cannot open them.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub files: Option<Vec<SharedFileView>>,
}

/// A file a shared message carried.
#[derive(Debug, Object)]
pub struct SharedFileView {
    /// Its name when it was attached.
    pub name: String,
    /// Its sniffed media type.
    pub media_type: String,
    /// What it was to the prompt.
    pub kind: crate::api::files::FileKindView,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// A shared branch as it was when shared. Holds nothing outside the copy.
#[derive(Debug, Object)]
pub struct SnapshotView {
    /// The snapshot's title.
    pub title: String,
    /// When it was shared.
    pub shared_at: DateTime<Utc>,
    /// When it stops being readable; null for never.
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    /// The sharer's display name; for signed-in readers only.
    #[oai(nullable, skip_serializing_if_is_none)]
    pub shared_by: Option<String>,
    /// The shared branch, root to leaf.
    pub messages: Vec<SnapshotMessageView>,
}

/// One reading of a share snapshot.
#[derive(Debug, Object)]
pub struct ShareViewEntry {
    /// The entry's id.
    pub id: Uuid,
    /// Null for an anonymous read through a link.
    #[oai(nullable)]
    pub viewer_id: Option<Uuid>,
    /// The viewer's display name, when still a member of the tenant.
    #[oai(nullable)]
    pub viewer_name: Option<String>,
    /// When it was read.
    pub viewed_at: DateTime<Utc>,
}

/// A page of a share's readings, newest first.
#[derive(Debug, Object)]
pub struct ShareViewPage {
    /// This page's items.
    pub items: Vec<ShareViewEntry>,
    /// Every recorded read of the share.
    pub total: u64,
    /// Pass it as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// The tenant's sharing settings.
#[derive(Debug, Object)]
pub struct SharingSettingsView {
    /// Whether link shares (readable signed out) may be created and opened. Off by default.
    pub links_allowed: bool,
    /// Null until a tenant admin first changes the settings.
    #[oai(nullable)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// The tenant's sharing settings.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PutSharingSettings {
    /// Whether link shares (readable signed out) may be created and opened.
    pub links_allowed: bool,
}

#[derive(ApiResponse)]
pub enum ShareCreated {
    #[oai(status = 201)]
    Created(Json<ShareView>),
}

#[derive(ApiResponse)]
pub enum ShareRevoked {
    /// Revoked (or already revoked).
    #[oai(status = 204)]
    NoContent,
}

impl From<Settings> for SharingSettingsView {
    fn from(s: Settings) -> Self {
        Self { links_allowed: s.links_allowed, updated_at: s.updated_at }
    }
}

fn share_view(state: &AppState, share: Share, token: Option<String>) -> ShareView {
    let link = token.map(|token| {
        let path = format!("/s/{token}");
        ShareLink { url: format!("{}{path}", state.config.base_url()), path, token }
    });
    ShareView {
        id: share.id.0,
        status: share.state(Utc::now()).into(),
        title: share.title,
        visibility: share.visibility.into(),
        owner_id: share.owner_id.0,
        source_conversation_id: share.source_conversation_id.map(|c| c.0),
        link,
        has_link: share.has_link,
        expires_at: share.expires_at,
        revoked_at: share.revoked_at,
        created_at: share.created_at,
        user_ids: None,
        message_count: None,
        view_count: None,
    }
}

fn detail_view(state: &AppState, d: ShareDetail) -> ShareView {
    let user_ids = (d.share.visibility == Visibility::Users).then(|| d.recipients.iter().map(|u| u.0).collect());
    ShareView {
        user_ids,
        message_count: Some(d.message_count),
        view_count: Some(d.view_count),
        ..share_view(state, d.share, d.token)
    }
}

fn snapshot_view(s: Snapshot) -> SnapshotView {
    SnapshotView {
        title: s.title,
        shared_at: s.shared_at,
        expires_at: s.expires_at,
        shared_by: s.shared_by,
        messages: s.messages.into_iter().map(message_view).collect(),
    }
}

fn message_view(m: SnapshotMessage) -> SnapshotMessageView {
    SnapshotMessageView {
        position: m.position,
        role: match m.role {
            MessageRole::System => RoleView::System,
            MessageRole::User => RoleView::User,
            MessageRole::Assistant => RoleView::Assistant,
        },
        status: m.status.into(),
        content: m.content,
        model: m.model,
        created_at: m.created_at,
        files: (!m.files.is_empty()).then(|| {
            m.files
                .into_iter()
                .map(|f| SharedFileView {
                    kind: crate::api::files::kind_view(&f.kind),
                    name: f.name,
                    media_type: f.media_type,
                    size_bytes: f.size_bytes,
                })
                .collect()
        }),
    }
}

fn view_entry(v: View) -> ShareViewEntry {
    ShareViewEntry { id: v.id, viewer_id: v.viewer.map(|u| u.0), viewer_name: v.viewer_name, viewed_at: v.viewed_at }
}

/// The caller as a manager of shares: a tenant admin (every share of the tenant) or an owner.
async fn manager(state: &AppState, auth: &Auth, perm: Permission) -> ApiResult<Manager> {
    let scope = state.authz.require_tenant(&auth.0, perm).await?;
    match state.authz.require_tenant(&auth.0, Permission::TENANT_SHARES_MANAGE).await {
        Ok(admin) => Ok(Manager::TenantAdmin(admin)),
        Err(AppError::Forbidden(_)) => Ok(Manager::Owner(scope)),
        Err(e) => Err(e.into()),
    }
}

#[OpenApi(tag = "ApiTags::Shares")]
impl SharesApi {
    /// Share a branch of one of my conversations as an immutable snapshot.
    ///
    /// The branch (root to `leaf_message_id`) is copied now; later edits, continuations,
    /// regenerations or deleting the conversation do not change it. Refused with 409 while an
    /// answer on the branch is still being written, and with 403 for a `link` share while the
    /// tenant does not allow public links.
    #[oai(path = "/conversations/:id/shares", method = "post", operation_id = "shares_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The conversation's id.
        id: Path<Uuid>,
        body: Json<CreateShare>,
    ) -> ApiResult<ShareCreated> {
        let scope = state.authz.require_tenant(&auth.0, Permission::SHARES_WRITE).await?;
        let body = body.0;
        let detail = state
            .shares
            .create(
                &scope,
                &actor_of(&auth.0),
                ConversationId(id.0),
                NewShare {
                    leaf: body.leaf_message_id.map(MessageId),
                    visibility: body.visibility.into(),
                    user_ids: body.user_ids.as_deref(),
                    user_emails: body.user_emails.as_deref(),
                    expires_at: body.expires_at,
                    title: body.title.as_deref(),
                },
            )
            .await?;
        Ok(ShareCreated::Created(Json(detail_view(&state, detail))))
    }

    /// My shares, newest first.
    #[oai(path = "/shares", method = "get", operation_id = "shares_list")]
    async fn list_mine(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only shares in this state.
        status: Query<Option<ShareStatus>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<SharePage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::SHARES_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(ShareId);
        let items = state.shares.list(Manager::Owner(scope), None, status.0.map(Into::into), before, limit).await?;
        let next_cursor = next_cursor(&items, limit, |s| s.id.0);
        let items = items
            .into_iter()
            .map(|s| {
                let token = state.shares.recover_token(&s);
                share_view(&state, s, token)
            })
            .collect();
        Ok(Json(SharePage { items, next_cursor }))
    }

    /// Every share of the tenant, newest first (tenant admins).
    #[oai(path = "/tenant/shares", method = "get", operation_id = "tenant_shares_list")]
    async fn list_tenant(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only shares in this state.
        status: Query<Option<ShareStatus>>,
        /// Only this user's shares.
        owner_id: Query<Option<Uuid>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<SharePage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_SHARES_MANAGE).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?.map(ShareId);
        let owner = owner_id.0.map(UserId);
        let items =
            state.shares.list(Manager::TenantAdmin(scope), owner, status.0.map(Into::into), before, limit).await?;
        let next_cursor = next_cursor(&items, limit, |s| s.id.0);
        let items = items
            .into_iter()
            .map(|s| {
                let token = (s.owner_id == scope.user).then(|| state.shares.recover_token(&s)).flatten();
                share_view(&state, s, token)
            })
            .collect();
        Ok(Json(SharePage { items, next_cursor }))
    }

    /// One share, with its recipients and counts (its owner, or a tenant admin).
    #[oai(path = "/shares/:id", method = "get", operation_id = "shares_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The share's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<ShareView>> {
        let manager = manager(&state, &auth, Permission::SHARES_READ).await?;
        let detail = state.shares.get(manager, ShareId(id.0)).await?;
        Ok(Json(detail_view(&state, detail)))
    }

    /// Revoke a share (its owner, or a tenant admin). It stops being readable at once.
    #[oai(path = "/shares/:id", method = "delete", operation_id = "shares_revoke")]
    async fn revoke(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The share's id.
        id: Path<Uuid>,
    ) -> ApiResult<ShareRevoked> {
        let manager = manager(&state, &auth, Permission::SHARES_WRITE).await?;
        state.shares.revoke(manager, &actor_of(&auth.0), ShareId(id.0)).await?;
        Ok(ShareRevoked::NoContent)
    }

    /// Who read a share and when, newest first (its owner, or a tenant admin).
    #[oai(path = "/shares/:id/views", method = "get", operation_id = "share_views_list")]
    async fn views(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The share's id.
        id: Path<Uuid>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<ShareViewPage>> {
        let manager = manager(&state, &auth, Permission::SHARES_READ).await?;
        let limit = page_limit(limit.0)?;
        let before = decode_cursor::<Uuid>(cursor.0.as_deref())?;
        let (views, total) = state.shares.views(manager, ShareId(id.0), before, limit).await?;
        let next_cursor = next_cursor(&views, limit, |v| v.id);
        Ok(Json(ShareViewPage { items: views.into_iter().map(view_entry).collect(), total, next_cursor }))
    }

    /// Read a snapshot, signed in: mine, a `tenant` share of my tenant, or a `users` share that
    /// lists me. Any other — revoked, expired, or not for me — is `not_found`.
    #[oai(path = "/snapshots/:id", method = "get", operation_id = "snapshots_get")]
    async fn read(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The share's id.
        id: Path<Uuid>,
    ) -> ApiResult<Json<SnapshotView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::SHARES_READ).await?;
        let snapshot = state.shares.read(&scope, ShareId(id.0)).await?;
        Ok(Json(snapshot_view(snapshot)))
    }

    /// Read a link share, signed out. `not_found` unless the link is live and its tenant
    /// (still active) allows public links.
    #[oai(path = "/public/snapshots/:token", method = "get", operation_id = "public_snapshots_get")]
    async fn read_public(
        &self,
        state: Data<&Arc<AppState>>,
        /// The share's secret link token.
        token: Path<String>,
    ) -> ApiResult<Json<SnapshotView>> {
        let snapshot = state.shares.read_public(&token.0).await?;
        Ok(Json(snapshot_view(snapshot)))
    }

    /// The tenant's sharing settings (any member: the web chat shows what is allowed).
    #[oai(path = "/tenant/sharing", method = "get", operation_id = "sharing_settings_get")]
    async fn settings(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<SharingSettingsView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::SHARES_READ).await?;
        Ok(Json(state.shares.settings(&scope).await?.into()))
    }

    /// Change the tenant's sharing settings (tenant admins). Turning links off makes every
    /// existing link share unreadable at once; turning them back on restores the live ones.
    #[oai(path = "/tenant/sharing", method = "put", operation_id = "sharing_settings_set")]
    async fn put_settings(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: Json<PutSharingSettings>,
    ) -> ApiResult<Json<SharingSettingsView>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::TENANT_SHARES_MANAGE).await?;
        Ok(Json(state.shares.set_settings(&scope, &actor_of(&auth.0), body.links_allowed).await?.into()))
    }
}

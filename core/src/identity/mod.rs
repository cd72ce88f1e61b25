//! Identity management from outside: SCIM 2.0 provisioning per tenant, and the group → role
//! mapping that provisioning (and single sign-on's groups claim) apply.
//!
//! A tenant admin creates SCIM tokens (shown once, stored as digests). The identity provider
//! then creates, updates and removes the tenant's users and groups. Deprovisioning (`active`
//! false, or DELETE) disables the membership, ends every session of the user and revokes their
//! API tokens in the tenant, in one transaction; the cache invalidation that follows reaches every
//! replica through the cluster bus, and open answer streams end with it.
//!
//! Roles of provisioned members come from their groups: the highest role any of their groups is
//! mapped to, `member` when none is. Members the provider does not manage keep the roles admins
//! give them (keep one such tenant admin as break-glass access).

pub mod domains;
pub mod scim;
pub mod sso;

use crate::audit::{self, Actor, NewEntry, action};
use crate::auth::AuthService;
use crate::authz::Authorizer;
use crate::domain::{Email, NewPassword, Role, Status, TenantId, TenantScope, UserId, display_name};
use crate::error::{AppError, AppResult};
use crate::store::identity::{Narrow, ScimGroup, ScimUser};
use crate::store::{self, Conn, Store};
use scim::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, ScimError, ScimResult, USER_SCHEMA, as_bool, get};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use uuid::Uuid;

pub use crate::store::identity::{RoleMapping, ScimToken};

/// The visible marker of a SCIM token (API tokens start `cfb_`).
pub const SCIM_TOKEN_PREFIX: &str = "cfs_";

/// The role a member's groups give: the highest role any of them (by display name or external
/// id, case-insensitively) is mapped to; `member` when none is mapped.
pub fn role_for_groups<'a>(mappings: &[RoleMapping], groups: impl IntoIterator<Item = &'a str>) -> Role {
    let groups: Vec<&str> = groups.into_iter().collect();
    mappings
        .iter()
        .filter(|m| groups.iter().any(|g| g.eq_ignore_ascii_case(&m.group)))
        .map(|m| m.role)
        .max()
        .unwrap_or(Role::Member)
}

/// An authenticated SCIM client: a tenant's provider.
#[derive(Debug, Clone)]
pub struct ScimCaller {
    pub tenant: TenantId,
    pub slug: String,
    actor_label: String,
}

impl ScimCaller {
    fn actor(&self) -> Actor {
        Actor::anonymous(&self.actor_label)
    }
}

pub struct Provisioning {
    store: Store,
    auth: Arc<AuthService>,
    authz: Arc<Authorizer>,
}

/// A user resource as sent, parsed.
struct UserInput {
    user_name: String,
    external_id: Option<String>,
    active: bool,
    password: Option<String>,
    /// What is stored and echoed (everything but server-owned attributes).
    attributes: Map<String, Value>,
}

struct GroupInput {
    display_name: String,
    external_id: Option<String>,
    members: Vec<UserId>,
}

fn text(v: Option<&Value>, what: &str) -> ScimResult<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::bad("invalidValue", format!("`{what}` must be a string"))),
    }
}

fn parse_user(body: &Value) -> ScimResult<UserInput> {
    let obj = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "the body must be a JSON object"))?;
    let user_name = text(get(body, "userName"), "userName")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().count() <= 512)
        .ok_or_else(|| ScimError::bad("invalidValue", "`userName` is required (1–512 characters)"))?;
    let external_id = text(get(body, "externalId"), "externalId")?.filter(|s| !s.is_empty());
    if external_id.as_ref().is_some_and(|e| e.chars().count() > 512) {
        return Err(ScimError::bad("invalidValue", "`externalId` is at most 512 characters"));
    }
    let active = match get(body, "active") {
        None | Some(Value::Null) => true,
        Some(v) => as_bool(v).ok_or_else(|| ScimError::bad("invalidValue", "`active` must be a boolean"))?,
    };
    let password = text(get(body, "password"), "password")?;
    let attributes = obj
        .iter()
        .filter(|(k, _)| !["id", "meta", "groups", "password", "schemas"].iter().any(|s| k.eq_ignore_ascii_case(s)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(UserInput { user_name, external_id, active, password, attributes })
}

/// The address a new account signs in with: `userName` when it is one, else the primary (or
/// first) e-mail.
fn sign_in_email(input: &UserInput) -> ScimResult<Email> {
    if let Ok(e) = Email::parse(&input.user_name) {
        return Ok(e);
    }
    let emails =
        input.attributes.iter().find(|(k, _)| k.eq_ignore_ascii_case("emails")).and_then(|(_, v)| v.as_array());
    let mut candidates: Vec<&Value> = emails.map(|l| l.iter().collect()).unwrap_or_default();
    candidates.sort_by_key(|e| !get(e, "primary").and_then(as_bool).unwrap_or(false));
    candidates
        .into_iter()
        .filter_map(|e| get(e, "value").and_then(Value::as_str))
        .find_map(|v| Email::parse(v).ok())
        .map_or_else(placeholder_email, Ok)
}

/// A directory entry with no e-mail address at all gets an address that can never receive mail
/// (RFC 2606 `.invalid`): the account exists for the tenant, and cannot sign in with a password.
fn placeholder_email() -> ScimResult<Email> {
    Ok(Email::parse(&format!("{}@scim.invalid", Uuid::now_v7().simple())).map_err(AppError::from)?)
}

fn new_display_name(input: &UserInput, email: &Email) -> String {
    let attrs = Value::Object(input.attributes.clone());
    let name = get(&attrs, "name");
    let joined = name.map(|n| {
        [get(n, "givenName"), get(n, "familyName")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    });
    [
        get(&attrs, "displayName").and_then(Value::as_str).map(str::to_string),
        name.and_then(|n| get(n, "formatted")).and_then(Value::as_str).map(str::to_string),
        joined,
    ]
    .into_iter()
    .flatten()
    .find_map(|n| display_name("displayName", &n, 200).ok())
    .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_string())
}

fn parse_group(body: &Value) -> ScimResult<(String, Option<String>, Vec<String>)> {
    if !body.is_object() {
        return Err(ScimError::bad("invalidSyntax", "the body must be a JSON object"));
    }
    let display_name = text(get(body, "displayName"), "displayName")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().count() <= 256)
        .ok_or_else(|| ScimError::bad("invalidValue", "`displayName` is required (1–256 characters)"))?;
    let external_id = text(get(body, "externalId"), "externalId")?.filter(|s| !s.is_empty());
    let members = match get(body, "members") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(list)) => list
            .iter()
            .map(|m| {
                get(m, "value")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| ScimError::bad("invalidValue", "each member needs a `value` (a user id)"))
            })
            .collect::<ScimResult<_>>()?,
        Some(_) => return Err(ScimError::bad("invalidValue", "`members` must be a list")),
    };
    Ok((display_name, external_id, members))
}

/// Which stored rows a list `filter` selects.
fn narrow(filter: Option<&str>, name_attr: &str) -> ScimResult<Narrow> {
    let Some(raw) = filter.filter(|f| !f.trim().is_empty()) else { return Ok(Narrow::All) };
    let f = scim::parse_filter(raw)?;
    Ok(match f.attribute.as_str() {
        "id" => Uuid::parse_str(&f.value).map_or(Narrow::Nothing, Narrow::Id),
        "externalid" => Narrow::ExternalId(f.value),
        a if a == name_attr => Narrow::Name(f.value),
        _ => {
            return Err(ScimError::bad(
                "invalidFilter",
                format!("filtering on `{}` is not supported (id, externalId, {name_attr})", f.attribute),
            ));
        }
    })
}

/// RFC 7644 §3.4.2.4: `startIndex` is 1-based (less than 1 means 1); `count` 0 returns none.
pub fn page(start_index: Option<i64>, count: Option<i64>) -> (u64, u64) {
    let start = start_index.unwrap_or(1).max(1) as u64;
    let count = count.unwrap_or(100).clamp(0, scim::MAX_RESULTS as i64) as u64;
    (start, count)
}

impl Provisioning {
    pub fn new(store: Store, auth: Arc<AuthService>, authz: Arc<Authorizer>) -> Self {
        Self { store, auth, authz }
    }

    async fn changed(&self) -> AppResult<()> {
        self.auth.forget_cached();
        self.authz.reload().await
    }

    // ---- Tokens and mappings: the tenant admin's side (`/v1`). ----

    /// A new SCIM token for the scope's tenant; the secret is returned only now.
    pub async fn create_token(&self, scope: &TenantScope, actor: &Actor, name: &str) -> AppResult<(ScimToken, String)> {
        self.issue_token(scope.tenant, Some(scope.user), actor, name).await
    }

    /// A new SCIM token for `tenant` (the operator's command has no user behind it).
    pub async fn issue_token(
        &self,
        tenant: TenantId,
        created_by: Option<UserId>,
        actor: &Actor,
        name: &str,
    ) -> AppResult<(ScimToken, String)> {
        let name = display_name("name", name, 100)?;
        let secret = format!("{SCIM_TOKEN_PREFIX}{}", crate::auth::secrets::random_token());
        let prefix: String = secret.chars().take(12).collect();
        let txn = self.store.begin().await?;
        let token = store::identity::insert_token(
            &*txn,
            tenant,
            &name,
            &prefix,
            &crate::auth::secrets::digest(&secret),
            created_by,
        )
        .await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(tenant), actor, action::SCIM_TOKEN_CREATED)
                .target("scim_token", token.id)
                .details(json!({ "name": name })),
        )
        .await?;
        txn.commit().await?;
        Ok((token, secret))
    }

    pub async fn tokens(&self, scope: &TenantScope) -> AppResult<Vec<ScimToken>> {
        store::identity::tokens(self.store.conn(), scope.tenant).await
    }

    pub async fn revoke_token(&self, scope: &TenantScope, actor: &Actor, id: Uuid) -> AppResult<()> {
        let txn = self.store.begin().await?;
        store::identity::token(&*txn, scope.tenant, id).await?.ok_or(AppError::NotFound("SCIM token"))?;
        if !store::identity::revoke_token(&*txn, scope.tenant, id).await? {
            return Err(AppError::Conflict("the token is already revoked".into()));
        }
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::SCIM_TOKEN_REVOKED).target("scim_token", id),
        )
        .await?;
        txn.commit().await.map_err(AppError::from)
    }

    pub async fn role_mappings(&self, scope: &TenantScope) -> AppResult<Vec<RoleMapping>> {
        store::identity::role_mappings(self.store.conn(), scope.tenant).await
    }

    /// Replaces the tenant's group → role mapping and applies it to every provisioned member.
    pub async fn set_role_mappings(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        mappings: Vec<RoleMapping>,
    ) -> AppResult<Vec<RoleMapping>> {
        if mappings.len() > 200 {
            return Err(AppError::Validation { field: "mappings", reason: "at most 200".into() });
        }
        let mut seen = std::collections::HashSet::new();
        for m in &mappings {
            if m.group.trim().is_empty() || m.group.chars().count() > 512 || m.group.chars().any(char::is_control) {
                return Err(AppError::Validation {
                    field: "group",
                    reason: "must be 1–512 printable characters".into(),
                });
            }
            if !seen.insert(m.group.to_lowercase()) {
                return Err(AppError::Validation { field: "group", reason: format!("`{}` is mapped twice", m.group) });
            }
        }
        let txn = self.store.begin().await?;
        let before = store::identity::role_mappings(&*txn, scope.tenant).await?;
        store::identity::set_role_mappings(&*txn, scope.tenant, &mappings).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::ROLE_MAPPINGS_SET).details(json!({
                "from": before.iter().map(|m| json!({ "group": m.group, "role": m.role.as_str() })).collect::<Vec<_>>(),
                "to": mappings.iter().map(|m| json!({ "group": m.group, "role": m.role.as_str() })).collect::<Vec<_>>(),
            })),
        )
        .await?;
        let users = store::identity::user_ids(&*txn, scope.tenant).await?;
        apply_roles(&*txn, scope.tenant, actor, &users).await?;
        txn.commit().await?;
        self.changed().await?;
        store::identity::role_mappings(self.store.conn(), scope.tenant).await
    }

    // ---- SCIM: the identity provider's side. ----

    /// The tenant a bearer token provisions, if it is that tenant's live SCIM token. Any other
    /// case (unknown tenant, another tenant's token, revoked) is the same 401.
    pub async fn authenticate(&self, tenant: &str, bearer: Option<&str>) -> ScimResult<ScimCaller> {
        let token = bearer.filter(|t| t.starts_with(SCIM_TOKEN_PREFIX)).ok_or_else(ScimError::unauthorized)?;
        let conn = self.store.conn();
        let record = store::identity::token_by_hash(conn, &crate::auth::secrets::digest(token))
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or_else(ScimError::unauthorized)?;
        let t = store::tenants::get(conn, record.tenant_id)
            .await?
            .filter(|t| t.slug == tenant || t.id.0.to_string() == tenant)
            .ok_or_else(ScimError::unauthorized)?;
        if t.status != Status::Active {
            return Err(ScimError::new(403, None, "the tenant is disabled"));
        }
        if record.last_used_at.is_none_or(|at| (store::now() - at).num_seconds() >= 60) {
            store::identity::touch_token(conn, record.id).await?;
        }
        Ok(ScimCaller { tenant: t.id, slug: t.slug, actor_label: format!("scim:{}", record.name) })
    }

    async fn user_resource(&self, conn: &impl Conn, link: &ScimUser, base: &str) -> ScimResult<Value> {
        let member = store::memberships::member(conn, link.tenant_id, link.user_id).await?;
        let active = member.as_ref().is_some_and(|m| m.status == Status::Active && m.user.status == Status::Active);
        let groups = store::identity::groups_of(conn, link.tenant_id, link.user_id).await?;
        let mut r: Map<String, Value> = serde_json::from_str(&link.attributes).unwrap_or_default();
        let mut schemas = vec![json!(USER_SCHEMA)];
        if r.keys().any(|k| k.eq_ignore_ascii_case(ENTERPRISE_SCHEMA)) {
            schemas.push(json!(ENTERPRISE_SCHEMA));
        }
        r.insert("schemas".into(), Value::Array(schemas));
        r.insert("id".into(), json!(link.user_id.0.to_string()));
        // `active` as the provider set it; false whenever the member cannot use the tenant.
        if !active {
            r.insert("active".into(), json!(false));
        } else if let Some(key) = r.keys().find(|k| k.eq_ignore_ascii_case("active")).cloned() {
            r.remove(&key);
            r.insert("active".into(), json!(true));
        }
        if !groups.is_empty() {
            let groups: Vec<Value> = groups
                .iter()
                .map(|g| json!({ "value": g.id.to_string(), "display": g.display_name, "$ref": format!("{base}/Groups/{}", g.id), "type": "direct" }))
                .collect();
            r.insert("groups".into(), Value::Array(groups));
        }
        r.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": link.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "lastModified": link.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "location": format!("{base}/Users/{}", link.user_id.0),
            }),
        );
        Ok(Value::Object(r))
    }

    async fn link(&self, conn: &impl Conn, caller: &ScimCaller, id: &str) -> ScimResult<ScimUser> {
        let id = Uuid::parse_str(id).map_err(|_| ScimError::not_found("User"))?;
        store::identity::user(conn, caller.tenant, UserId(id)).await?.ok_or_else(|| ScimError::not_found("User"))
    }

    pub async fn get_user(&self, caller: &ScimCaller, id: &str, base: &str) -> ScimResult<Value> {
        let conn = self.store.conn();
        let link = self.link(conn, caller, id).await?;
        self.user_resource(conn, &link, base).await
    }

    pub async fn list_users(
        &self,
        caller: &ScimCaller,
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
        base: &str,
    ) -> ScimResult<Value> {
        let narrow = narrow(filter, "username")?;
        let (start, count) = page(start_index, count);
        let conn = self.store.conn();
        let (links, total) = store::identity::users(conn, caller.tenant, &narrow, start - 1, count).await?;
        let mut resources = Vec::with_capacity(links.len());
        for link in &links {
            resources.push(self.user_resource(conn, link, base).await?);
        }
        Ok(scim::list_response(resources, total, start))
    }

    /// Creates (or, for an address that already has an account, adds) a user of the tenant.
    /// Whether the account existed elsewhere does not change the answer.
    pub async fn create_user(&self, caller: &ScimCaller, body: &Value, base: &str) -> ScimResult<Value> {
        let input = parse_user(body)?;
        let email = sign_in_email(&input)?;
        let min = self.auth.config().min_password_length;
        let hash = match &input.password {
            Some(pw) => Some(
                crate::auth::password::hash(&NewPassword::parse(pw, min, Some(&email)).map_err(AppError::from)?)
                    .await?,
            ),
            None => None,
        };
        let actor = caller.actor();
        let key = input.user_name.to_lowercase();
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let (taken, _) = store::identity::users(&*txn, caller.tenant, &Narrow::Name(key.clone()), 0, 1).await?;
        if !taken.is_empty() {
            return Err(ScimError::new(409, Some("uniqueness"), "a user with this userName exists"));
        }
        let user = match store::users::find_by_email(&*txn, &email).await? {
            Some(u) => u,
            None => {
                let u =
                    store::users::insert_provisioned(&*txn, &email, &new_display_name(&input, &email), hash.as_deref())
                        .await?;
                audit::record(
                    &*txn,
                    NewEntry::new(None, &actor, action::ACCOUNT_CREATED)
                        .target("user", u.id)
                        .details(json!({ "tenant": caller.tenant })),
                )
                .await?;
                u
            }
        };
        if store::identity::user(&*txn, caller.tenant, user.id).await?.is_some() {
            return Err(ScimError::new(
                409,
                Some("uniqueness"),
                "a user with this e-mail address is already provisioned",
            ));
        }
        match store::memberships::get(&*txn, caller.tenant, user.id).await? {
            // A member the admins added by hand: the provider takes them over.
            Some(m) => {
                let want = if input.active { Status::Active } else { Status::Disabled };
                if m.status != want {
                    store::memberships::set_status(&*txn, caller.tenant, user.id, want).await?;
                }
            }
            None => {
                store::memberships::insert(&*txn, caller.tenant, user.id, Role::Member).await?;
                if !input.active {
                    store::memberships::set_status(&*txn, caller.tenant, user.id, Status::Disabled).await?;
                }
            }
        }
        let attrs = Value::Object(input.attributes.clone()).to_string();
        let link =
            store::identity::insert_user(&*txn, caller.tenant, user.id, &key, input.external_id.as_deref(), &attrs)
                .await?;
        if !input.active {
            revoke_access(&*txn, caller.tenant, user.id).await?;
        }
        audit::record(
            &*txn,
            NewEntry::new(Some(caller.tenant), &actor, action::SCIM_USER_PROVISIONED)
                .target("user", user.id)
                .details(json!({ "userName": input.user_name, "email": email.as_str(), "active": input.active })),
        )
        .await?;
        let resource = self.user_resource(&*txn, &link, base).await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(resource)
    }

    pub async fn replace_user(&self, caller: &ScimCaller, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
        let input = parse_user(body)?;
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let link = self.link(&*txn, caller, id).await?;
        self.write_user(&*txn, caller, &link, input).await?;
        let link = self.link(&*txn, caller, id).await?;
        let resource = self.user_resource(&*txn, &link, base).await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(resource)
    }

    pub async fn patch_user(&self, caller: &ScimCaller, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let link = self.link(&*txn, caller, id).await?;
        let mut current = self.user_resource(&*txn, &link, base).await?;
        scim::apply_patch(&mut current, body)?;
        let input = parse_user(&current)?;
        self.write_user(&*txn, caller, &link, input).await?;
        let link = self.link(&*txn, caller, id).await?;
        let resource = self.user_resource(&*txn, &link, base).await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(resource)
    }

    async fn write_user(
        &self,
        conn: &impl Conn,
        caller: &ScimCaller,
        link: &ScimUser,
        input: UserInput,
    ) -> ScimResult<()> {
        let key = input.user_name.to_lowercase();
        if key != link.user_name {
            let (taken, _) = store::identity::users(conn, caller.tenant, &Narrow::Name(key.clone()), 0, 1).await?;
            if !taken.is_empty() {
                return Err(ScimError::new(409, Some("uniqueness"), "a user with this userName exists"));
            }
        }
        let attrs = Value::Object(input.attributes).to_string();
        store::identity::update_user(conn, caller.tenant, link.user_id, &key, input.external_id.as_deref(), &attrs)
            .await?;
        let actor = caller.actor();
        let membership = store::memberships::get(conn, caller.tenant, link.user_id)
            .await?
            .ok_or_else(|| ScimError::not_found("User"))?;
        let was_active = membership.status == Status::Active;
        match (was_active, input.active) {
            (true, false) => {
                store::memberships::set_status(conn, caller.tenant, link.user_id, Status::Disabled).await?;
                let (sessions, tokens) = revoke_access(conn, caller.tenant, link.user_id).await?;
                audit::record(
                    conn,
                    NewEntry::new(Some(caller.tenant), &actor, action::SCIM_USER_DEPROVISIONED)
                        .target("user", link.user_id)
                        .details(json!({ "sessions_revoked": sessions, "tokens_revoked": tokens })),
                )
                .await?;
            }
            (false, true) => {
                store::memberships::set_status(conn, caller.tenant, link.user_id, Status::Active).await?;
                audit::record(
                    conn,
                    NewEntry::new(Some(caller.tenant), &actor, action::USER_ENABLED).target("user", link.user_id),
                )
                .await?;
            }
            _ => {}
        }
        audit::record(
            conn,
            NewEntry::new(Some(caller.tenant), &actor, action::SCIM_USER_UPDATED)
                .target("user", link.user_id)
                .details(json!({ "userName": input.user_name, "active": input.active })),
        )
        .await?;
        Ok(())
    }

    /// Removes the user from the tenant's provisioning: the membership is disabled (their history
    /// stays under the tenant's retention), sessions end, API tokens are revoked.
    pub async fn delete_user(&self, caller: &ScimCaller, id: &str) -> ScimResult<()> {
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let link = self.link(&*txn, caller, id).await?;
        let groups = store::identity::groups_of(&*txn, caller.tenant, link.user_id).await?;
        store::identity::delete_user(&*txn, caller.tenant, link.user_id).await?;
        store::memberships::set_status(&*txn, caller.tenant, link.user_id, Status::Disabled).await?;
        let (sessions, tokens) = revoke_access(&*txn, caller.tenant, link.user_id).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(caller.tenant), &caller.actor(), action::SCIM_USER_DELETED)
                .target("user", link.user_id)
                .details(json!({
                    "sessions_revoked": sessions, "tokens_revoked": tokens,
                    "groups": groups.iter().map(|g| g.display_name.clone()).collect::<Vec<_>>(),
                })),
        )
        .await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(())
    }

    // ---- Groups ----

    async fn group_resource(&self, conn: &impl Conn, group: &ScimGroup, base: &str) -> ScimResult<Value> {
        let members = store::identity::group_members(conn, group.tenant_id, group.id).await?;
        let mut list = Vec::with_capacity(members.len());
        // No `display`: what a provider sends is what it reads back, and names live on Users.
        for user in members {
            list.push(
                json!({ "value": user.0.to_string(), "$ref": format!("{base}/Users/{}", user.0), "type": "User" }),
            );
        }
        let mut r = json!({
            "schemas": [GROUP_SCHEMA],
            "id": group.id.to_string(),
            "displayName": group.display_name,
            "members": list,
            "meta": {
                "resourceType": "Group",
                "created": group.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "lastModified": group.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "location": format!("{base}/Groups/{}", group.id),
            },
        });
        if let Some(e) = &group.external_id {
            r["externalId"] = e.clone().into();
        }
        Ok(r)
    }

    async fn group_input(&self, conn: &impl Conn, caller: &ScimCaller, body: &Value) -> ScimResult<GroupInput> {
        let (display_name, external_id, raw) = parse_group(body)?;
        let mut members = Vec::with_capacity(raw.len());
        for value in raw {
            let user = Uuid::parse_str(&value).ok().map(UserId);
            let known = match user {
                Some(u) => store::memberships::get(conn, caller.tenant, u).await?.is_some(),
                None => false,
            };
            match user {
                Some(u) if known => {
                    if !members.contains(&u) {
                        members.push(u);
                    }
                }
                _ => {
                    return Err(ScimError::bad(
                        "invalidValue",
                        format!("member `{value}` is not a user of this tenant"),
                    ));
                }
            }
        }
        Ok(GroupInput { display_name, external_id, members })
    }

    async fn group_of(&self, conn: &impl Conn, caller: &ScimCaller, id: &str) -> ScimResult<ScimGroup> {
        let id = Uuid::parse_str(id).map_err(|_| ScimError::not_found("Group"))?;
        store::identity::group(conn, caller.tenant, id).await?.ok_or_else(|| ScimError::not_found("Group"))
    }

    pub async fn get_group(&self, caller: &ScimCaller, id: &str, base: &str) -> ScimResult<Value> {
        let conn = self.store.conn();
        let group = self.group_of(conn, caller, id).await?;
        self.group_resource(conn, &group, base).await
    }

    pub async fn list_groups(
        &self,
        caller: &ScimCaller,
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
        base: &str,
    ) -> ScimResult<Value> {
        let narrow = narrow(filter, "displayname")?;
        let (start, count) = page(start_index, count);
        let conn = self.store.conn();
        let (groups, total) = store::identity::groups(conn, caller.tenant, &narrow, start - 1, count).await?;
        let mut resources = Vec::with_capacity(groups.len());
        for g in &groups {
            resources.push(self.group_resource(conn, g, base).await?);
        }
        Ok(scim::list_response(resources, total, start))
    }

    pub async fn create_group(&self, caller: &ScimCaller, body: &Value, base: &str) -> ScimResult<Value> {
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let input = self.group_input(&*txn, caller, body).await?;
        if store::identity::group_by_name(&*txn, caller.tenant, &input.display_name).await?.is_some() {
            return Err(ScimError::new(409, Some("uniqueness"), "a group with this displayName exists"));
        }
        let group =
            store::identity::insert_group(&*txn, caller.tenant, &input.display_name, input.external_id.as_deref())
                .await?;
        store::identity::set_group_members(&*txn, caller.tenant, group.id, &input.members).await?;
        let actor = caller.actor();
        audit::record(
            &*txn,
            NewEntry::new(Some(caller.tenant), &actor, action::SCIM_GROUP_CREATED)
                .target("scim_group", group.id)
                .details(json!({ "displayName": input.display_name, "members": input.members.len() })),
        )
        .await?;
        apply_roles(&*txn, caller.tenant, &actor, &input.members).await?;
        let resource = self.group_resource(&*txn, &group, base).await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(resource)
    }

    pub async fn replace_group(&self, caller: &ScimCaller, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let group = self.group_of(&*txn, caller, id).await?;
        let input = self.group_input(&*txn, caller, body).await?;
        let resource = self.write_group(&*txn, caller, group, input, base).await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(resource)
    }

    pub async fn patch_group(&self, caller: &ScimCaller, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let group = self.group_of(&*txn, caller, id).await?;
        let mut current = self.group_resource(&*txn, &group, base).await?;
        scim::apply_patch(&mut current, body)?;
        let input = self.group_input(&*txn, caller, &current).await?;
        let resource = self.write_group(&*txn, caller, group, input, base).await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(resource)
    }

    async fn write_group(
        &self,
        conn: &impl Conn,
        caller: &ScimCaller,
        group: ScimGroup,
        input: GroupInput,
        base: &str,
    ) -> ScimResult<Value> {
        if input.display_name != group.display_name
            && store::identity::group_by_name(conn, caller.tenant, &input.display_name).await?.is_some()
        {
            return Err(ScimError::new(409, Some("uniqueness"), "a group with this displayName exists"));
        }
        let before = store::identity::group_members(conn, caller.tenant, group.id).await?;
        store::identity::update_group(conn, caller.tenant, group.id, &input.display_name, input.external_id.as_deref())
            .await?;
        store::identity::set_group_members(conn, caller.tenant, group.id, &input.members).await?;
        let added: Vec<String> =
            input.members.iter().filter(|m| !before.contains(m)).map(|m| m.0.to_string()).collect();
        let removed: Vec<String> =
            before.iter().filter(|m| !input.members.contains(m)).map(|m| m.0.to_string()).collect();
        let actor = caller.actor();
        audit::record(
            conn,
            NewEntry::new(Some(caller.tenant), &actor, action::SCIM_GROUP_UPDATED).target("scim_group", group.id).details(
                json!({ "from": group.display_name, "displayName": input.display_name, "added": added, "removed": removed }),
            ),
        )
        .await?;
        let mut affected = before;
        affected.extend(input.members.iter().copied());
        affected.sort_by_key(|u| u.0);
        affected.dedup();
        apply_roles(conn, caller.tenant, &actor, &affected).await?;
        let group = store::identity::group(conn, caller.tenant, group.id)
            .await?
            .ok_or_else(|| ScimError::not_found("Group"))?;
        self.group_resource(conn, &group, base).await
    }

    pub async fn delete_group(&self, caller: &ScimCaller, id: &str) -> ScimResult<()> {
        let txn = self.store.begin().await.map_err(AppError::from)?;
        let group = self.group_of(&*txn, caller, id).await?;
        let members = store::identity::group_members(&*txn, caller.tenant, group.id).await?;
        store::identity::delete_group(&*txn, caller.tenant, group.id).await?;
        let actor = caller.actor();
        audit::record(
            &*txn,
            NewEntry::new(Some(caller.tenant), &actor, action::SCIM_GROUP_DELETED)
                .target("scim_group", group.id)
                .details(json!({ "displayName": group.display_name, "members": members.len() })),
        )
        .await?;
        apply_roles(&*txn, caller.tenant, &actor, &members).await?;
        txn.commit().await.map_err(AppError::from)?;
        self.changed().await?;
        Ok(())
    }
}

/// Ends a member's access to the tenant at once: every session (sessions are per user) and the
/// user's API tokens in this tenant. Returns (sessions, tokens) revoked.
async fn revoke_access(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<(u64, u64)> {
    let sessions = store::sessions::revoke_all_for_user(conn, user).await?;
    let tokens = store::api_tokens::revoke_all_for_member(conn, tenant, user).await?;
    Ok((sessions, tokens))
}

/// Sets each provisioned user's role from their groups; a changed role ends their sessions (as
/// an admin's role change does) and is audited.
async fn apply_roles(conn: &impl Conn, tenant: TenantId, actor: &Actor, users: &[UserId]) -> AppResult<()> {
    let mappings = store::identity::role_mappings(conn, tenant).await?;
    for &user in users {
        if store::identity::user(conn, tenant, user).await?.is_none() {
            continue;
        }
        let Some(membership) = store::memberships::get(conn, tenant, user).await? else { continue };
        let groups = store::identity::groups_of(conn, tenant, user).await?;
        let names =
            groups.iter().flat_map(|g| std::iter::once(g.display_name.as_str()).chain(g.external_id.as_deref()));
        let role = role_for_groups(&mappings, names);
        if role == membership.role {
            continue;
        }
        store::memberships::set_role(conn, tenant, user, role).await?;
        store::sessions::revoke_all_for_user(conn, user).await?;
        audit::record(
            conn,
            NewEntry::new(Some(tenant), actor, action::ROLE_CHANGED)
                .target("user", user)
                .details(json!({ "from": membership.role.as_str(), "to": role.as_str(), "via": "groups" })),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_highest_mapped_role_wins_and_unmapped_is_member() {
        let m = vec![
            RoleMapping { group: "Confab Admins".into(), role: Role::TenantAdmin },
            RoleMapping { group: "auditors".into(), role: Role::Auditor },
        ];
        assert_eq!(role_for_groups(&m, ["Everyone"]), Role::Member);
        assert_eq!(role_for_groups(&m, ["Auditors"]), Role::Auditor);
        assert_eq!(role_for_groups(&m, ["auditors", "confab admins"]), Role::TenantAdmin);
        assert_eq!(role_for_groups(&[], ["auditors"]), Role::Member);
    }

    #[test]
    fn paging_is_one_based_and_bounded() {
        assert_eq!(page(None, None), (1, 100));
        assert_eq!(page(Some(0), Some(-3)), (1, 0));
        assert_eq!(page(Some(5), Some(10_000)), (5, scim::MAX_RESULTS));
    }
}

//! Tenants, users and memberships: the directory tenant admins and operators manage.
//! Every change is audited in its own transaction and then reloads the policy.

use crate::audit::{self, Actor, NewEntry, action};
use crate::auth::{AuthService, password};
use crate::authz::Authorizer;
use crate::config::AuthConfig;
use crate::domain::PlatformScope;
use crate::domain::TenantScope;
use crate::domain::{Email, NewPassword, Role, Status, TenantId, TenantSlug, UserId, display_name};
use crate::error::{AppError, AppResult};
use crate::store::memberships::TenantMember;
use crate::store::tenants::Tenant;
use crate::store::users::User;
use crate::store::{self, Store};
use std::sync::Arc;

pub struct Accounts {
    store: Store,
    authz: Arc<Authorizer>,
    auth: Arc<AuthService>,
}

/// What a new user is given.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub password: &'a str,
    pub role: Role,
}

/// The result of first-run setup.
pub struct Bootstrapped {
    pub user: User,
    pub tenant: Tenant,
}

impl Accounts {
    pub fn new(store: Store, authz: Arc<Authorizer>, auth: Arc<AuthService>) -> Self {
        Self { store, authz, auth }
    }

    fn auth_config(&self) -> &AuthConfig {
        self.auth.config()
    }

    /// After a committed change to roles or memberships: new policy, no stale principals.
    async fn changed(&self) -> AppResult<()> {
        self.auth.forget_cached();
        self.authz.reload().await
    }

    async fn parse_new_user(&self, new: &NewUser<'_>) -> AppResult<(Email, String, String)> {
        let email = Email::parse(new.email)?;
        let name = match new.display_name {
            Some(n) => display_name("display_name", n, 200)?,
            None => email.as_str().split('@').next().unwrap_or_default().to_string(),
        };
        let password = NewPassword::parse(new.password, self.auth_config().min_password_length, Some(&email))?;
        let hash = password::hash(&password).await?;
        Ok((email, name, hash))
    }

    /// A tenant admin adds a person to their tenant by e-mail address.
    ///
    /// Accounts are global (one e-mail address, many tenants), and whether an address already has
    /// an account elsewhere is not the tenant's business: the answer, the tenant's audit entry and
    /// what the tenant sees afterwards are the same either way. A new address gets an account with
    /// the given password; an existing account joins the tenant and keeps its own password and
    /// name. Only a person already in *this* tenant is a conflict (the admin can list them anyway).
    pub async fn create_user(&self, scope: &TenantScope, actor: &Actor, new: NewUser<'_>) -> AppResult<TenantMember> {
        // Hashed whether or not it is used, so both paths cost the same.
        let (email, name, hash) = self.parse_new_user(&new).await?;
        let txn = self.store.begin().await?;
        let joined_at = store::now();
        let user = match store::users::find_by_email(&*txn, &email).await? {
            Some(existing) => {
                if store::memberships::get(&*txn, scope.tenant, existing.id).await?.is_some() {
                    return Err(AppError::Conflict("this person is already a user of the tenant".into()));
                }
                existing
            }
            None => {
                let user = store::users::insert(&*txn, &email, &name, &hash, false).await?;
                audit::record(
                    &*txn,
                    NewEntry::new(None, actor, action::ACCOUNT_CREATED)
                        .target("user", user.id)
                        .details(serde_json::json!({ "tenant": scope.tenant })),
                )
                .await?;
                user
            }
        };
        store::memberships::insert(&*txn, scope.tenant, user.id, new.role).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::USER_CREATED)
                .target("user", user.id)
                .details(serde_json::json!({ "email": email.as_str(), "role": new.role.as_str() })),
        )
        .await?;
        txn.commit().await?;
        self.changed().await?;
        // What the caller asked for, not what an existing account holds (its name, its age).
        let user = User { display_name: name, status: Status::Active, created_at: joined_at, ..user };
        Ok(TenantMember { user, role: new.role, status: Status::Active, joined_at })
    }

    pub async fn member(&self, scope: &TenantScope, user: UserId) -> AppResult<TenantMember> {
        store::memberships::member(self.store.conn(), scope.tenant, user).await?.ok_or(AppError::NotFound("user"))
    }

    pub async fn members(
        &self,
        scope: &TenantScope,
        filter: &store::memberships::MemberFilter,
        after: Option<UserId>,
        limit: u64,
    ) -> AppResult<Vec<TenantMember>> {
        store::memberships::find_members(self.store.conn(), scope.tenant, filter, after, limit).await
    }

    /// Signs a user of the tenant out everywhere (every session, chat and console; their API
    /// tokens stay). Returns how many sessions ended.
    pub async fn revoke_sessions(&self, scope: &TenantScope, actor: &Actor, user: UserId) -> AppResult<u64> {
        let member = self.member(scope, user).await?;
        let txn = self.store.begin().await?;
        let revoked = store::sessions::revoke_all_for_user(&*txn, member.user.id).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::SESSIONS_REVOKED)
                .target("user", member.user.id)
                .details(serde_json::json!({ "sessions_revoked": revoked })),
        )
        .await?;
        txn.commit().await?;
        self.auth.forget_cached();
        Ok(revoked)
    }

    /// Refuses changes that would leave a tenant without an active admin.
    async fn ensure_other_admin(&self, conn: &impl store::Conn, tenant: TenantId, user: UserId) -> AppResult<()> {
        let mut after = None;
        loop {
            let page = store::memberships::members(conn, tenant, after, 500).await?;
            if page.iter().any(|m| m.user.id != user && m.role == Role::TenantAdmin && m.status == Status::Active) {
                return Ok(());
            }
            match page.last() {
                Some(last) if page.len() == 500 => after = Some(last.user.id),
                _ => return Err(AppError::Conflict("a tenant must keep at least one active tenant admin".into())),
            }
        }
    }

    pub async fn set_role(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        user: UserId,
        role: Role,
    ) -> AppResult<TenantMember> {
        let txn = self.store.begin().await?;
        let member = store::memberships::member(&*txn, scope.tenant, user).await?.ok_or(AppError::NotFound("user"))?;
        if member.role == role {
            return Ok(member);
        }
        if member.role == Role::TenantAdmin {
            self.ensure_other_admin(&*txn, scope.tenant, user).await?;
        }
        store::memberships::set_role(&*txn, scope.tenant, user, role).await?;
        // A changed role must take effect at once, including in browsers already signed in.
        store::sessions::revoke_all_for_user(&*txn, user).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(scope.tenant), actor, action::ROLE_CHANGED)
                .target("user", user)
                .details(serde_json::json!({ "from": member.role.as_str(), "to": role.as_str() })),
        )
        .await?;
        txn.commit().await?;
        self.changed().await?;
        Ok(TenantMember { role, ..member })
    }

    pub async fn set_member_status(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        user: UserId,
        status: Status,
    ) -> AppResult<TenantMember> {
        if status == Status::Disabled && user == scope.user {
            return Err(AppError::Conflict("you cannot disable yourself".into()));
        }
        let txn = self.store.begin().await?;
        let member = store::memberships::member(&*txn, scope.tenant, user).await?.ok_or(AppError::NotFound("user"))?;
        if member.status == status {
            return Ok(member);
        }
        if status == Status::Disabled && member.role == Role::TenantAdmin {
            self.ensure_other_admin(&*txn, scope.tenant, user).await?;
        }
        store::memberships::set_status(&*txn, scope.tenant, user, status).await?;
        if status == Status::Disabled {
            store::sessions::revoke_all_for_user(&*txn, user).await?;
        }
        let act = if status == Status::Disabled { action::USER_DISABLED } else { action::USER_ENABLED };
        audit::record(&*txn, NewEntry::new(Some(scope.tenant), actor, act).target("user", user)).await?;
        txn.commit().await?;
        self.changed().await?;
        Ok(TenantMember { status, ..member })
    }

    pub async fn tenants(&self, _scope: &PlatformScope, after: Option<TenantId>, limit: u64) -> AppResult<Vec<Tenant>> {
        store::tenants::list(self.store.conn(), after, limit).await
    }

    pub async fn tenant(&self, _scope: &PlatformScope, id: TenantId) -> AppResult<Tenant> {
        store::tenants::get(self.store.conn(), id).await?.ok_or(AppError::NotFound("tenant"))
    }

    /// Creates a tenant; with `admin_email`, that existing user becomes its first tenant admin.
    pub async fn create_tenant(
        &self,
        actor: &Actor,
        name: &str,
        slug: Option<&str>,
        admin_email: Option<&str>,
    ) -> AppResult<Tenant> {
        let name = display_name("name", name, 200)?;
        let slug = match slug {
            Some(s) => TenantSlug::parse(s)?,
            None => TenantSlug::from_name(&name)?,
        };
        let admin_email = admin_email.map(Email::parse).transpose()?;
        let txn = self.store.begin().await?;
        if store::tenants::find_by_slug(&*txn, slug.as_str()).await?.is_some() {
            return Err(AppError::Conflict(format!("the tenant slug `{}` is taken", slug.as_str())));
        }
        let tenant = store::tenants::insert(&*txn, &slug, &name).await?;
        audit::record(
            &*txn,
            NewEntry::new(None, actor, action::TENANT_CREATED)
                .target("tenant", tenant.id)
                .details(serde_json::json!({ "slug": slug.as_str(), "name": name })),
        )
        .await?;
        if let Some(email) = admin_email {
            let user = store::users::find_by_email(&*txn, &email).await?.ok_or(AppError::Validation {
                field: "admin_email",
                reason: "no user has this e-mail address; create the user first".into(),
            })?;
            store::memberships::insert(&*txn, tenant.id, user.id, Role::TenantAdmin).await?;
            audit::record(
                &*txn,
                NewEntry::new(Some(tenant.id), actor, action::MEMBERSHIP_ADDED)
                    .target("user", user.id)
                    .details(serde_json::json!({ "role": Role::TenantAdmin.as_str() })),
            )
            .await?;
        }
        txn.commit().await?;
        self.changed().await?;
        Ok(tenant)
    }

    pub async fn set_tenant_status(&self, actor: &Actor, id: TenantId, status: Status) -> AppResult<Tenant> {
        let txn = self.store.begin().await?;
        let tenant = store::tenants::get(&*txn, id).await?.ok_or(AppError::NotFound("tenant"))?;
        if tenant.status != status {
            store::tenants::set_status(&*txn, id, status).await?;
            let act = if status == Status::Disabled { action::TENANT_DISABLED } else { action::TENANT_ENABLED };
            audit::record(&*txn, NewEntry::new(None, actor, act).target("tenant", id)).await?;
        }
        txn.commit().await?;
        self.changed().await?;
        Ok(Tenant { status, ..tenant })
    }

    /// Operator command: adds a user to a tenant (creating the identity when new) or, for an
    /// existing member, sets the role.
    pub async fn upsert_member(
        &self,
        actor: &Actor,
        tenant: TenantId,
        email: &str,
        display: Option<&str>,
        password: Option<&str>,
        role: Role,
    ) -> AppResult<User> {
        let email = Email::parse(email)?;
        let existing = store::users::find_by_email(self.store.conn(), &email).await?;
        let new_hash = match (&existing, password) {
            (None, Some(pw)) => {
                let pw = NewPassword::parse(pw, self.auth_config().min_password_length, Some(&email))?;
                Some(password::hash(&pw).await?)
            }
            (None, None) => {
                return Err(AppError::Validation { field: "password", reason: "is required for a new user".into() });
            }
            (Some(_), _) => None,
        };
        let txn = self.store.begin().await?;
        let user = match existing {
            Some(u) => u,
            None => {
                let name = match display {
                    Some(n) => display_name("display_name", n, 200)?,
                    None => email.as_str().split('@').next().unwrap_or_default().to_string(),
                };
                let u =
                    store::users::insert(&*txn, &email, &name, new_hash.as_deref().unwrap_or_default(), false).await?;
                audit::record(
                    &*txn,
                    NewEntry::new(Some(tenant), actor, action::USER_CREATED)
                        .target("user", u.id)
                        .details(serde_json::json!({ "email": email.as_str(), "role": role.as_str() })),
                )
                .await?;
                u
            }
        };
        match store::memberships::get(&*txn, tenant, user.id).await? {
            Some(m) if m.role == role => {}
            Some(m) => {
                store::memberships::set_role(&*txn, tenant, user.id, role).await?;
                store::sessions::revoke_all_for_user(&*txn, user.id).await?;
                audit::record(
                    &*txn,
                    NewEntry::new(Some(tenant), actor, action::ROLE_CHANGED)
                        .target("user", user.id)
                        .details(serde_json::json!({ "from": m.role.as_str(), "to": role.as_str() })),
                )
                .await?;
            }
            None => {
                store::memberships::insert(&*txn, tenant, user.id, role).await?;
                audit::record(
                    &*txn,
                    NewEntry::new(Some(tenant), actor, action::MEMBERSHIP_ADDED)
                        .target("user", user.id)
                        .details(serde_json::json!({ "role": role.as_str() })),
                )
                .await?;
            }
        }
        txn.commit().await?;
        self.changed().await?;
        Ok(user)
    }

    /// Operator command: grants or removes platform admin rights.
    pub async fn set_platform_admin(&self, actor: &Actor, email: &str, value: bool) -> AppResult<User> {
        let email = Email::parse(email)?;
        let txn = self.store.begin().await?;
        let user = store::users::find_by_email(&*txn, &email).await?.ok_or(AppError::NotFound("user"))?;
        store::users::set_platform_admin(&*txn, user.id, value).await?;
        if !value {
            store::sessions::revoke_all_for_user(&*txn, user.id).await?;
        }
        audit::record(
            &*txn,
            NewEntry::new(None, actor, action::PLATFORM_ADMIN_GRANTED)
                .target("user", user.id)
                .details(serde_json::json!({ "platform_admin": value })),
        )
        .await?;
        txn.commit().await?;
        self.changed().await?;
        Ok(user)
    }

    pub async fn has_users(&self) -> AppResult<bool> {
        Ok(store::users::count(self.store.conn()).await? > 0)
    }

    /// A one-time link token to create the first administrator, valid for 24 hours. Only its
    /// digest is stored: the token is shown once, on the operator's console.
    pub async fn issue_setup_token(&self) -> AppResult<String> {
        let token = crate::auth::secrets::random_token();
        let expires = store::now() + chrono::Duration::hours(24);
        store::setup_tokens::insert(self.store.conn(), &crate::auth::secrets::digest(&token), expires).await?;
        Ok(token)
    }

    /// Whether a setup link's token is still unused and unexpired.
    pub async fn setup_token_valid(&self, token: &str) -> AppResult<bool> {
        store::setup_tokens::is_valid(self.store.conn(), &crate::auth::secrets::digest(token)).await
    }

    /// First run: the first platform admin, the first tenant, and that admin as its tenant admin.
    /// Refused once any user exists.
    /// With `setup_token` (the digest of a one-time setup link), the link is used up in the same
    /// transaction, so two racing submissions cannot both succeed.
    pub async fn bootstrap(
        &self,
        actor: &Actor,
        email: &str,
        password: &str,
        tenant_name: &str,
        setup_token: Option<&str>,
    ) -> AppResult<Bootstrapped> {
        let email = Email::parse(email)?;
        let pw = NewPassword::parse(password, self.auth_config().min_password_length, Some(&email))?;
        let tenant_name = display_name("tenant", tenant_name, 200)?;
        let slug = TenantSlug::from_name(&tenant_name)?;
        let hash = password::hash(&pw).await?;
        let txn = self.store.begin().await?;
        if let Some(digest) = setup_token
            && !store::setup_tokens::consume(&*txn, digest).await?
        {
            return Err(AppError::NotFound("setup link"));
        }
        if store::users::count(&*txn).await? > 0 {
            return Err(AppError::Conflict("Confab is already set up".into()));
        }
        let name = email.as_str().split('@').next().unwrap_or_default().to_string();
        let user = store::users::insert(&*txn, &email, &name, &hash, true).await?;
        let tenant = store::tenants::insert(&*txn, &slug, &tenant_name).await?;
        store::memberships::insert(&*txn, tenant.id, user.id, Role::TenantAdmin).await?;
        audit::record(
            &*txn,
            NewEntry::new(None, actor, action::SETUP_COMPLETED)
                .target("user", user.id)
                .details(serde_json::json!({ "email": email.as_str(), "tenant": slug.as_str() })),
        )
        .await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(tenant.id), actor, action::TENANT_CREATED)
                .target("tenant", tenant.id)
                .details(serde_json::json!({ "slug": slug.as_str(), "name": tenant_name })),
        )
        .await?;
        txn.commit().await?;
        self.changed().await?;
        Ok(Bootstrapped { user, tenant })
    }

    pub async fn find_tenant(&self, slug_or_id: &str) -> AppResult<Tenant> {
        let conn = self.store.conn();
        if let Ok(id) = uuid::Uuid::parse_str(slug_or_id)
            && let Some(t) = store::tenants::get(conn, TenantId(id)).await?
        {
            return Ok(t);
        }
        store::tenants::find_by_slug(conn, slug_or_id).await?.ok_or(AppError::NotFound("tenant"))
    }

    pub async fn find_user(&self, email: &str) -> AppResult<User> {
        let email = Email::parse(email)?;
        store::users::find_by_email(self.store.conn(), &email).await?.ok_or(AppError::NotFound("user"))
    }
}

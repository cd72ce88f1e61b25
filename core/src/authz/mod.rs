//! Authorization: casbin RBAC with domains (a tenant is a domain), policies in our own table.
//!
//! `Authorizer::require` is the one place every endpoint's (object, action) is enforced. It
//! yields a scope naming the tenant the caller may act in; repositories take that tenant and
//! filter by it, so *whether* and *what* are both decided, always.

mod adapter;

use crate::domain::{PlatformScope, Principal, TenantScope};
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use crate::store::Store;
use casbin::{CoreApi, DefaultModel, Enforcer};
use std::collections::HashMap;
use tokio::sync::RwLock;

/// The casbin model. `p.dom == "*"` is a literal comparison (a role template shared by all
/// domains), never a pattern; `g` links users to roles inside one domain.
const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && p.dom == "*" && r.obj == p.obj && r.act == p.act
"#;

/// The casbin domain of platform-wide actions (tenants, the installation's own audit entries).
pub const PLATFORM_DOMAIN: &str = "platform";
pub const PLATFORM_ADMIN_ROLE: &str = "platform_admin";

pub fn user_subject(user: UserId) -> String {
    format!("user:{}", user.0)
}

pub fn tenant_domain(tenant: TenantId) -> String {
    format!("tenant:{}", tenant.0)
}

/// Whether a permission is exercised inside the caller's active tenant or platform-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Tenant,
    Platform,
}

/// An (object, action) pair that an endpoint declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    pub object: &'static str,
    pub action: &'static str,
    pub level: Level,
}

macro_rules! permissions {
    ($($name:ident = ($obj:literal, $act:literal, $level:ident);)*) => {
        impl Permission {
            $(pub const $name: Permission = Permission { object: $obj, action: $act, level: Level::$level };)*
            pub const ALL: &'static [Permission] = &[$(Permission::$name),*];
        }
    };
}

permissions! {
    PROFILE_READ = ("profile", "read", Tenant);
    PROFILE_UPDATE = ("profile", "update", Tenant);
    OWN_TOKENS_READ = ("own_tokens", "read", Tenant);
    OWN_TOKENS_CREATE = ("own_tokens", "create", Tenant);
    OWN_TOKENS_REVOKE = ("own_tokens", "revoke", Tenant);
    USERS_READ = ("users", "read", Tenant);
    USERS_CREATE = ("users", "create", Tenant);
    USERS_UPDATE = ("users", "update", Tenant);
    TOKENS_READ = ("tokens", "read", Tenant);
    TOKENS_REVOKE = ("tokens", "revoke", Tenant);
    AUDIT_READ = ("audit", "read", Tenant);
    TENANTS_READ = ("tenants", "read", Platform);
    TENANTS_CREATE = ("tenants", "create", Platform);
    TENANTS_UPDATE = ("tenants", "update", Platform);
    PLATFORM_AUDIT_READ = ("audit", "read", Platform);
    CONVERSATIONS_READ = ("conversations", "read", Tenant);
    CONVERSATIONS_WRITE = ("conversations", "write", Tenant);
    MODELS_READ = ("models", "read", Tenant);
    MODELS_MANAGE = ("models", "manage", Tenant);
    PROVIDERS_MANAGE = ("providers", "manage", Tenant);
    PRESETS_READ = ("presets", "read", Tenant);
    PRESETS_WRITE = ("presets", "write", Tenant);
    TENANT_PRESETS_MANAGE = ("tenant_presets", "manage", Tenant);
    USAGE_READ = ("usage", "read", Tenant);
    TENANT_USAGE_READ = ("tenant_usage", "read", Tenant);
    QUOTAS_MANAGE = ("quotas", "manage", Tenant);
    SHARES_READ = ("shares", "read", Tenant);
    SHARES_WRITE = ("shares", "write", Tenant);
    TENANT_SHARES_MANAGE = ("tenant_shares", "manage", Tenant);
    PLUGINS_MANAGE = ("plugins", "manage", Platform);
    PLUGINS_READ = ("plugins", "read", Platform);
    TENANT_PLUGINS_MANAGE = ("tenant_plugins", "manage", Tenant);
    TENANT_PLUGINS_READ = ("tenant_plugins", "read", Tenant);
    AUDIT_SINKS_READ = ("audit_sinks", "read", Tenant);
    AUDIT_SINKS_MANAGE = ("audit_sinks", "manage", Tenant);
    PLATFORM_AUDIT_SINKS_READ = ("audit_sinks", "read", Platform);
    PLATFORM_AUDIT_SINKS_MANAGE = ("audit_sinks", "manage", Platform);
    RETENTION_READ = ("retention", "read", Tenant);
    RETENTION_MANAGE = ("retention", "manage", Tenant);
    LEGAL_HOLDS_READ = ("legal_holds", "read", Tenant);
    LEGAL_HOLDS_MANAGE = ("legal_holds", "manage", Tenant);
    USERS_ERASE = ("users", "erase", Tenant);
    PLATFORM_RETENTION_READ = ("retention", "read", Platform);
    PLATFORM_RETENTION_MANAGE = ("retention", "manage", Platform);
    PLATFORM_LEGAL_HOLDS_READ = ("legal_holds", "read", Platform);
    IDENTITY_READ = ("identity", "read", Tenant);
    IDENTITY_MANAGE = ("identity", "manage", Tenant);
}

pub struct Authorizer {
    enforcer: RwLock<Enforcer>,
    /// Decisions of the loaded policy, (subject, domain, object, action) → allowed: every
    /// request asks one or two, and casbin evaluates its matcher script each time. Written only
    /// under the enforcer's read lock and emptied under its write lock when the policy reloads, so
    /// a decision never outlives the policy it came from.
    decisions: std::sync::Mutex<HashMap<Decision, bool>>,
    store: Store,
    /// The policy version loaded, and when the store was last asked for the current one.
    loaded: std::sync::Mutex<(i64, std::time::Instant)>,
}

/// A request to the enforcer (objects and actions are the permissions' static names).
type Decision = (String, String, &'static str, &'static str);

/// Most decisions kept; past that the cache starts over (it refills from the requests that come).
const MAX_DECISIONS: usize = 100_000;

/// How long a process may go without checking whether the policy changed elsewhere (another
/// replica, an operator command). Changes made through this process apply at once.
const FRESHNESS: std::time::Duration = std::time::Duration::from_secs(1);

impl Authorizer {
    pub async fn load(store: Store) -> AppResult<Self> {
        let model = DefaultModel::from_str(MODEL).await.map_err(|e| AppError::Internal(e.to_string()))?;
        let adapter = adapter::StoreAdapter::new(store.clone());
        let version = crate::store::policy::version(store.conn()).await?;
        let enforcer = Enforcer::new(model, adapter).await.map_err(casbin_err)?;
        Ok(Self {
            enforcer: RwLock::new(enforcer),
            decisions: std::sync::Mutex::default(),
            store,
            loaded: std::sync::Mutex::new((version, std::time::Instant::now())),
        })
    }

    /// Re-reads every rule and membership. Called after any change to roles or memberships.
    pub async fn reload(&self) -> AppResult<()> {
        let version = crate::store::policy::version(self.store.conn()).await?;
        let mut enforcer = self.enforcer.write().await;
        let reloaded = enforcer.load_policy().await.map_err(casbin_err);
        // Even a failed load may have changed the rules in memory.
        self.decisions().clear();
        drop(enforcer);
        reloaded?;
        if let Ok(mut loaded) = self.loaded.lock() {
            *loaded = (version, std::time::Instant::now());
        }
        Ok(())
    }

    /// Reloads when the stored policy version moved since we loaded (checked at most once per
    /// `FRESHNESS`).
    async fn ensure_fresh(&self) -> AppResult<()> {
        let loaded_version = match self.loaded.lock() {
            Ok(mut loaded) if loaded.1.elapsed() >= FRESHNESS => {
                loaded.1 = std::time::Instant::now();
                Some(loaded.0)
            }
            _ => None,
        };
        if let Some(loaded_version) = loaded_version
            && crate::store::policy::version(self.store.conn()).await? != loaded_version
        {
            tracing::info!("authorization policy changed elsewhere; reloading");
            self.reload().await?;
        }
        Ok(())
    }

    fn decisions(&self) -> std::sync::MutexGuard<'_, HashMap<Decision, bool>> {
        self.decisions.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn enforce(&self, sub: &str, dom: &str, obj: &'static str, act: &'static str) -> AppResult<bool> {
        self.ensure_fresh().await?;
        let enforcer = self.enforcer.read().await;
        let key = (sub.to_owned(), dom.to_owned(), obj, act);
        if let Some(allowed) = self.decisions().get(&key) {
            return Ok(*allowed);
        }
        let allowed = enforcer.enforce((sub, dom, obj, act)).map_err(casbin_err)?;
        let mut decisions = self.decisions();
        if decisions.len() >= MAX_DECISIONS {
            decisions.clear();
        }
        decisions.insert(key, allowed);
        Ok(allowed)
    }

    /// Allows a tenant-level permission in the principal's active tenant.
    pub async fn require_tenant(&self, principal: &Principal, perm: Permission) -> AppResult<TenantScope> {
        debug_assert_eq!(perm.level, Level::Tenant);
        let Some(tenant) = &principal.tenant else {
            return Err(AppError::Forbidden(
                "you have no active tenant; ask an administrator to add you to one".into(),
            ));
        };
        let dom = tenant_domain(tenant.id);
        let mut allowed = self.enforce(&user_subject(principal.user_id), &dom, perm.object, perm.action).await?;
        // An API token may do no more than its scope role allows, whatever the user's role.
        if allowed && let Some(scope) = principal.token_scope() {
            allowed = self.enforce(scope.as_str(), &dom, perm.object, perm.action).await?;
        }
        if allowed {
            Ok(TenantScope { tenant: tenant.id, user: principal.user_id, role: tenant.role })
        } else {
            Err(denied(perm))
        }
    }

    /// Allows a platform-level permission. API tokens never carry platform rights.
    pub async fn require_platform(&self, principal: &Principal, perm: Permission) -> AppResult<PlatformScope> {
        debug_assert_eq!(perm.level, Level::Platform);
        let allowed = principal.token_scope().is_none()
            && self.enforce(&user_subject(principal.user_id), PLATFORM_DOMAIN, perm.object, perm.action).await?;
        if allowed { Ok(PlatformScope { user: principal.user_id }) } else { Err(denied(perm)) }
    }
}

fn denied(perm: Permission) -> AppError {
    AppError::Forbidden(format!("your role does not allow {} on {}", perm.action, perm.object))
}

fn casbin_err(e: casbin::Error) -> AppError {
    AppError::Internal(format!("authorization policy: {e}"))
}

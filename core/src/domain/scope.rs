//! Proofs of authorization: only `authz::Authorizer` makes them, and every tenant-scoped
//! repository call takes one, so a handler cannot reach a tenant it was not allowed into.
use super::{Role, TenantId, UserId};

/// Proof that the caller may act in one tenant: the only way handlers obtain a tenant id.
#[derive(Debug, Clone, Copy)]
pub struct TenantScope {
    pub tenant: TenantId,
    pub user: UserId,
    pub role: Role,
}

/// Proof that the caller is a platform admin.
#[derive(Debug, Clone, Copy)]
pub struct PlatformScope {
    pub user: UserId,
}

//! Role templates for presets, usage and quotas, share snapshots and history search.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POLICY: &[(&str, &str, &str)] = &[
    // Personal presets, and reading the tenant's presets.
    ("member", "presets", "read"),
    ("member", "presets", "write"),
    ("auditor", "presets", "read"),
    ("auditor", "presets", "write"),
    ("tenant_admin", "presets", "read"),
    ("tenant_admin", "presets", "write"),
    ("tenant_admin", "tenant_presets", "manage"),
    // The caller's own usage and remaining quota.
    ("member", "usage", "read"),
    ("auditor", "usage", "read"),
    ("tenant_admin", "usage", "read"),
    // The tenant's usage and quotas.
    ("auditor", "tenant_usage", "read"),
    ("tenant_admin", "tenant_usage", "read"),
    ("tenant_admin", "quotas", "manage"),
    // Share snapshots: one's own, and every share of the tenant (admins).
    ("member", "shares", "read"),
    ("member", "shares", "write"),
    ("auditor", "shares", "read"),
    ("auditor", "shares", "write"),
    ("tenant_admin", "shares", "read"),
    ("tenant_admin", "shares", "write"),
    ("tenant_admin", "tenant_shares", "manage"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::grant(manager, POLICY).await
    }
}

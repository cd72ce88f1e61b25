//! Role templates for presets, usage and quotas, share snapshots and history search.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CasbinRules {
    Table,
    Ptype,
    V0,
    V1,
    V2,
    V3,
}

#[derive(DeriveIden)]
enum PolicyVersion {
    Table,
    Id,
    Version,
}

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
        let mut insert = Query::insert()
            .into_table(CasbinRules::Table)
            .columns([CasbinRules::Ptype, CasbinRules::V0, CasbinRules::V1, CasbinRules::V2, CasbinRules::V3])
            .to_owned();
        for (role, obj, act) in POLICY {
            insert.values_panic(["p".into(), (*role).into(), "*".into(), (*obj).into(), (*act).into()]);
        }
        manager.exec_stmt(insert).await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(PolicyVersion::Table)
                    .value(PolicyVersion::Version, Expr::col(PolicyVersion::Version).add(1))
                    .and_where(Expr::col(PolicyVersion::Id).eq(1))
                    .to_owned(),
            )
            .await
    }
}

//! casbin policy rows, in our own table, with the role templates every tenant shares.
//!
//! `p` rows use the domain `*` to mean "in whichever domain the subject holds the role"; the
//! matcher compares it literally, never as a pattern. `g` rows for tenant roles are derived from
//! `memberships` by the adapter, so they are not duplicated here.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A counter bumped in the same transaction as any change to roles, memberships or rules, so
/// every server process can tell cheaply that its loaded policy is stale.
#[derive(DeriveIden)]
enum PolicyVersion {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden)]
enum CasbinRules {
    Table,
    Id,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
}

/// (role, object, action) granted by default.
const DEFAULT_POLICY: &[(&str, &str, &str)] = &[
    ("member", "profile", "read"),
    ("member", "profile", "update"),
    ("member", "own_tokens", "read"),
    ("member", "own_tokens", "create"),
    ("member", "own_tokens", "revoke"),
    ("auditor", "profile", "read"),
    ("auditor", "profile", "update"),
    ("auditor", "own_tokens", "read"),
    ("auditor", "own_tokens", "create"),
    ("auditor", "own_tokens", "revoke"),
    ("auditor", "audit", "read"),
    ("tenant_admin", "profile", "read"),
    ("tenant_admin", "profile", "update"),
    ("tenant_admin", "own_tokens", "read"),
    ("tenant_admin", "own_tokens", "create"),
    ("tenant_admin", "own_tokens", "revoke"),
    ("tenant_admin", "audit", "read"),
    ("tenant_admin", "users", "read"),
    ("tenant_admin", "users", "create"),
    ("tenant_admin", "users", "update"),
    ("tenant_admin", "tokens", "read"),
    ("tenant_admin", "tokens", "revoke"),
    ("platform_admin", "tenants", "read"),
    ("platform_admin", "tenants", "create"),
    ("platform_admin", "tenants", "update"),
    ("platform_admin", "audit", "read"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let col = |c: CasbinRules| ColumnDef::new(c).string_len(128).not_null().default("").take();
        manager
            .create_table(
                Table::create()
                    .table(CasbinRules::Table)
                    .col(ColumnDef::new(CasbinRules::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(CasbinRules::Ptype).string_len(8).not_null())
                    .col(col(CasbinRules::V0))
                    .col(col(CasbinRules::V1))
                    .col(col(CasbinRules::V2))
                    .col(col(CasbinRules::V3))
                    .col(col(CasbinRules::V4))
                    .col(col(CasbinRules::V5))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("casbin_rules_unique")
                    .table(CasbinRules::Table)
                    .col(CasbinRules::Ptype)
                    .col(CasbinRules::V0)
                    .col(CasbinRules::V1)
                    .col(CasbinRules::V2)
                    .col(CasbinRules::V3)
                    .col(CasbinRules::V4)
                    .col(CasbinRules::V5)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PolicyVersion::Table)
                    .col(ColumnDef::new(PolicyVersion::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(PolicyVersion::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(PolicyVersion::Table)
                    .columns([PolicyVersion::Id, PolicyVersion::Version])
                    .values_panic([1.into(), 1i64.into()])
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(CasbinRules::Table)
            .columns([CasbinRules::Ptype, CasbinRules::V0, CasbinRules::V1, CasbinRules::V2, CasbinRules::V3])
            .to_owned();
        for (role, obj, act) in DEFAULT_POLICY {
            insert.values_panic(["p".into(), (*role).into(), "*".into(), (*obj).into(), (*act).into()]);
        }
        manager.exec_stmt(insert).await
    }
}

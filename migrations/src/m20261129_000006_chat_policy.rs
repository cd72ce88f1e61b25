//! Role templates for conversations, the model catalogue and provider keys.
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
    ("member", "conversations", "read"),
    ("member", "conversations", "write"),
    ("member", "models", "read"),
    ("auditor", "conversations", "read"),
    ("auditor", "conversations", "write"),
    ("auditor", "models", "read"),
    ("tenant_admin", "conversations", "read"),
    ("tenant_admin", "conversations", "write"),
    ("tenant_admin", "models", "read"),
    ("tenant_admin", "models", "manage"),
    ("tenant_admin", "providers", "manage"),
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

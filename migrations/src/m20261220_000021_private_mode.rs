//! Private mode: whether a tenant lets its members keep conversations only in their browser.
//! One row per tenant that set it; a tenant without a row allows it. `reason` is what members
//! are told when it is off (a retention duty, a policy). An active tenant-wide legal hold forbids
//! private mode whatever this row says; that is decided when a turn starts, not stored here.
use crate::{tenant_fk, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantPrivateMode {
    Table,
    TenantId,
    Allowed,
    Reason,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantPrivateMode::Table)
                    .col(ColumnDef::new(TenantPrivateMode::TenantId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TenantPrivateMode::Allowed).boolean().not_null())
                    .col(ColumnDef::new(TenantPrivateMode::Reason).text().null())
                    .col(ColumnDef::new(TenantPrivateMode::UpdatedBy).text().not_null())
                    .col(timestamp(TenantPrivateMode::UpdatedAt))
                    .foreign_key(&mut tenant_fk(TenantPrivateMode::Table))
                    .to_owned(),
            )
            .await
    }
}

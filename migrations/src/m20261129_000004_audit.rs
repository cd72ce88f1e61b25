//! The append-only, hash-chained audit log and the single-row head of its chain.
//!
//! Writers lock the head row first (an UPDATE), so concurrent entries serialize on both SQLite
//! and PostgreSQL and the chain never forks.
use crate::{timestamp, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Seq,
    TenantId,
    ActorUserId,
    ActorLabel,
    Action,
    TargetType,
    TargetId,
    Outcome,
    Ip,
    RequestId,
    Details,
    CreatedAt,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChain {
    Table,
    Id,
    Seq,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(uuid_pk(AuditLog::Id))
                    .col(ColumnDef::new(AuditLog::Seq).big_integer().not_null().unique_key())
                    .col(ColumnDef::new(AuditLog::TenantId).uuid().null())
                    .col(ColumnDef::new(AuditLog::ActorUserId).uuid().null())
                    .col(ColumnDef::new(AuditLog::ActorLabel).string_len(254).not_null())
                    .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::TargetType).string_len(32).null())
                    .col(ColumnDef::new(AuditLog::TargetId).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(AuditLog::Ip).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::Details).text().not_null())
                    .col(timestamp(AuditLog::CreatedAt))
                    .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditChain::Table)
                    .col(ColumnDef::new(AuditChain::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(AuditChain::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AuditChain::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        let genesis = "0".repeat(64);
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditChain::Table)
                    .columns([AuditChain::Id, AuditChain::Seq, AuditChain::Hash])
                    .values_panic([1.into(), 0i64.into(), genesis.into()])
                    .to_owned(),
            )
            .await
    }
}

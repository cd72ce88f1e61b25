//! Per-scope audit chains, so one tenant's log (or the platform's) verifies on its own, from an
//! export, and a prefix of it can be purged behind a checkpoint.
//!
//! Rows written before this migration keep their hashes: they stay one legacy global chain whose
//! head (`audit_chain`, row 1) is frozen from now on. New rows carry `chain_seq`, their place in
//! their scope's chain; each scope's chain starts with a genesis entry that commits to that frozen
//! legacy head. `audit_heads` holds one head row per scope, locked by every append to that scope
//! only, so tenants no longer queue behind each other.
//!
//! `seq` stays unique across the installation (a row's number, and the cursor of every list). On
//! PostgreSQL a sequence hands it out, after the scope's lock is taken, so it still grows along
//! each chain; SQLite writers are serial anyway and take `MAX(seq) + 1`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TenantId,
    ChainSeq,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    Scope,
    ChainSeq,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(ColumnDef::new(AuditLog::ChainSeq).big_integer().null())
                    .to_owned(),
            )
            .await?;
        // Chain order within a scope: exports, verification and purges read it as a range.
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_chain_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::ChainSeq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditHeads::Table)
                    .col(ColumnDef::new(AuditHeads::Scope).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(AuditHeads::ChainSeq).big_integer().not_null())
                    .col(ColumnDef::new(AuditHeads::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("CREATE SEQUENCE audit_log_seq").await?;
            db.execute_unprepared(
                "SELECT setval('audit_log_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log), false)",
            )
            .await?;
        }
        Ok(())
    }
}

//! What the admin console needs: sessions know which surface they belong to (the chat or the
//! console, each with its own cookie and idle timeout), usage events keep the turn's time to
//! first token (for the overview's TTFT over time), an index for the audit log's action filter,
//! and one over the answers that carry plugin runs (the console's recent runs and failures).
//! Auditors, the console's read-only users, may now list the tenant's users and API tokens.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Auditors read who the tenant's users are and which API tokens exist (never change them).
const AUDITOR_READS: &[(&str, &str, &str)] = &[("auditor", "users", "read"), ("auditor", "tokens", "read")];

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Surface,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    TtftMs,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TenantId,
    Action,
    Seq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(ColumnDef::new(Sessions::Surface).string_len(16).not_null().default("chat"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(UsageEvents::Table)
                    .add_column(ColumnDef::new(UsageEvents::TtftMs).integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_action_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::Action)
                    .col(AuditLog::Seq)
                    .to_owned(),
            )
            .await?;
        // Partial: only answers of tenants with a plugin chain carry runs, and only once finished.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX messages_plugin_runs ON messages (tenant_id, id) WHERE plugin_runs IS NOT NULL",
            )
            .await?;
        crate::grant(manager, AUDITOR_READS).await
    }
}

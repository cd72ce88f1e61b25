//! Indexes for the audit log's filters by actor and by object, so the admin console pages them in
//! milliseconds instead of walking the tenant's whole log: a filter matching few entries of a
//! million-entry log (an occasional user, one user's record) otherwise reads every entry
//! (3–4 s on SQLite; scripts/bench-admin.sh measures it). Each ends in `seq`, so a page is one
//! index range read newest first, as the tenant-and-sequence index serves unfiltered pages. A time
//! range is first turned into a sequence range through `(tenant_id, created_at)`.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TenantId,
    ActorUserId,
    TargetType,
    TargetId,
    Seq,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_actor_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::ActorUserId)
                    .col(AuditLog::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_target_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::TargetType)
                    .col(AuditLog::TargetId)
                    .col(AuditLog::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_created")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::CreatedAt)
                    .to_owned(),
            )
            .await
    }
}

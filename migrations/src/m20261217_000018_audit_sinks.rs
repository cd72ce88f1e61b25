//! SIEM sinks of the audit log: where a tenant's (or the installation's) audit entries are
//! pushed, how far delivery got (the last delivered `seq`: the audit log itself is the outbox),
//! the delivery status, and the lease that lets one replica at a time deliver a sink.
use crate::{tenant_fk, timestamp, timestamp_null, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditSinks {
    Table,
    Id,
    TenantId,
    Name,
    Kind,
    Url,
    SecretSealed,
    Enabled,
    CursorSeq,
    Attempts,
    LastError,
    LastErrorAt,
    LastSuccessAt,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    CreatedAt,
    UpdatedAt,
}

const POLICY: &[(&str, &str, &str)] = &[
    // A tenant's sinks are its admins'; auditors see them and their delivery status.
    ("tenant_admin", "audit_sinks", "manage"),
    ("tenant_admin", "audit_sinks", "read"),
    ("auditor", "audit_sinks", "read"),
    // The installation's own sinks (platform-scope entries) are the operator's.
    ("platform_admin", "audit_sinks", "manage"),
    ("platform_admin", "audit_sinks", "read"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditSinks::Table)
                    .col(uuid_pk(AuditSinks::Id))
                    // NULL: a platform sink (the installation's own entries).
                    .col(ColumnDef::new(AuditSinks::TenantId).uuid().null())
                    .col(ColumnDef::new(AuditSinks::Name).string_len(100).not_null())
                    // `webhook` or `syslog`.
                    .col(ColumnDef::new(AuditSinks::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(AuditSinks::Url).string_len(2048).not_null())
                    // The webhook's signing secret, sealed under the installation's master key.
                    .col(ColumnDef::new(AuditSinks::SecretSealed).text().null())
                    .col(ColumnDef::new(AuditSinks::Enabled).boolean().not_null())
                    // The last audit `seq` delivered (entries after it are the backlog).
                    .col(ColumnDef::new(AuditSinks::CursorSeq).big_integer().not_null())
                    // Consecutive failed attempts since the last success.
                    .col(ColumnDef::new(AuditSinks::Attempts).integer().not_null())
                    .col(ColumnDef::new(AuditSinks::LastError).string_len(500).null())
                    .col(timestamp_null(AuditSinks::LastErrorAt))
                    .col(timestamp_null(AuditSinks::LastSuccessAt))
                    .col(timestamp_null(AuditSinks::NextAttemptAt))
                    .col(ColumnDef::new(AuditSinks::LeaseOwner).string_len(64).null())
                    .col(timestamp_null(AuditSinks::LeaseUntil))
                    .col(timestamp(AuditSinks::CreatedAt))
                    .col(timestamp(AuditSinks::UpdatedAt))
                    .foreign_key(&mut tenant_fk(AuditSinks::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_sinks_tenant")
                    .table(AuditSinks::Table)
                    .col(AuditSinks::TenantId)
                    .col(AuditSinks::CreatedAt)
                    .to_owned(),
            )
            .await?;
        crate::grant(manager, POLICY).await
    }
}

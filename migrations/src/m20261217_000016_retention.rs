//! Retention: per-tenant policies within the platform's default and bounds, legal holds, the
//! purge's lease, the daily usage rollup that outlives purged usage events, and the soft delete
//! of conversations.
//!
//! - `retention_policies`: one row per tenant that set its own (a tenant without one follows the
//!   platform default). Periods are days; `NULL` keeps forever.
//! - `retention_platform`: one row (`id = 1`), the platform default and the floor and ceiling
//!   every tenant policy must stay within, as JSON (three policies of the same shape).
//! - `legal_holds`: on a tenant, a user or a conversation. A held object is never hard-deleted.
//!   Releasing keeps the row (who and when), so the history of holds stays listable.
//! - `retention_leases`: one row per background job; the replica whose lease has not expired
//!   is the one that works, and renews it while it does.
//! - `usage_daily`: usage events folded per (tenant, day, user, model) before they are purged,
//!   and `usage_daily_ttft` each purged day's time-to-first-token percentiles, so the usage
//!   charts read rollups plus the live rows and stay right.
//! - `conversations.deleted_at`: a user's delete hides the conversation; the purge removes it
//!   after the tenant's grace period (never while a hold covers it).
use crate::{tenant_fk, timestamp, timestamp_null, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Who may read and change retention, holds and erasure.
const POLICY: &[(&str, &str, &str)] = &[
    ("tenant_admin", "retention", "read"),
    ("auditor", "retention", "read"),
    ("tenant_admin", "retention", "manage"),
    ("tenant_admin", "legal_holds", "read"),
    ("auditor", "legal_holds", "read"),
    ("tenant_admin", "legal_holds", "manage"),
    ("tenant_admin", "users", "erase"),
    ("platform_admin", "retention", "read"),
    ("platform_admin", "retention", "manage"),
    ("platform_admin", "legal_holds", "read"),
];

#[derive(DeriveIden)]
enum RetentionPolicies {
    Table,
    TenantId,
    ConversationDays,
    DeletedGraceDays,
    ShareDays,
    UsageDays,
    AuditDays,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RetentionPlatform {
    Table,
    Id,
    Settings,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LegalHolds {
    Table,
    Id,
    TenantId,
    Scope,
    SubjectId,
    CaseName,
    Reason,
    CreatedBy,
    CreatedByLabel,
    CreatedAt,
    ReleasedAt,
    ReleasedBy,
    ReleasedByLabel,
}

#[derive(DeriveIden)]
enum RetentionLeases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum UsageDaily {
    Table,
    TenantId,
    Day,
    UserId,
    Model,
    Turns,
    FailedTurns,
    InputTokens,
    OutputTokens,
    Cost,
}

#[derive(DeriveIden)]
enum UsageDailyTtft {
    Table,
    TenantId,
    Day,
    P50Ms,
    P99Ms,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    TenantId,
    DeletedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    Day,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let days = |c: RetentionPolicies| ColumnDef::new(c).big_integer().null().take();
        manager
            .create_table(
                Table::create()
                    .table(RetentionPolicies::Table)
                    .col(ColumnDef::new(RetentionPolicies::TenantId).uuid().not_null().primary_key())
                    .col(days(RetentionPolicies::ConversationDays))
                    .col(days(RetentionPolicies::DeletedGraceDays))
                    .col(days(RetentionPolicies::ShareDays))
                    .col(days(RetentionPolicies::UsageDays))
                    .col(days(RetentionPolicies::AuditDays))
                    .col(ColumnDef::new(RetentionPolicies::UpdatedBy).uuid().null())
                    .col(timestamp(RetentionPolicies::UpdatedAt))
                    .foreign_key(&mut tenant_fk(RetentionPolicies::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RetentionPlatform::Table)
                    .col(ColumnDef::new(RetentionPlatform::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(RetentionPlatform::Settings).text().not_null())
                    .col(ColumnDef::new(RetentionPlatform::UpdatedBy).uuid().null())
                    .col(timestamp(RetentionPlatform::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LegalHolds::Table)
                    .col(uuid_pk(LegalHolds::Id))
                    .col(ColumnDef::new(LegalHolds::TenantId).uuid().not_null())
                    // `tenant`, `user` or `conversation`; the subject is NULL for a tenant hold.
                    .col(ColumnDef::new(LegalHolds::Scope).string_len(16).not_null())
                    .col(ColumnDef::new(LegalHolds::SubjectId).uuid().null())
                    .col(ColumnDef::new(LegalHolds::CaseName).string_len(200).not_null())
                    .col(ColumnDef::new(LegalHolds::Reason).text().not_null())
                    .col(ColumnDef::new(LegalHolds::CreatedBy).uuid().null())
                    .col(ColumnDef::new(LegalHolds::CreatedByLabel).string_len(254).not_null())
                    .col(timestamp(LegalHolds::CreatedAt))
                    .col(timestamp_null(LegalHolds::ReleasedAt))
                    .col(ColumnDef::new(LegalHolds::ReleasedBy).uuid().null())
                    .col(ColumnDef::new(LegalHolds::ReleasedByLabel).string_len(254).null())
                    .foreign_key(&mut tenant_fk(LegalHolds::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("legal_holds_active")
                    .table(LegalHolds::Table)
                    .col(LegalHolds::TenantId)
                    .col(LegalHolds::ReleasedAt)
                    .col(LegalHolds::Scope)
                    .col(LegalHolds::SubjectId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RetentionLeases::Table)
                    .col(ColumnDef::new(RetentionLeases::Name).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(RetentionLeases::Holder).string_len(128).not_null())
                    .col(timestamp(RetentionLeases::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageDaily::Table)
                    .col(ColumnDef::new(UsageDaily::TenantId).uuid().not_null())
                    .col(ColumnDef::new(UsageDaily::Day).string_len(10).not_null())
                    .col(ColumnDef::new(UsageDaily::UserId).uuid().not_null())
                    .col(ColumnDef::new(UsageDaily::Model).string_len(128).not_null())
                    .col(ColumnDef::new(UsageDaily::Turns).big_integer().not_null())
                    .col(ColumnDef::new(UsageDaily::FailedTurns).big_integer().not_null())
                    .col(ColumnDef::new(UsageDaily::InputTokens).big_integer().not_null())
                    .col(ColumnDef::new(UsageDaily::OutputTokens).big_integer().not_null())
                    .col(ColumnDef::new(UsageDaily::Cost).double().not_null())
                    .primary_key(
                        Index::create()
                            .col(UsageDaily::TenantId)
                            .col(UsageDaily::Day)
                            .col(UsageDaily::UserId)
                            .col(UsageDaily::Model),
                    )
                    .foreign_key(&mut tenant_fk(UsageDaily::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageDailyTtft::Table)
                    .col(ColumnDef::new(UsageDailyTtft::TenantId).uuid().not_null())
                    .col(ColumnDef::new(UsageDailyTtft::Day).string_len(10).not_null())
                    .col(ColumnDef::new(UsageDailyTtft::P50Ms).big_integer().null())
                    .col(ColumnDef::new(UsageDailyTtft::P99Ms).big_integer().null())
                    .primary_key(Index::create().col(UsageDailyTtft::TenantId).col(UsageDailyTtft::Day))
                    .foreign_key(&mut tenant_fk(UsageDailyTtft::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(ColumnDef::new(Conversations::DeletedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // The purge's scans: conversations by last activity, deleted ones by when, shares by age,
        // usage events by day.
        manager
            .create_index(
                Index::create()
                    .name("conversations_tenant_activity")
                    .table(Conversations::Table)
                    .col(Conversations::TenantId)
                    .col(Conversations::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("conversations_tenant_deleted")
                    .table(Conversations::Table)
                    .col(Conversations::TenantId)
                    .col(Conversations::DeletedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("shares_created").table(Shares::Table).col(Shares::CreatedAt).to_owned())
            .await?;
        manager
            .create_index(
                Index::create().name("usage_events_day").table(UsageEvents::Table).col(UsageEvents::Day).to_owned(),
            )
            .await?;
        crate::grant(manager, POLICY).await
    }
}

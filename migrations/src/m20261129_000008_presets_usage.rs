//! Presets with immutable versions (and the conversation's pinned version), each tenant's list of
//! models presets may use, token quotas, and usage events.
use crate::m20261129_000001_identity::Users;
use crate::{tenant_fk, timestamp, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Presets {
    Table,
    Id,
    TenantId,
    OwnerId,
    CurrentVersion,
    Archived,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PresetVersions {
    Table,
    Id,
    TenantId,
    PresetId,
    Version,
    Name,
    Description,
    Model,
    SystemPrompt,
    Temperature,
    MaxTokens,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PresetPolicies {
    Table,
    TenantId,
    AllowedModels,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    PresetVersionId,
}

#[derive(DeriveIden)]
enum Quotas {
    Table,
    Id,
    TenantId,
    Subject,
    UserId,
    Period,
    TokenLimit,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    Id,
    TenantId,
    UserId,
    ConversationId,
    MessageId,
    Model,
    InputTokens,
    OutputTokens,
    Cost,
    Outcome,
    Day,
    Month,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Presets::Table)
                    .col(uuid_pk(Presets::Id))
                    .col(ColumnDef::new(Presets::TenantId).uuid().not_null())
                    // NULL for a tenant preset (managed by tenant admins); the user for a personal one.
                    .col(ColumnDef::new(Presets::OwnerId).uuid().null())
                    .col(ColumnDef::new(Presets::CurrentVersion).integer().not_null())
                    .col(ColumnDef::new(Presets::Archived).boolean().not_null().default(false))
                    .col(timestamp(Presets::CreatedAt))
                    .col(timestamp(Presets::UpdatedAt))
                    .foreign_key(&mut tenant_fk(Presets::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Presets::Table, Presets::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("presets_tenant")
                    .table(Presets::Table)
                    .col(Presets::TenantId)
                    .col(Presets::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PresetVersions::Table)
                    .col(uuid_pk(PresetVersions::Id))
                    .col(ColumnDef::new(PresetVersions::TenantId).uuid().not_null())
                    .col(ColumnDef::new(PresetVersions::PresetId).uuid().not_null())
                    .col(ColumnDef::new(PresetVersions::Version).integer().not_null())
                    .col(ColumnDef::new(PresetVersions::Name).string_len(100).not_null())
                    .col(ColumnDef::new(PresetVersions::Description).string_len(1000).not_null())
                    .col(ColumnDef::new(PresetVersions::Model).string_len(128).null())
                    .col(ColumnDef::new(PresetVersions::SystemPrompt).text().not_null())
                    .col(ColumnDef::new(PresetVersions::Temperature).double().null())
                    .col(ColumnDef::new(PresetVersions::MaxTokens).big_integer().null())
                    .col(ColumnDef::new(PresetVersions::CreatedBy).uuid().null())
                    .col(timestamp(PresetVersions::CreatedAt))
                    .foreign_key(&mut tenant_fk(PresetVersions::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PresetVersions::Table, PresetVersions::PresetId)
                            .to(Presets::Table, Presets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("preset_versions_unique")
                    .table(PresetVersions::Table)
                    .col(PresetVersions::PresetId)
                    .col(PresetVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PresetPolicies::Table)
                    .col(ColumnDef::new(PresetPolicies::TenantId).uuid().not_null().primary_key())
                    // JSON array of model ids presets may use; NULL allows every model of the catalogue.
                    .col(ColumnDef::new(PresetPolicies::AllowedModels).text().null())
                    .col(timestamp(PresetPolicies::UpdatedAt))
                    .foreign_key(&mut tenant_fk(PresetPolicies::Table))
                    .to_owned(),
            )
            .await?;
        // The version a conversation is pinned to. No foreign key: versions are never deleted
        // while their preset lives, and SQLite cannot add one to an existing table.
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(ColumnDef::new(Conversations::PresetVersionId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Quotas::Table)
                    .col(uuid_pk(Quotas::Id))
                    .col(ColumnDef::new(Quotas::TenantId).uuid().not_null())
                    // `tenant` (the whole tenant), `user_default` (each user) or `user` (one user).
                    .col(ColumnDef::new(Quotas::Subject).string_len(16).not_null())
                    // The user of a `user` quota; the nil UUID otherwise, so the unique index holds.
                    .col(ColumnDef::new(Quotas::UserId).uuid().not_null())
                    .col(ColumnDef::new(Quotas::Period).string_len(8).not_null())
                    .col(ColumnDef::new(Quotas::TokenLimit).big_integer().not_null())
                    .col(timestamp(Quotas::CreatedAt))
                    .col(timestamp(Quotas::UpdatedAt))
                    .foreign_key(&mut tenant_fk(Quotas::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("quotas_unique")
                    .table(Quotas::Table)
                    .col(Quotas::TenantId)
                    .col(Quotas::Subject)
                    .col(Quotas::UserId)
                    .col(Quotas::Period)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageEvents::Table)
                    .col(uuid_pk(UsageEvents::Id))
                    .col(ColumnDef::new(UsageEvents::TenantId).uuid().not_null())
                    .col(ColumnDef::new(UsageEvents::UserId).uuid().not_null())
                    // Kept when the conversation is deleted: usage is the tenant's record of spend.
                    .col(ColumnDef::new(UsageEvents::ConversationId).uuid().not_null())
                    .col(ColumnDef::new(UsageEvents::MessageId).uuid().not_null())
                    .col(ColumnDef::new(UsageEvents::Model).string_len(128).not_null())
                    .col(ColumnDef::new(UsageEvents::InputTokens).big_integer().not_null())
                    .col(ColumnDef::new(UsageEvents::OutputTokens).big_integer().not_null())
                    .col(ColumnDef::new(UsageEvents::Cost).double().not_null())
                    .col(ColumnDef::new(UsageEvents::Outcome).string_len(16).not_null())
                    // UTC calendar day and month of the quota windows the turn counted against.
                    .col(ColumnDef::new(UsageEvents::Day).string_len(10).not_null())
                    .col(ColumnDef::new(UsageEvents::Month).string_len(7).not_null())
                    .col(timestamp(UsageEvents::CreatedAt))
                    .foreign_key(&mut tenant_fk(UsageEvents::Table))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("usage_events_user_day", vec![UsageEvents::TenantId, UsageEvents::UserId, UsageEvents::Day]),
            ("usage_events_user_month", vec![UsageEvents::TenantId, UsageEvents::UserId, UsageEvents::Month]),
            ("usage_events_tenant_day", vec![UsageEvents::TenantId, UsageEvents::Day]),
            ("usage_events_tenant_month", vec![UsageEvents::TenantId, UsageEvents::Month]),
        ] {
            let mut index = Index::create().name(name).table(UsageEvents::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }
}

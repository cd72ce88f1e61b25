//! Plugins: uploaded WebAssembly components and their manifests (platform admins), and each
//! tenant's chain — which plugin versions run, in what order, with what configuration, failure
//! policy and time budget (tenant admins).
use crate::{tenant_fk, timestamp, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plugins {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PluginVersions {
    Table,
    Id,
    PluginId,
    Version,
    Manifest,
    Component,
    Sha256,
    SizeBytes,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TenantPlugins {
    Table,
    Id,
    TenantId,
    PluginId,
    VersionId,
    Enabled,
    Position,
    Config,
    FailurePolicy,
    TimeBudgetMs,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    PluginRuns,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    PluginPresetVersionId,
    PluginPresetId,
}

const POLICY: &[(&str, &str, &str)] = &[
    // Uploading and listing plugin versions is the installation's business.
    ("platform_admin", "plugins", "manage"),
    ("platform_admin", "plugins", "read"),
    // Each tenant's chain is its admins'; everyone may see which plugins run on their prompts.
    ("tenant_admin", "tenant_plugins", "manage"),
    ("tenant_admin", "tenant_plugins", "read"),
    ("auditor", "tenant_plugins", "read"),
    ("member", "tenant_plugins", "read"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plugins::Table)
                    .col(uuid_pk(Plugins::Id))
                    .col(ColumnDef::new(Plugins::Name).string_len(64).not_null().unique_key())
                    .col(timestamp(Plugins::CreatedAt))
                    .col(timestamp(Plugins::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PluginVersions::Table)
                    .col(uuid_pk(PluginVersions::Id))
                    .col(ColumnDef::new(PluginVersions::PluginId).uuid().not_null())
                    .col(ColumnDef::new(PluginVersions::Version).string_len(64).not_null())
                    // The manifest as uploaded (JSON): hooks, configuration schema, failure policy.
                    .col(ColumnDef::new(PluginVersions::Manifest).text().not_null())
                    // The component itself: kept in the database so every replica runs the same bytes.
                    .col(ColumnDef::new(PluginVersions::Component).blob().not_null())
                    .col(ColumnDef::new(PluginVersions::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(PluginVersions::SizeBytes).big_integer().not_null())
                    .col(ColumnDef::new(PluginVersions::UploadedBy).uuid().null())
                    .col(timestamp(PluginVersions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PluginVersions::Table, PluginVersions::PluginId)
                            .to(Plugins::Table, Plugins::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("plugin_versions_unique")
                    .table(PluginVersions::Table)
                    .col(PluginVersions::PluginId)
                    .col(PluginVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TenantPlugins::Table)
                    .col(uuid_pk(TenantPlugins::Id))
                    .col(ColumnDef::new(TenantPlugins::TenantId).uuid().not_null())
                    .col(ColumnDef::new(TenantPlugins::PluginId).uuid().not_null())
                    .col(ColumnDef::new(TenantPlugins::VersionId).uuid().not_null())
                    .col(ColumnDef::new(TenantPlugins::Enabled).boolean().not_null())
                    // Order in the tenant's chain, lowest first.
                    .col(ColumnDef::new(TenantPlugins::Position).integer().not_null())
                    // JSON, validated against the version's configuration schema.
                    .col(ColumnDef::new(TenantPlugins::Config).text().not_null())
                    // `fail_open` or `fail_closed`.
                    .col(ColumnDef::new(TenantPlugins::FailurePolicy).string_len(16).not_null())
                    .col(ColumnDef::new(TenantPlugins::TimeBudgetMs).integer().not_null())
                    .col(timestamp(TenantPlugins::CreatedAt))
                    .col(timestamp(TenantPlugins::UpdatedAt))
                    .foreign_key(&mut tenant_fk(TenantPlugins::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TenantPlugins::Table, TenantPlugins::PluginId)
                            .to(Plugins::Table, Plugins::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TenantPlugins::Table, TenantPlugins::VersionId)
                            .to(PluginVersions::Table, PluginVersions::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenant_plugins_unique")
                    .table(TenantPlugins::Table)
                    .col(TenantPlugins::TenantId)
                    .col(TenantPlugins::PluginId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // What the tenant's chain did to a turn (JSON), recorded with its answer.
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::PluginRuns).text().null())
                    .to_owned(),
            )
            .await?;
        // A conversation using a plugin's preset pins the plugin version and the preset's id.
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(ColumnDef::new(Conversations::PluginPresetVersionId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(ColumnDef::new(Conversations::PluginPresetId).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        crate::grant(manager, POLICY).await
    }
}

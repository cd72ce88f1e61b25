//! Conversations, the message tree, idempotency keys, and each tenant's model catalogue and
//! provider keys.
use crate::m20261129_000001_identity::{Tenants, Users};
use crate::{timestamp, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    TenantId,
    OwnerId,
    Title,
    Archived,
    ActiveLeafId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    TenantId,
    ConversationId,
    ParentId,
    Role,
    Status,
    Content,
    Model,
    ModelConfig,
    ErrorCode,
    ErrorMessage,
    RetryAfterSecs,
    InputTokens,
    OutputTokens,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    TenantId,
    UserId,
    Route,
    Key,
    Fingerprint,
    UserMessageId,
    AssistantMessageId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum TenantModels {
    Table,
    Id,
    TenantId,
    ModelId,
    Provider,
    UpstreamModel,
    DisplayName,
    ContextWindow,
    MaxOutputTokens,
    InputPricePerMillion,
    OutputPricePerMillion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProviderKeys {
    Table,
    Id,
    TenantId,
    Provider,
    Ciphertext,
    CreatedAt,
    UpdatedAt,
}

fn tenant_fk(table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(Alias::new("tenant_id"))
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(uuid_pk(Conversations::Id))
                    .col(ColumnDef::new(Conversations::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Conversations::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(Conversations::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Conversations::Archived).boolean().not_null().default(false))
                    // The leaf of the branch the owner is looking at; sends without a parent continue it.
                    .col(ColumnDef::new(Conversations::ActiveLeafId).uuid().null())
                    .col(timestamp(Conversations::CreatedAt))
                    .col(timestamp(Conversations::UpdatedAt))
                    .foreign_key(&mut tenant_fk(Conversations::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversations::Table, Conversations::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("conversations_owner")
                    .table(Conversations::Table)
                    .col(Conversations::TenantId)
                    .col(Conversations::OwnerId)
                    .col(Conversations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(uuid_pk(Messages::Id))
                    .col(ColumnDef::new(Messages::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Messages::ConversationId).uuid().not_null())
                    // Edits and regenerations are siblings under the same parent, never overwrites.
                    .col(ColumnDef::new(Messages::ParentId).uuid().null())
                    .col(ColumnDef::new(Messages::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Messages::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Messages::Content).text().not_null())
                    .col(ColumnDef::new(Messages::Model).string_len(128).null())
                    .col(ColumnDef::new(Messages::ModelConfig).text().null())
                    .col(ColumnDef::new(Messages::ErrorCode).string_len(64).null())
                    .col(ColumnDef::new(Messages::ErrorMessage).text().null())
                    .col(ColumnDef::new(Messages::RetryAfterSecs).big_integer().null())
                    .col(ColumnDef::new(Messages::InputTokens).big_integer().null())
                    .col(ColumnDef::new(Messages::OutputTokens).big_integer().null())
                    .col(timestamp(Messages::CreatedAt))
                    .col(timestamp(Messages::UpdatedAt))
                    .foreign_key(&mut tenant_fk(Messages::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Messages::Table, Messages::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("messages_conversation")
                    .table(Messages::Table)
                    .col(Messages::ConversationId)
                    .col(Messages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("messages_status").table(Messages::Table).col(Messages::Status).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid_pk(IdempotencyKeys::Id))
                    .col(ColumnDef::new(IdempotencyKeys::TenantId).uuid().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::UserId).uuid().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Route).string_len(200).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Key).string_len(255).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Fingerprint).string_len(64).not_null())
                    .col(ColumnDef::new(IdempotencyKeys::UserMessageId).uuid().null())
                    .col(ColumnDef::new(IdempotencyKeys::AssistantMessageId).uuid().not_null())
                    .col(timestamp(IdempotencyKeys::CreatedAt))
                    .col(timestamp(IdempotencyKeys::ExpiresAt))
                    .foreign_key(&mut tenant_fk(IdempotencyKeys::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idempotency_keys_scope")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::TenantId)
                    .col(IdempotencyKeys::UserId)
                    .col(IdempotencyKeys::Route)
                    .col(IdempotencyKeys::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TenantModels::Table)
                    .col(uuid_pk(TenantModels::Id))
                    .col(ColumnDef::new(TenantModels::TenantId).uuid().not_null())
                    .col(ColumnDef::new(TenantModels::ModelId).string_len(128).not_null())
                    .col(ColumnDef::new(TenantModels::Provider).string_len(64).not_null())
                    .col(ColumnDef::new(TenantModels::UpstreamModel).string_len(128).not_null())
                    .col(ColumnDef::new(TenantModels::DisplayName).string_len(200).not_null())
                    .col(ColumnDef::new(TenantModels::ContextWindow).big_integer().not_null())
                    .col(ColumnDef::new(TenantModels::MaxOutputTokens).big_integer().not_null())
                    .col(ColumnDef::new(TenantModels::InputPricePerMillion).double().not_null())
                    .col(ColumnDef::new(TenantModels::OutputPricePerMillion).double().not_null())
                    .col(timestamp(TenantModels::CreatedAt))
                    .col(timestamp(TenantModels::UpdatedAt))
                    .foreign_key(&mut tenant_fk(TenantModels::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenant_models_unique")
                    .table(TenantModels::Table)
                    .col(TenantModels::TenantId)
                    .col(TenantModels::ModelId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProviderKeys::Table)
                    .col(uuid_pk(ProviderKeys::Id))
                    .col(ColumnDef::new(ProviderKeys::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ProviderKeys::Provider).string_len(64).not_null())
                    // AES-256-GCM under the installation's master key: nonce ‖ ciphertext, base64.
                    .col(ColumnDef::new(ProviderKeys::Ciphertext).text().not_null())
                    .col(timestamp(ProviderKeys::CreatedAt))
                    .col(timestamp(ProviderKeys::UpdatedAt))
                    .foreign_key(&mut tenant_fk(ProviderKeys::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("provider_keys_unique")
                    .table(ProviderKeys::Table)
                    .col(ProviderKeys::TenantId)
                    .col(ProviderKeys::Provider)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

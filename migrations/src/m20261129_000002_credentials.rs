//! Sessions, API tokens and one-time setup tokens. Only SHA-256 digests of secrets are stored.
use crate::m20261129_000001_identity::{Tenants, Users};
use crate::{timestamp, timestamp_null, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    ActiveTenantId,
    Ip,
    UserAgent,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TenantId,
    UserId,
    Name,
    Prefix,
    TokenHash,
    Role,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum SetupTokens {
    Table,
    Id,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(uuid_pk(Sessions::Id))
                    .col(ColumnDef::new(Sessions::TokenHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                    .col(ColumnDef::new(Sessions::ActiveTenantId).uuid().null())
                    .col(ColumnDef::new(Sessions::Ip).string_len(64).null())
                    .col(ColumnDef::new(Sessions::UserAgent).string_len(512).null())
                    .col(timestamp(Sessions::CreatedAt))
                    .col(timestamp(Sessions::LastSeenAt))
                    .col(timestamp(Sessions::ExpiresAt))
                    .col(timestamp_null(Sessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::ActiveTenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(uuid_pk(ApiTokens::Id))
                    .col(ColumnDef::new(ApiTokens::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ApiTokens::UserId).uuid().not_null())
                    .col(ColumnDef::new(ApiTokens::Name).string_len(100).not_null())
                    .col(ColumnDef::new(ApiTokens::Prefix).string_len(16).not_null())
                    .col(ColumnDef::new(ApiTokens::TokenHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(ApiTokens::Role).string_len(32).not_null())
                    .col(timestamp(ApiTokens::CreatedAt))
                    .col(timestamp_null(ApiTokens::ExpiresAt))
                    .col(timestamp_null(ApiTokens::LastUsedAt))
                    .col(timestamp_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_tokens_tenant_user")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::TenantId)
                    .col(ApiTokens::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SetupTokens::Table)
                    .col(uuid_pk(SetupTokens::Id))
                    .col(ColumnDef::new(SetupTokens::TokenHash).string_len(64).not_null().unique_key())
                    .col(timestamp(SetupTokens::CreatedAt))
                    .col(timestamp(SetupTokens::ExpiresAt))
                    .col(timestamp_null(SetupTokens::UsedAt))
                    .to_owned(),
            )
            .await
    }
}

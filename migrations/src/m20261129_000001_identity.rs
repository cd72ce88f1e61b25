//! Tenants, users and the memberships that join them.
use crate::{timestamp, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    IsPlatformAdmin,
    Status,
    PasswordChangedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    TenantId,
    UserId,
    Role,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid_pk(Tenants::Id))
                    .col(ColumnDef::new(Tenants::Slug).string_len(63).not_null().unique_key())
                    .col(ColumnDef::new(Tenants::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Tenants::Status).string_len(16).not_null())
                    .col(timestamp(Tenants::CreatedAt))
                    .col(timestamp(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid_pk(Users::Id))
                    // Stored lower-cased; unique across the installation (one identity, many tenants).
                    .col(ColumnDef::new(Users::Email).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(Users::DisplayName).string_len(200).not_null())
                    .col(ColumnDef::new(Users::PasswordHash).string_len(255).null())
                    .col(ColumnDef::new(Users::IsPlatformAdmin).boolean().not_null().default(false))
                    .col(ColumnDef::new(Users::Status).string_len(16).not_null())
                    .col(timestamp(Users::PasswordChangedAt))
                    .col(timestamp(Users::CreatedAt))
                    .col(timestamp(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(uuid_pk(Memberships::Id))
                    .col(ColumnDef::new(Memberships::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Memberships::UserId).uuid().not_null())
                    .col(ColumnDef::new(Memberships::Role).string_len(32).not_null())
                    // A tenant admin disables a user's membership, not the identity other tenants share.
                    .col(ColumnDef::new(Memberships::Status).string_len(16).not_null())
                    .col(timestamp(Memberships::CreatedAt))
                    .col(timestamp(Memberships::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_tenant_user")
                    .table(Memberships::Table)
                    .col(Memberships::TenantId)
                    .col(Memberships::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("memberships_user").table(Memberships::Table).col(Memberships::UserId).to_owned(),
            )
            .await
    }
}

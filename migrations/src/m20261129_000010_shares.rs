//! Share snapshots: immutable copies of a branch, their viewers, and each tenant's sharing settings.
//!
//! A snapshot copies what it shows (title, each message's role, status, content, model and time)
//! instead of pointing at `conversations`/`messages`: edits, continuations, regenerations and
//! deleting the source must never change what was shared. So there is deliberately no foreign key
//! to the source conversation.
use crate::m20261129_000001_identity::Users;
use crate::{tenant_fk, timestamp, timestamp_null, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shares {
    Table,
    Id,
    TenantId,
    OwnerId,
    SourceConversationId,
    Title,
    Visibility,
    TokenHash,
    TokenSealed,
    ExpiresAt,
    RevokedAt,
    RevokedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShareMessages {
    Table,
    Id,
    TenantId,
    ShareId,
    Position,
    Role,
    Status,
    Content,
    Model,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShareRecipients {
    Table,
    ShareId,
    TenantId,
    UserId,
}

#[derive(DeriveIden)]
enum ShareViews {
    Table,
    Id,
    TenantId,
    ShareId,
    ViewerUserId,
    ViewedAt,
}

#[derive(DeriveIden)]
enum SharingSettings {
    Table,
    TenantId,
    LinksAllowed,
    UpdatedBy,
    UpdatedAt,
}

fn share_fk(table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(Alias::new("share_id"))
        .to(Shares::Table, Shares::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Shares::Table)
                    .col(uuid_pk(Shares::Id))
                    .col(ColumnDef::new(Shares::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Shares::OwnerId).uuid().not_null())
                    // For the owner's reference only; no foreign key (see the module comment).
                    .col(ColumnDef::new(Shares::SourceConversationId).uuid().null())
                    .col(ColumnDef::new(Shares::Title).string_len(200).not_null())
                    // `tenant`, `users` or `link`.
                    .col(ColumnDef::new(Shares::Visibility).string_len(16).not_null())
                    // SHA-256 (hex) of a link share's 256-bit token: what a public read looks up.
                    .col(ColumnDef::new(Shares::TokenHash).string_len(64).null().unique_key())
                    // The token sealed under the master key, so its owner can copy the link again;
                    // null when the installation has no master key (the link is then shown once).
                    .col(ColumnDef::new(Shares::TokenSealed).text().null())
                    .col(timestamp_null(Shares::ExpiresAt))
                    .col(timestamp_null(Shares::RevokedAt))
                    .col(ColumnDef::new(Shares::RevokedBy).uuid().null())
                    .col(timestamp(Shares::CreatedAt))
                    .foreign_key(&mut tenant_fk(Shares::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shares::Table, Shares::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shares_owner")
                    .table(Shares::Table)
                    .col(Shares::TenantId)
                    .col(Shares::OwnerId)
                    .col(Shares::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shares_tenant")
                    .table(Shares::Table)
                    .col(Shares::TenantId)
                    .col(Shares::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShareMessages::Table)
                    .col(uuid_pk(ShareMessages::Id))
                    .col(ColumnDef::new(ShareMessages::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ShareMessages::ShareId).uuid().not_null())
                    // 0 for the root of the branch, counting up to the leaf.
                    .col(ColumnDef::new(ShareMessages::Position).integer().not_null())
                    .col(ColumnDef::new(ShareMessages::Role).string_len(16).not_null())
                    .col(ColumnDef::new(ShareMessages::Status).string_len(16).not_null())
                    .col(ColumnDef::new(ShareMessages::Content).text().not_null())
                    .col(ColumnDef::new(ShareMessages::Model).string_len(128).null())
                    // The source message's own time, not the time of sharing.
                    .col(timestamp(ShareMessages::CreatedAt))
                    .foreign_key(&mut tenant_fk(ShareMessages::Table))
                    .foreign_key(&mut share_fk(ShareMessages::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("share_messages_position")
                    .table(ShareMessages::Table)
                    .col(ShareMessages::ShareId)
                    .col(ShareMessages::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShareRecipients::Table)
                    .col(ColumnDef::new(ShareRecipients::ShareId).uuid().not_null())
                    .col(ColumnDef::new(ShareRecipients::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ShareRecipients::UserId).uuid().not_null())
                    .primary_key(Index::create().col(ShareRecipients::ShareId).col(ShareRecipients::UserId))
                    .foreign_key(&mut tenant_fk(ShareRecipients::Table))
                    .foreign_key(&mut share_fk(ShareRecipients::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShareRecipients::Table, ShareRecipients::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShareViews::Table)
                    .col(uuid_pk(ShareViews::Id))
                    .col(ColumnDef::new(ShareViews::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ShareViews::ShareId).uuid().not_null())
                    // Null for an anonymous view through a link. Nothing else about the viewer is kept.
                    .col(ColumnDef::new(ShareViews::ViewerUserId).uuid().null())
                    .col(timestamp(ShareViews::ViewedAt))
                    .foreign_key(&mut tenant_fk(ShareViews::Table))
                    .foreign_key(&mut share_fk(ShareViews::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("share_views_share")
                    .table(ShareViews::Table)
                    .col(ShareViews::ShareId)
                    .col(ShareViews::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SharingSettings::Table)
                    .col(uuid_pk(SharingSettings::TenantId))
                    // Public links are off until a tenant admin turns them on.
                    .col(ColumnDef::new(SharingSettings::LinksAllowed).boolean().not_null().default(false))
                    .col(ColumnDef::new(SharingSettings::UpdatedBy).uuid().null())
                    .col(timestamp(SharingSettings::UpdatedAt))
                    .foreign_key(&mut tenant_fk(SharingSettings::Table))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

//! Streaming choices: one row per send (or regenerate) that asked for several answers at once.
//! `message_ids` lists the answers in choice order (JSON array), which is what a reattach of the
//! multiplexed stream and an idempotent replay read back; `picked_*` records the user's pick
//! (preference data, part of the user's export). Rows go with their conversation.
use crate::{tenant_fk, timestamp, timestamp_null, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChoiceSets {
    Table,
    Id,
    TenantId,
    ConversationId,
    UserId,
    ParentId,
    MessageIds,
    PickedMessageId,
    PickedBy,
    PickedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChoiceSets::Table)
                    .col(uuid_pk(ChoiceSets::Id))
                    .col(ColumnDef::new(ChoiceSets::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ChoiceSets::ConversationId).uuid().not_null())
                    .col(ColumnDef::new(ChoiceSets::UserId).uuid().not_null())
                    // The user message the choices answer.
                    .col(ColumnDef::new(ChoiceSets::ParentId).uuid().not_null())
                    .col(ColumnDef::new(ChoiceSets::MessageIds).text().not_null())
                    .col(ColumnDef::new(ChoiceSets::PickedMessageId).uuid().null())
                    .col(ColumnDef::new(ChoiceSets::PickedBy).uuid().null())
                    .col(timestamp_null(ChoiceSets::PickedAt))
                    .col(timestamp(ChoiceSets::CreatedAt))
                    .foreign_key(&mut tenant_fk(ChoiceSets::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChoiceSets::Table, ChoiceSets::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("choice_sets_conversation")
                    .table(ChoiceSets::Table)
                    .col(ChoiceSets::TenantId)
                    .col(ChoiceSets::ConversationId)
                    .to_owned(),
            )
            .await
    }
}

//! Attachments: the files users upload (`files`), the parts of a message beyond its text
//! (`message_parts`, each a reference to a file, in order), which catalogue models accept images
//! (`tenant_models.vision`), and the file names a share snapshot's messages carried
//! (`share_messages.files`); `conversations.has_files` spares the turns of conversations without
//! files the look for parts.
//!
//! A file's bytes live in the file store (local disk or S3-compatible storage) under a key of the
//! tenant and the content's SHA-256, so identical uploads in a tenant share one object; the row
//! keeps what the prompt needs (the sniffed type, the image's size, the extracted text).
//!
//! A message's text stays in `messages.content` (its first part); `message_parts` holds the file
//! parts after it. A part keeps the file's name and type, so the message still shows what was
//! attached after the file is deleted (`file_id` then becomes null).
use crate::m20261129_000001_identity::Users;
use crate::{tenant_fk, timestamp, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    TenantId,
    OwnerId,
    Name,
    MediaType,
    Kind,
    SizeBytes,
    Sha256,
    StorageKey,
    Width,
    Height,
    ExtractedText,
    TextChars,
    TextTruncated,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MessageParts {
    Table,
    MessageId,
    Position,
    TenantId,
    ConversationId,
    Kind,
    FileId,
    Name,
    MediaType,
    SizeBytes,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TenantModels {
    Table,
    Vision,
}

#[derive(DeriveIden)]
enum ShareMessages {
    Table,
    Files,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    HasFiles,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(uuid_pk(Files::Id))
                    .col(ColumnDef::new(Files::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Files::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(Files::Name).text().not_null())
                    .col(ColumnDef::new(Files::MediaType).text().not_null())
                    .col(ColumnDef::new(Files::Kind).text().not_null())
                    .col(ColumnDef::new(Files::SizeBytes).big_integer().not_null())
                    .col(ColumnDef::new(Files::Sha256).text().not_null())
                    .col(ColumnDef::new(Files::StorageKey).text().not_null())
                    .col(ColumnDef::new(Files::Width).integer().null())
                    .col(ColumnDef::new(Files::Height).integer().null())
                    .col(ColumnDef::new(Files::ExtractedText).text().null())
                    .col(ColumnDef::new(Files::TextChars).big_integer().null())
                    .col(ColumnDef::new(Files::TextTruncated).boolean().not_null().default(false))
                    .col(timestamp(Files::CreatedAt))
                    .foreign_key(&mut tenant_fk(Files::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Files::Table, Files::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_owner")
                    .table(Files::Table)
                    .col(Files::TenantId)
                    .col(Files::OwnerId)
                    .col(Files::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_object")
                    .table(Files::Table)
                    .col(Files::TenantId)
                    .col(Files::Sha256)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageParts::Table)
                    .col(ColumnDef::new(MessageParts::MessageId).uuid().not_null())
                    .col(ColumnDef::new(MessageParts::Position).integer().not_null())
                    .col(ColumnDef::new(MessageParts::TenantId).uuid().not_null())
                    .col(ColumnDef::new(MessageParts::ConversationId).uuid().not_null())
                    .col(ColumnDef::new(MessageParts::Kind).text().not_null())
                    .col(ColumnDef::new(MessageParts::FileId).uuid().null())
                    .col(ColumnDef::new(MessageParts::Name).text().not_null())
                    .col(ColumnDef::new(MessageParts::MediaType).text().not_null())
                    .col(ColumnDef::new(MessageParts::SizeBytes).big_integer().not_null())
                    .primary_key(Index::create().col(MessageParts::MessageId).col(MessageParts::Position))
                    .foreign_key(&mut tenant_fk(MessageParts::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MessageParts::Table, MessageParts::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MessageParts::Table, MessageParts::FileId)
                            .to(Files::Table, Files::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_message_parts_conversation")
                    .table(MessageParts::Table)
                    .col(MessageParts::ConversationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_message_parts_file")
                    .table(MessageParts::Table)
                    .col(MessageParts::FileId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(TenantModels::Table)
                    .add_column(ColumnDef::new(TenantModels::Vision).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        // Whether any message of the conversation ever carried a file: a turn of a conversation
        // without files (nearly all of them) reads no parts.
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(ColumnDef::new(Conversations::HasFiles).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        // A snapshot names the files its messages carried (a JSON list of name, type, kind and
        // size); the files themselves stay their owner's.
        manager
            .alter_table(
                Table::alter()
                    .table(ShareMessages::Table)
                    .add_column(ColumnDef::new(ShareMessages::Files).text().null())
                    .to_owned(),
            )
            .await
    }
}

//! What the OpenAI-compatible endpoint keeps of the calls made with an API token: `nothing`
//! (only the usage event quotas need), `metadata` (plus an audit entry, no content) or
//! `conversation` (plus the exchange in the user's history). Existing tokens keep metadata.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Keep,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(ColumnDef::new(ApiTokens::Keep).string_len(16).not_null().default("metadata"))
                    .to_owned(),
            )
            .await
    }
}

//! PostgreSQL search ranks a bounded set of candidates: a user's newest matching documents.
//!
//! `search_docs_owner` on `(tenant_id, owner_id)` becomes `(tenant_id, owner_id, hit_id)`: a
//! query for a word in most of a user's messages reads that user's documents newest first (hit
//! ids are UUIDv7) and stops at the candidate bound, instead of ranking every match. The old
//! index is a prefix of the new one, so nothing that used it loses anything. SQLite's FTS5 ranks
//! with its own top-k and is unchanged.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        for statement in [
            "CREATE INDEX search_docs_owner_recent ON search_docs (tenant_id, owner_id, hit_id)",
            "DROP INDEX search_docs_owner",
        ] {
            conn.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}

//! Bulk deletes write the search outbox once per statement (PostgreSQL).
//!
//! The outbox's delete triggers on `messages` and `conversations` (migration 12) ran a PL/pgSQL
//! function per deleted row. A retention batch deletes thousands of messages, and that per-row
//! call was about a third of what deleting a message cost the database (measured with `EXPLAIN
//! ANALYZE` on the retention benchmark's seed: 6.5 ms of 20 ms per 1,000 messages). Statement
//! triggers with a transition table write the same rows, one `INSERT … SELECT` per statement,
//! in the same transaction: foreign-key cascades (a conversation's or a tenant's delete) run
//! their own statements and fire them too. The rows, and so what the OpenSearch indexer sees,
//! are unchanged; an outbox row's id is still assigned after its document's row lock was taken.
//!
//! SQLite has only row triggers; its triggers stay as they are.
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
            "CREATE FUNCTION search_outbox_messages_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 INSERT INTO search_outbox (tenant_id, doc_id, kind)
                     SELECT tenant_id, id, 'message' FROM deleted_rows;
                 RETURN NULL;
             END $$",
            "CREATE FUNCTION search_outbox_conversations_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 INSERT INTO search_outbox (tenant_id, doc_id, kind)
                     SELECT tenant_id, id, 'conversation' FROM deleted_rows;
                 RETURN NULL;
             END $$",
            "DROP TRIGGER search_outbox_message_delete ON messages",
            "CREATE TRIGGER search_outbox_message_delete AFTER DELETE ON messages
             REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT
             EXECUTE FUNCTION search_outbox_messages_deleted()",
            "DROP TRIGGER search_outbox_conversation_delete ON conversations",
            "CREATE TRIGGER search_outbox_conversation_delete AFTER DELETE ON conversations
             REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT
             EXECUTE FUNCTION search_outbox_conversations_deleted()",
        ] {
            conn.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}

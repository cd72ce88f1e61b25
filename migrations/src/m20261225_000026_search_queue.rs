//! SQLite search: the FTS rows of a transaction's new search documents are written once, at its
//! end, instead of by each write's trigger.
//!
//! SQLite's writer commits the writes that queued meanwhile in one transaction, each in a
//! savepoint of its own (`core/src/store/writer.rs`). FTS5 cannot roll back the terms it holds in
//! memory, so every savepoint opened once `search_fts` is part of the transaction writes those
//! terms to disk as a new index segment: a group of 50 sends made 50 segments, and FTS5's merging
//! of them took about a third of the writer's time on the turn's hot path.
//!
//! Now the triggers keep `search_docs` as before and queue each new document's id in
//! `search_fts_pending`; whoever commits SQLite's writes (the writer, after the group's last
//! savepoint, and `Store::begin`'s transactions) indexes the queue in one `INSERT … SELECT`
//! before the commit, so a write and its index entry still commit together. A write made outside
//! both (a single statement on the pool, such as a rename) leaves its documents queued until the
//! next group of writes or the next search, which indexes the queue first. Deleting a document
//! still removes its FTS row at once (and its queue entry). PostgreSQL is unchanged.
//!
//! A binary from before this migration, run on this schema, does not index the queue: what it
//! writes becomes searchable when this release runs again.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statuses a message is indexed in (as in the search migration).
const FINAL: &str = "('completed', 'cancelled', 'failed', 'partial')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        // One batch, so one connection of the pool runs every statement: another connection,
        // its schema cache older than the `DROP TRIGGER`, refuses the `CREATE TRIGGER` that
        // follows as a duplicate. Each statement can run again, should the batch stop half-way.
        manager.get_connection().execute_unprepared(&statements().join(";\n")).await?;
        Ok(())
    }
}

fn statements() -> Vec<String> {
    // The document as before; its id queued instead of its FTS row written.
    let index_message = "DELETE FROM search_docs WHERE hit_id = new.id;
         INSERT INTO search_docs (hit_id, conversation_id, message_id)
             SELECT new.id, new.conversation_id, new.id WHERE new.content <> '';
         INSERT INTO search_fts_pending (id) SELECT id FROM search_docs WHERE hit_id = new.id;";
    let index_title = "DELETE FROM search_docs WHERE hit_id = new.id;
         INSERT INTO search_docs (hit_id, conversation_id, message_id)
             SELECT new.id, new.id, NULL WHERE new.title <> '';
         INSERT INTO search_fts_pending (id) SELECT id FROM search_docs WHERE hit_id = new.id;";
    vec![
        "CREATE TABLE IF NOT EXISTS search_fts_pending (id INTEGER PRIMARY KEY)".into(),
        "DROP TRIGGER IF EXISTS search_docs_delete".into(),
        "CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
            DELETE FROM search_fts_pending WHERE id = old.id;
            DELETE FROM search_fts WHERE rowid = old.id;
         END"
        .into(),
        "DROP TRIGGER IF EXISTS search_message_insert".into(),
        format!(
            "CREATE TRIGGER search_message_insert AFTER INSERT ON messages
             WHEN new.status IN {FINAL}
             BEGIN {index_message} END"
        ),
        "DROP TRIGGER IF EXISTS search_message_update".into(),
        format!(
            "CREATE TRIGGER search_message_update AFTER UPDATE OF content, status ON messages
             WHEN new.status IN {FINAL} AND (old.status IS NOT new.status OR old.content IS NOT new.content)
             BEGIN {index_message} END"
        ),
        "DROP TRIGGER IF EXISTS search_conversation_insert".into(),
        format!("CREATE TRIGGER search_conversation_insert AFTER INSERT ON conversations BEGIN {index_title} END"),
        "DROP TRIGGER IF EXISTS search_conversation_title".into(),
        format!(
            "CREATE TRIGGER search_conversation_title AFTER UPDATE OF title ON conversations
             WHEN old.title IS NOT new.title
             BEGIN {index_title} END"
        ),
    ]
}

//! SQLite search: a document whose text changes keeps its row and is queued for indexing again,
//! instead of being deleted and written anew.
//!
//! Since `m20261225_000026_search_queue`, new documents reach FTS5 once per write transaction,
//! at its end. A changed one (the conversation's title that its first message sets, an answer
//! continued after it stopped part-way) still deleted its `search_docs` row, whose trigger deleted
//! its FTS row at once: FTS5 holds that deletion in memory and, as it cannot roll it back, writes
//! it out as an index segment at the next savepoint, and the writer gives every write of a group
//! a savepoint. A burst of first messages (each retitling its conversation) wrote a segment per
//! message again: in a profile of SQLite at N = 200, a tenth of the writer's time.
//!
//! Now the triggers keep the row (and its id) and queue it; whoever indexes the queue (the
//! writer before its commit, `Store::begin`'s commit, a search) first deletes the FTS rows of
//! the queued ids, then writes them from the current text, in one savepoint. A document whose
//! text becomes empty is still deleted at once, as is every deleted message or conversation. A
//! search that finds a queued document before it is indexed cannot happen (a search indexes the
//! queue first), and its id names the same document throughout. PostgreSQL is unchanged.
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
        // One batch on one connection, as in `m20261225_000026_search_queue` (another connection
        // of the pool, its schema cache older than the `DROP TRIGGER`, refuses the `CREATE
        // TRIGGER` as a duplicate). Each statement can run again.
        manager.get_connection().execute_unprepared(&statements().join(";\n")).await?;
        Ok(())
    }
}

fn statements() -> Vec<String> {
    // The row kept when there is text (its id queued, again or for the first time), deleted
    // when there is none.
    let index = |text: &str, conversation: &str, message: &str| {
        format!(
            "DELETE FROM search_docs WHERE hit_id = new.id AND {text} = '';
             INSERT OR IGNORE INTO search_docs (hit_id, conversation_id, message_id)
                 SELECT new.id, {conversation}, {message} WHERE {text} <> '';
             INSERT OR IGNORE INTO search_fts_pending (id) SELECT id FROM search_docs WHERE hit_id = new.id;"
        )
    };
    let index_message = index("new.content", "new.conversation_id", "new.id");
    let index_title = index("new.title", "new.id", "NULL");
    vec![
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

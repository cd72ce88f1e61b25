//! History search: SQLite FTS5 / PostgreSQL full-text over conversation titles and message text.
//!
//! One search document per conversation title and per finished message, in `search_docs`, kept
//! in step with `conversations` and `messages` by triggers, so a write and its index entry commit
//! (or roll back) together without the application having to remember it.
//!
//! - A message is indexed when it is inserted in a final state (user messages) or when an update
//!   leaves it in a final state with a new status or new content (an answer when it finishes).
//!   Streaming flushes (`status = 'streaming'`) do not touch the index: re-indexing a growing
//!   answer on every flush would cost one FTS/GIN write per flush for text nobody searches
//!   until it is done. A `partial` answer that is continued keeps its old entry until it ends again.
//! - A conversation's title is indexed on insert and on rename; deleting a conversation or a
//!   message removes its documents (explicit triggers on SQLite, foreign-key cascades on PostgreSQL).
//! - Both backends record the owner at index time (SQLite: a `scope` token in the FTS row;
//!   PostgreSQL: `tenant_id`/`owner_id` columns) so a query only walks the caller's documents.
//!   That copy is an accelerator, not the authority: every query also joins `conversations` on
//!   tenant and owner.
//!
//! SQLite: `search_fts` is a regular (contentful) FTS5 table, `unicode61 remove_diacritics 2`,
//! whose rowid is `search_docs.id`. It stores its own copy of the text because `snippet()` needs
//! it and `messages` has no stable integer rowid to point an external-content table at (VACUUM may
//! renumber the implicit rowids of a table whose key is a UUID).
//!
//! PostgreSQL: `search_docs.tsv` with a GIN index, built with the `simple` configuration (lower-
//! casing, no stemming, no stop words): the workforce writes in many languages and an English
//! stemmer would mangle the others. Text past the first 60 000 characters of a message is not
//! indexed, which keeps every `tsvector` far below PostgreSQL's 1 MB limit, so indexing can never
//! fail a chat write.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Message statuses whose text is searchable: the final ones.
const FINAL: &str = "('completed', 'cancelled', 'failed', 'partial')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite(),
            DbBackend::Postgres => postgres(),
            other => return Err(DbErr::Migration(format!("search: unsupported database backend {other:?}"))),
        };
        let conn = manager.get_connection();
        for statement in statements {
            conn.execute_unprepared(&statement).await.map_err(|e| {
                if e.to_string().contains("no such module: fts5") {
                    DbErr::Migration("this SQLite library was built without FTS5, which history search needs".into())
                } else {
                    e
                }
            })?;
        }
        Ok(())
    }
}

fn sqlite() -> Vec<String> {
    // The owner's scope token: one FTS term per (tenant, owner), matched with every query.
    let scope = |tenant: &str, owner: &str| format!("'s' || lower(hex({tenant})) || lower(hex({owner}))");
    let index_message = format!(
        "DELETE FROM search_docs WHERE hit_id = new.id;
         INSERT INTO search_docs (hit_id, conversation_id, message_id)
             SELECT new.id, new.conversation_id, new.id WHERE new.content <> '';
         INSERT INTO search_fts (rowid, scope, body)
             SELECT d.id, {}, new.content
             FROM search_docs d JOIN conversations c ON c.id = d.conversation_id
             WHERE d.hit_id = new.id;",
        scope("c.tenant_id", "c.owner_id")
    );
    let index_title = format!(
        "DELETE FROM search_docs WHERE hit_id = new.id;
         INSERT INTO search_docs (hit_id, conversation_id, message_id)
             SELECT new.id, new.id, NULL WHERE new.title <> '';
         INSERT INTO search_fts (rowid, scope, body)
             SELECT d.id, {}, new.title FROM search_docs d WHERE d.hit_id = new.id;",
        scope("new.tenant_id", "new.owner_id")
    );
    vec![
        "CREATE TABLE search_docs (
            id INTEGER PRIMARY KEY,
            hit_id uuid_text NOT NULL UNIQUE,
            conversation_id uuid_text NOT NULL,
            message_id uuid_text NULL
        )"
        .into(),
        "CREATE INDEX search_docs_conversation ON search_docs (conversation_id)".into(),
        "CREATE VIRTUAL TABLE search_fts USING fts5 (scope, body, tokenize = 'unicode61 remove_diacritics 2')".into(),
        "CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
            DELETE FROM search_fts WHERE rowid = old.id;
         END"
        .into(),
        format!(
            "CREATE TRIGGER search_message_insert AFTER INSERT ON messages
             WHEN new.status IN {FINAL}
             BEGIN {index_message} END"
        ),
        format!(
            "CREATE TRIGGER search_message_update AFTER UPDATE OF content, status ON messages
             WHEN new.status IN {FINAL} AND (old.status IS NOT new.status OR old.content IS NOT new.content)
             BEGIN {index_message} END"
        ),
        "CREATE TRIGGER search_message_delete AFTER DELETE ON messages BEGIN
            DELETE FROM search_docs WHERE hit_id = old.id;
         END"
        .into(),
        format!("CREATE TRIGGER search_conversation_insert AFTER INSERT ON conversations BEGIN {index_title} END"),
        format!(
            "CREATE TRIGGER search_conversation_title AFTER UPDATE OF title ON conversations
             WHEN old.title IS NOT new.title
             BEGIN {index_title} END"
        ),
        "CREATE TRIGGER search_conversation_delete AFTER DELETE ON conversations BEGIN
            DELETE FROM search_docs WHERE conversation_id = old.id;
         END"
        .into(),
        // Whatever was written before this migration.
        "INSERT INTO search_docs (hit_id, conversation_id, message_id)
            SELECT id, id, NULL FROM conversations WHERE title <> ''"
            .into(),
        format!(
            "INSERT INTO search_docs (hit_id, conversation_id, message_id)
             SELECT id, conversation_id, id FROM messages WHERE status IN {FINAL} AND content <> ''"
        ),
        format!(
            "INSERT INTO search_fts (rowid, scope, body)
             SELECT d.id, {}, COALESCE(m.content, c.title)
             FROM search_docs d
             JOIN conversations c ON c.id = d.conversation_id
             LEFT JOIN messages m ON m.id = d.message_id",
            scope("c.tenant_id", "c.owner_id")
        ),
    ]
}

fn postgres() -> Vec<String> {
    vec![
        "CREATE TABLE search_docs (
            hit_id uuid PRIMARY KEY,
            tenant_id uuid NOT NULL,
            owner_id uuid NOT NULL,
            conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            message_id uuid NULL REFERENCES messages (id) ON DELETE CASCADE,
            tsv tsvector NOT NULL
        )"
        .into(),
        "CREATE INDEX search_docs_tsv ON search_docs USING gin (tsv)".into(),
        "CREATE INDEX search_docs_owner ON search_docs (tenant_id, owner_id)".into(),
        // For the cascades.
        "CREATE INDEX search_docs_conversation ON search_docs (conversation_id)".into(),
        "CREATE INDEX search_docs_message ON search_docs (message_id)".into(),
        "CREATE FUNCTION search_index_message() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.content = '' THEN
                 DELETE FROM search_docs WHERE hit_id = NEW.id;
             ELSE
                 INSERT INTO search_docs (hit_id, tenant_id, owner_id, conversation_id, message_id, tsv)
                 SELECT NEW.id, c.tenant_id, c.owner_id, c.id, NEW.id,
                        to_tsvector('simple'::regconfig, left(NEW.content, 60000))
                 FROM conversations c WHERE c.id = NEW.conversation_id
                 ON CONFLICT (hit_id) DO UPDATE SET tsv = EXCLUDED.tsv;
             END IF;
             RETURN NULL;
         END $$"
            .into(),
        format!(
            "CREATE TRIGGER search_message_insert AFTER INSERT ON messages FOR EACH ROW
             WHEN (NEW.status IN {FINAL})
             EXECUTE FUNCTION search_index_message()"
        ),
        format!(
            "CREATE TRIGGER search_message_update AFTER UPDATE OF content, status ON messages FOR EACH ROW
             WHEN (NEW.status IN {FINAL}
                   AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.content IS DISTINCT FROM NEW.content))
             EXECUTE FUNCTION search_index_message()"
        ),
        "CREATE FUNCTION search_index_title() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.title = '' THEN
                 DELETE FROM search_docs WHERE hit_id = NEW.id;
             ELSE
                 INSERT INTO search_docs (hit_id, tenant_id, owner_id, conversation_id, message_id, tsv)
                 VALUES (NEW.id, NEW.tenant_id, NEW.owner_id, NEW.id, NULL,
                         to_tsvector('simple'::regconfig, NEW.title))
                 ON CONFLICT (hit_id) DO UPDATE SET tsv = EXCLUDED.tsv;
             END IF;
             RETURN NULL;
         END $$"
            .into(),
        "CREATE TRIGGER search_conversation_insert AFTER INSERT ON conversations FOR EACH ROW
         EXECUTE FUNCTION search_index_title()"
            .into(),
        "CREATE TRIGGER search_conversation_title AFTER UPDATE OF title ON conversations FOR EACH ROW
         WHEN (OLD.title IS DISTINCT FROM NEW.title)
         EXECUTE FUNCTION search_index_title()"
            .into(),
        // Whatever was written before this migration.
        "INSERT INTO search_docs (hit_id, tenant_id, owner_id, conversation_id, message_id, tsv)
         SELECT id, tenant_id, owner_id, id, NULL, to_tsvector('simple'::regconfig, title)
         FROM conversations WHERE title <> ''"
            .into(),
        format!(
            "INSERT INTO search_docs (hit_id, tenant_id, owner_id, conversation_id, message_id, tsv)
             SELECT m.id, c.tenant_id, c.owner_id, c.id, m.id, to_tsvector('simple'::regconfig, left(m.content, 60000))
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.status IN {FINAL} AND m.content <> ''"
        ),
    ]
}

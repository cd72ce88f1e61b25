//! The search outbox: one row per change to a searchable document (a finished message, a
//! conversation title), written by triggers in the transaction that makes the change, and drained
//! by the OpenSearch indexer (`server/src/search/opensearch/indexer.rs`).
//!
//! Triggers, like the SQL search index's, so that no write path can forget the row: chat turns,
//! renames, conversation deletes, message deletes by retention, and cascades from a tenant delete
//! all go through them. A row carries only what the indexer needs to find the document again
//! (`doc_id`, `kind`) and to route a delete when the document is gone (`tenant_id`); the indexer
//! reads the document's current state when it drains the row, so the row's `id` — assigned after
//! the write took its row lock, hence in commit order for any one document — is the document
//! version sent to OpenSearch (`version_type=external`): an older write can never overwrite a
//! newer one, and replaying a row is harmless.
//!
//! Rows are written whatever `search.backend` says: the database cannot know the configuration of
//! every replica, and a change made while OpenSearch is configured must reach it even if that
//! replica restarts, OpenSearch is down, or a rollout is switching backends. Servers on the SQL
//! backend delete rows older than a day (nobody drains them there; switching to OpenSearch
//! starts with `confab search reindex`, which covers older changes).
//!
//! `search_reindex` holds the progress of `confab search reindex`, so an interrupted rebuild
//! resumes where it stopped.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Message statuses whose text is searchable (as in the search migration).
const FINAL: &str = "('completed', 'cancelled', 'failed', 'partial')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite(),
            DbBackend::Postgres => postgres(),
            other => return Err(DbErr::Migration(format!("search outbox: unsupported database backend {other:?}"))),
        };
        let conn = manager.get_connection();
        for statement in statements {
            conn.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}

fn sqlite() -> Vec<String> {
    let enqueue = |tenant: &str, doc: &str, kind: &str| {
        format!("INSERT INTO search_outbox (tenant_id, doc_id, kind) VALUES ({tenant}, {doc}, '{kind}');")
    };
    vec![
        // AUTOINCREMENT: ids are never reused, even after the newest rows were drained, so a
        // document's version only ever grows.
        "CREATE TABLE search_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant_id uuid_text NOT NULL,
            doc_id uuid_text NOT NULL,
            kind text NOT NULL,
            created_at text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )"
        .into(),
        "CREATE INDEX search_outbox_created ON search_outbox (created_at)".into(),
        format!(
            "CREATE TRIGGER search_outbox_message_insert AFTER INSERT ON messages
             WHEN new.status IN {FINAL}
             BEGIN {} END",
            enqueue("new.tenant_id", "new.id", "message")
        ),
        format!(
            "CREATE TRIGGER search_outbox_message_update AFTER UPDATE OF content, status ON messages
             WHEN new.status IN {FINAL} AND (old.status IS NOT new.status OR old.content IS NOT new.content)
             BEGIN {} END",
            enqueue("new.tenant_id", "new.id", "message")
        ),
        format!(
            "CREATE TRIGGER search_outbox_message_delete AFTER DELETE ON messages BEGIN {} END",
            enqueue("old.tenant_id", "old.id", "message")
        ),
        format!(
            "CREATE TRIGGER search_outbox_conversation_insert AFTER INSERT ON conversations BEGIN {} END",
            enqueue("new.tenant_id", "new.id", "conversation")
        ),
        format!(
            "CREATE TRIGGER search_outbox_conversation_title AFTER UPDATE OF title ON conversations
             WHEN old.title IS NOT new.title
             BEGIN {} END",
            enqueue("new.tenant_id", "new.id", "conversation")
        ),
        // Before the delete, so the messages that the foreign key cascade removes are still
        // there to enqueue (their own delete trigger may fire too: a second row is harmless).
        "CREATE TRIGGER search_outbox_conversation_delete BEFORE DELETE ON conversations BEGIN
            INSERT INTO search_outbox (tenant_id, doc_id, kind)
                SELECT tenant_id, id, 'message' FROM messages WHERE conversation_id = old.id;
            INSERT INTO search_outbox (tenant_id, doc_id, kind) VALUES (old.tenant_id, old.id, 'conversation');
         END"
        .into(),
        "CREATE TABLE search_reindex (
            id integer PRIMARY KEY CHECK (id = 1),
            phase text NOT NULL,
            after_id uuid_text NULL,
            enqueued bigint NOT NULL,
            total bigint NOT NULL,
            high_water bigint NULL,
            started_at text NOT NULL
        )"
        .into(),
    ]
}

fn postgres() -> Vec<String> {
    vec![
        "CREATE TABLE search_outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant_id uuid NOT NULL,
            doc_id uuid NOT NULL,
            kind text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )"
        .into(),
        "CREATE INDEX search_outbox_created ON search_outbox (created_at)".into(),
        "CREATE FUNCTION search_outbox_message() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF TG_OP = 'DELETE' THEN
                 INSERT INTO search_outbox (tenant_id, doc_id, kind) VALUES (OLD.tenant_id, OLD.id, 'message');
             ELSE
                 INSERT INTO search_outbox (tenant_id, doc_id, kind) VALUES (NEW.tenant_id, NEW.id, 'message');
             END IF;
             RETURN NULL;
         END $$"
            .into(),
        "CREATE FUNCTION search_outbox_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF TG_OP = 'DELETE' THEN
                 INSERT INTO search_outbox (tenant_id, doc_id, kind) VALUES (OLD.tenant_id, OLD.id, 'conversation');
             ELSE
                 INSERT INTO search_outbox (tenant_id, doc_id, kind) VALUES (NEW.tenant_id, NEW.id, 'conversation');
             END IF;
             RETURN NULL;
         END $$"
            .into(),
        format!(
            "CREATE TRIGGER search_outbox_message_insert AFTER INSERT ON messages FOR EACH ROW
             WHEN (NEW.status IN {FINAL})
             EXECUTE FUNCTION search_outbox_message()"
        ),
        format!(
            "CREATE TRIGGER search_outbox_message_update AFTER UPDATE OF content, status ON messages FOR EACH ROW
             WHEN (NEW.status IN {FINAL}
                   AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.content IS DISTINCT FROM NEW.content))
             EXECUTE FUNCTION search_outbox_message()"
        ),
        // Row triggers fire for the rows a foreign-key cascade deletes too (conversation, tenant).
        "CREATE TRIGGER search_outbox_message_delete AFTER DELETE ON messages FOR EACH ROW
         EXECUTE FUNCTION search_outbox_message()"
            .into(),
        "CREATE TRIGGER search_outbox_conversation_insert AFTER INSERT ON conversations FOR EACH ROW
         EXECUTE FUNCTION search_outbox_conversation()"
            .into(),
        "CREATE TRIGGER search_outbox_conversation_title AFTER UPDATE OF title ON conversations FOR EACH ROW
         WHEN (OLD.title IS DISTINCT FROM NEW.title)
         EXECUTE FUNCTION search_outbox_conversation()"
            .into(),
        "CREATE TRIGGER search_outbox_conversation_delete AFTER DELETE ON conversations FOR EACH ROW
         EXECUTE FUNCTION search_outbox_conversation()"
            .into(),
        "CREATE TABLE search_reindex (
            id integer PRIMARY KEY CHECK (id = 1),
            phase text NOT NULL,
            after_id uuid NULL,
            enqueued bigint NOT NULL,
            total bigint NOT NULL,
            high_water bigint NULL,
            started_at timestamptz NOT NULL
        )"
        .into(),
    ]
}

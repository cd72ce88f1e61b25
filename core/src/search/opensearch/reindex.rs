//! `confab search reindex`: rebuilds the OpenSearch index from SQL, through the outbox.
//!
//! Rather than writing to OpenSearch itself, a rebuild queues one outbox row per conversation and
//! per message (keyset batches in id order), then drains the outbox like the servers' indexers do
//! (and together with them, if any run). Going through the outbox keeps one write path with one
//! versioning rule: a queued row gets a fresh id, hence a version above anything indexed before;
//! on PostgreSQL each batch takes `FOR SHARE` locks on its rows first, so a chat write still in
//! flight on one of them commits (and numbers its own row) before the rebuild's row is numbered.
//!
//! Resumable: the position (phase, last id queued, counts) is saved in `search_reindex` in the
//! same transaction as each batch's rows, so an interrupted run continues where it stopped, and
//! the queued rows themselves survive in the outbox. `--recreate` starts over with an empty index.
use super::indexer::{IndexError, Indexer};
use super::{OpenSearch, placeholder};
use crate::store::{Conn, Store};
use sea_orm::{DbBackend, FromQueryResult, Statement, Value};
use std::time::Duration;
use uuid::Uuid;

pub struct ReindexOptions {
    /// Delete the index and start over (also discards a paused run's position).
    pub recreate: bool,
    /// Documents queued per transaction, and outbox rows per bulk request.
    pub batch_size: u32,
    /// Queue at most this many documents in this run, then stop; the next run continues.
    pub max_docs: Option<u64>,
}

/// Reports progress; the CLI draws a bar on a terminal and prints lines otherwise.
pub trait Progress {
    /// A phase starts: `total` units, `done` of them already done (a resumed run).
    fn phase(&mut self, name: &str, total: u64, done: u64);
    fn set(&mut self, done: u64);
    fn finish(&mut self);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every document was queued and the outbox drained up to them.
    Done { documents: u64, resumed: bool },
    /// Stopped after `--max-docs`; run again to continue.
    Paused { queued: u64, total: u64 },
}

#[derive(Debug, FromQueryResult)]
struct State {
    phase: String,
    after_id: Option<Uuid>,
    enqueued: i64,
    total: i64,
    high_water: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct Queued {
    doc_id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

const CONVERSATIONS: &str = "conversations";
const MESSAGES: &str = "messages";
const INDEXING: &str = "indexing";

pub async fn reindex(
    store: &Store,
    os: &OpenSearch,
    options: &ReindexOptions,
    progress: &mut dyn Progress,
) -> Result<Outcome, IndexError> {
    let backend = store.backend();
    if options.recreate {
        os.delete_index().await?;
        exec(store, backend, "DELETE FROM search_reindex", vec![]).await?;
    }
    os.ensure_index().await?;
    let (mut state, resumed) = match load_state(store).await? {
        Some(state) => (state, true),
        None => (start(store).await?, false),
    };
    let batch = options.batch_size.max(1);
    let mut queued_this_run = 0u64;
    progress.phase("queueing", state.total.max(0) as u64, state.enqueued.max(0) as u64);
    while state.phase != INDEXING {
        if options.max_docs.is_some_and(|max| queued_this_run >= max) {
            progress.finish();
            return Ok(Outcome::Paused { queued: state.enqueued as u64, total: state.total as u64 });
        }
        let room = options.max_docs.map_or(batch as u64, |max| (max - queued_this_run).min(batch as u64));
        let n = queue_batch(store, &mut state, room).await?;
        queued_this_run += n;
        progress.set(state.enqueued.max(0) as u64);
    }
    progress.finish();

    // Drain everything up to the last row this rebuild queued (servers may drain alongside).
    let high_water = state.high_water.unwrap_or(0);
    let indexer = Indexer::new(store.clone(), os.clone(), batch, Duration::from_millis(200));
    let initial = remaining(store, high_water).await?;
    let total = state.total.max(0) as u64;
    progress.phase("indexing", total.max(initial), total.max(initial) - initial);
    loop {
        let left = remaining(store, high_water).await?;
        progress.set(total.max(initial) - left.min(total.max(initial)));
        if left == 0 {
            break;
        }
        let done = indexer.drain_once().await?;
        if done.rows == 0 {
            // The rest is claimed by another indexer: wait for it.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    progress.finish();
    os.refresh().await?;
    exec(store, backend, "DELETE FROM search_reindex", vec![]).await?;
    Ok(Outcome::Done { documents: total, resumed })
}

async fn exec(store: &Store, backend: DbBackend, sql: &str, values: Vec<Value>) -> Result<(), IndexError> {
    let txn = store.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    txn.commit().await?;
    Ok(())
}

async fn load_state(store: &Store) -> Result<Option<State>, IndexError> {
    let sql = "SELECT phase, after_id, enqueued, total, high_water FROM search_reindex WHERE id = 1";
    Ok(State::find_by_statement(Statement::from_string(store.backend(), sql)).one(store.conn()).await?)
}

async fn count(conn: &impl Conn, sql: &str) -> Result<i64, IndexError> {
    let row = Count::find_by_statement(Statement::from_string(conn.get_database_backend(), sql)).one(conn).await?;
    Ok(row.map_or(0, |r| r.n))
}

/// A fresh run: counts what there is to queue and records the start.
async fn start(store: &Store) -> Result<State, IndexError> {
    let backend = store.backend();
    let total = count(store.conn(), "SELECT count(*) AS n FROM conversations").await?
        + count(store.conn(), "SELECT count(*) AS n FROM messages WHERE content <> ''").await?;
    let now = match backend {
        DbBackend::Postgres => "now()",
        _ => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    };
    let sql = format!(
        "INSERT INTO search_reindex (id, phase, after_id, enqueued, total, high_water, started_at)
         VALUES (1, '{CONVERSATIONS}', NULL, 0, {}, NULL, {now})",
        placeholder(backend, 1)
    );
    exec(store, backend, &sql, vec![total.into()]).await?;
    Ok(State { phase: CONVERSATIONS.into(), after_id: None, enqueued: 0, total, high_water: None })
}

/// Queues up to `room` documents of the current phase after `state.after_id`, and saves the new
/// position in the same transaction. Returns how many were queued.
async fn queue_batch(store: &Store, state: &mut State, room: u64) -> Result<u64, IndexError> {
    let backend = store.backend();
    let p = |n| placeholder(backend, n);
    let (table, kind, filter) = if state.phase == CONVERSATIONS {
        ("conversations", "conversation", "TRUE")
    } else {
        ("messages", "message", "content <> ''")
    };
    let (after, lock) = match backend {
        DbBackend::Postgres => (format!("({}::uuid IS NULL OR id > {})", p(1), p(1)), "FOR SHARE"),
        _ => (format!("({} IS NULL OR id > {})", p(1), p(1)), ""),
    };
    // SQLite numbers placeholders by position: bind the cursor twice there.
    let sql = format!(
        "WITH batch AS (
             SELECT id, tenant_id FROM {table} WHERE {filter} AND {after} ORDER BY id LIMIT {} {lock}
         )
         INSERT INTO search_outbox (tenant_id, doc_id, kind)
         SELECT tenant_id, id, '{kind}' FROM batch ORDER BY id
         RETURNING doc_id",
        room.max(1)
    );
    let mut values: Vec<Value> = vec![state.after_id.into()];
    if backend != DbBackend::Postgres {
        values.push(state.after_id.into());
    }
    let txn = store.begin().await?;
    let queued = Queued::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(&*txn).await?;
    let n = queued.len() as u64;
    match queued.iter().map(|q| q.doc_id).max() {
        Some(last) => {
            state.after_id = Some(last);
            state.enqueued += n as i64;
        }
        None if state.phase == CONVERSATIONS => {
            state.phase = MESSAGES.into();
            state.after_id = None;
        }
        None => {
            state.phase = INDEXING.into();
            state.after_id = None;
            state.high_water = Some(count(&*txn, "SELECT COALESCE(max(id), 0) AS n FROM search_outbox").await?);
        }
    }
    let save = format!(
        "UPDATE search_reindex SET phase = {}, after_id = {}, enqueued = {}, high_water = {} WHERE id = 1",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    let values: Vec<Value> =
        vec![state.phase.clone().into(), state.after_id.into(), state.enqueued.into(), state.high_water.into()];
    txn.execute_raw(Statement::from_sql_and_values(backend, save, values)).await?;
    txn.commit().await?;
    Ok(n)
}

/// Outbox rows up to `high_water` still waiting.
async fn remaining(store: &Store, high_water: i64) -> Result<u64, IndexError> {
    let sql = format!("SELECT count(*) AS n FROM search_outbox WHERE id <= {high_water}");
    Ok(count(store.conn(), &sql).await?.max(0) as u64)
}

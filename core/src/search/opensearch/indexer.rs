//! The outbox drain: takes a batch of `search_outbox` rows, reads their documents as they are now
//! in SQL, sends one bulk request, and deletes the rows once OpenSearch has acknowledged them.
//!
//! - **Idempotent and ordered by version.** Each document goes with `version_type=external` and
//!   the newest row id of the batch for it as version. Rows of one document are numbered in commit
//!   order (a trigger inserts its row after the write took the document's row lock), so an
//!   indexer holding an older row can never overwrite what another indexer wrote for a newer one:
//!   OpenSearch answers 409, which means "already newer", and the row is done.
//! - **Deletes** are versioned the same way; a document missing in SQL (conversation or message
//!   deleted, text emptied) is deleted from the index, and deleting a document that is not there is
//!   also done.
//! - **Several replicas** drain at once: on PostgreSQL a batch is claimed with `FOR UPDATE SKIP
//!   LOCKED` inside a transaction that stays open until the bulk answer, so concurrent indexers
//!   take disjoint rows, and a crash or a failed bulk rolls back and leaves the rows for the next
//!   try. Rows are deleted only after OpenSearch acknowledged them: nothing is dropped. (SQLite has
//!   one writer process; there the batch is read, sent, then deleted by id.)
//! - **Outages**: a failed batch is retried with exponential backoff (0.5 s doubling to 10 s);
//!   the outbox grows meanwhile and drains in id order when OpenSearch is back.
//! - A document OpenSearch refuses as malformed (a 4xx other than 404/409/429) is logged and its
//!   row dropped, so one poisoned row cannot stall the queue; it would be a bug in the mapping.
use super::{MAX_INDEXED_CHARS, OpenSearch, OpenSearchError, placeholders};
use crate::store::{Conn, Store};
use chrono::{DateTime, Utc};
use opensearch::BulkOperation;
use opensearch::BulkParts;
use opensearch::params::VersionType;
use sea_orm::{DbBackend, DbErr, FromQueryResult, Statement, TransactionTrait, Value};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    OpenSearch(#[from] OpenSearchError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// One outbox row.
#[derive(Debug, Clone, FromQueryResult)]
struct OutboxRow {
    id: i64,
    tenant_id: Uuid,
    doc_id: Uuid,
    kind: String,
}

/// A searchable document as SQL holds it now.
#[derive(Debug, FromQueryResult)]
struct DocRow {
    doc_id: Uuid,
    tenant_id: Uuid,
    owner_id: Uuid,
    conversation_id: Uuid,
    body: String,
    created_at: DateTime<Utc>,
}

/// What one drained batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Outbox rows taken and deleted.
    pub rows: usize,
    /// Documents written (or already newer in the index).
    pub indexed: usize,
    /// Documents deleted (or already gone).
    pub deleted: usize,
}

#[derive(Clone)]
pub struct Indexer {
    store: Store,
    os: OpenSearch,
    batch_size: u32,
    poll: Duration,
}

const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

impl Indexer {
    pub fn new(store: Store, os: OpenSearch, batch_size: u32, poll: Duration) -> Self {
        Self { store, os, batch_size: batch_size.max(1), poll }
    }

    /// Drains until `stop` is cancelled: batches back to back while there is work, a poll
    /// interval's sleep when there is none, exponential backoff while OpenSearch fails.
    pub async fn run(self, stop: CancellationToken) {
        let mut index_ready = false;
        let mut backoff = BACKOFF_MIN;
        let mut failing = false;
        loop {
            let result = async {
                if !index_ready {
                    self.os.ensure_index().await?;
                    index_ready = true;
                }
                self.drain_once().await
            }
            .await;
            let pause = match result {
                Ok(done) => {
                    if failing {
                        tracing::info!("search indexer: OpenSearch is back; draining the outbox");
                        failing = false;
                    }
                    backoff = BACKOFF_MIN;
                    if done.rows == 0 { self.poll } else { Duration::ZERO }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "search indexer: batch failed; retrying with backoff");
                        failing = true;
                    } else {
                        tracing::debug!(error = %e, "search indexer: batch failed again");
                    }
                    let pause = backoff;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    pause
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Drains one batch (none when the outbox is empty or every row is claimed by others).
    pub async fn drain_once(&self) -> Result<Drained, IndexError> {
        match self.store.backend() {
            DbBackend::Postgres => {
                let txn = self.store.conn().begin().await?;
                let claim = format!(
                    "SELECT id, tenant_id, doc_id, kind FROM search_outbox ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                    self.batch_size
                );
                let rows =
                    OutboxRow::find_by_statement(Statement::from_string(DbBackend::Postgres, claim)).all(&txn).await?;
                if rows.is_empty() {
                    txn.commit().await?;
                    return Ok(Drained::default());
                }
                let done = self.send(&txn, &rows).await?;
                crate::crashpoint::hit("search.outbox_sent");
                delete_rows(&txn, DbBackend::Postgres, &rows).await?;
                txn.commit().await?;
                Ok(done)
            }
            backend => {
                let claim = format!(
                    "SELECT id, tenant_id, doc_id, kind FROM search_outbox ORDER BY id LIMIT {}",
                    self.batch_size
                );
                let rows =
                    OutboxRow::find_by_statement(Statement::from_string(backend, claim)).all(self.store.conn()).await?;
                if rows.is_empty() {
                    return Ok(Drained::default());
                }
                let done = self.send(self.store.conn(), &rows).await?;
                crate::crashpoint::hit("search.outbox_sent");
                let txn = self.store.begin().await?;
                delete_rows(&*txn, backend, &rows).await?;
                txn.commit().await?;
                Ok(done)
            }
        }
    }

    /// Reads the batch's documents and writes them (or their deletion) in one bulk request.
    async fn send(&self, conn: &impl Conn, rows: &[OutboxRow]) -> Result<Drained, IndexError> {
        // The newest row of each document decides its version.
        let mut newest: BTreeMap<Uuid, &OutboxRow> = BTreeMap::new();
        for row in rows {
            newest.entry(row.doc_id).and_modify(|r| *r = if row.id > r.id { row } else { r }).or_insert(row);
        }
        let messages: Vec<Uuid> = newest.values().filter(|r| r.kind == "message").map(|r| r.doc_id).collect();
        let titles: Vec<Uuid> = newest.values().filter(|r| r.kind != "message").map(|r| r.doc_id).collect();
        let mut docs = load_messages(conn, &messages).await?;
        docs.extend(load_titles(conn, &titles).await?);

        let mut ops: Vec<BulkOperation<Json>> = Vec::with_capacity(newest.len());
        for row in newest.values() {
            // Routing by the document's tenant; for a delete the row remembers it.
            match docs.get(&row.doc_id) {
                Some(doc) => ops.push(
                    BulkOperation::index(json!({
                        "tenant_id": doc.tenant_id.to_string(),
                        "owner_id": doc.owner_id.to_string(),
                        "conversation_id": doc.conversation_id.to_string(),
                        "hit_id": doc.doc_id.to_string(),
                        "body": doc.body,
                        "created_at": doc.created_at,
                    }))
                    .id(doc.doc_id.to_string())
                    .routing(doc.tenant_id.to_string())
                    .version(row.id)
                    .version_type(VersionType::External)
                    .into(),
                ),
                None => ops.push(
                    BulkOperation::delete(row.doc_id.to_string())
                        .routing(row.tenant_id.to_string())
                        .version(row.id)
                        .version_type(VersionType::External)
                        .into(),
                ),
            }
        }
        self.bulk(ops).await
    }

    async fn bulk(&self, ops: Vec<BulkOperation<Json>>) -> Result<Drained, IndexError> {
        let index = self.os.index_name().to_string();
        let response =
            self.os.client.bulk(BulkParts::Index(&index)).body(ops).send().await.map_err(OpenSearchError::from)?;
        let status = response.status_code();
        let body: Json = response.json().await.map_err(|e| OpenSearchError::Unavailable(e.to_string()))?;
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(OpenSearchError::Unavailable(format!("bulk: {status}")).into());
        }
        if !status.is_success() {
            return Err(OpenSearchError::Refused(format!("bulk: {status}: {}", super::error_reason(&body))).into());
        }
        let mut done = Drained::default();
        let items = body.get("items").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default();
        for item in items {
            let (op, result) = match item.as_object().and_then(|o| o.iter().next()) {
                Some((op, result)) => (op.as_str(), result),
                None => continue,
            };
            let code = result.get("status").and_then(Json::as_u64).unwrap_or(0);
            match code {
                // 409: the index already has a newer version; 404: a delete of what is not there.
                200..=299 | 409 | 404 => {
                    if op == "delete" {
                        done.deleted += 1;
                    } else {
                        done.indexed += 1;
                    }
                }
                429 | 500..=599 | 0 => {
                    // Transient (a full queue, a shard moving): the whole batch is retried; the
                    // items that succeeded answer 409 next time.
                    let reason = result.pointer("/error/type").and_then(Json::as_str).unwrap_or("unknown");
                    return Err(OpenSearchError::Unavailable(format!("bulk item {code}: {reason}")).into());
                }
                _ => {
                    tracing::error!(
                        id = result.get("_id").and_then(Json::as_str).unwrap_or(""),
                        status = code,
                        // The type only: a reason may quote the document, i.e. message text.
                        error = result.pointer("/error/type").and_then(Json::as_str).unwrap_or("unknown"),
                        "search indexer: OpenSearch refused a document; skipping it"
                    );
                }
            }
        }
        Ok(done)
    }
}

async fn delete_rows(conn: &impl Conn, backend: DbBackend, rows: &[OutboxRow]) -> Result<(), DbErr> {
    let sql = format!("DELETE FROM search_outbox WHERE id IN ({})", placeholders(backend, 1, rows.len()));
    let values: Vec<Value> = rows.iter().map(|r| Value::from(r.id)).collect();
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

async fn load_messages(conn: &impl Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, DocRow>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = conn.get_database_backend();
    // Only the indexed prefix of the text leaves the database.
    let body = match backend {
        DbBackend::Postgres => format!("left(m.content, {MAX_INDEXED_CHARS})"),
        _ => format!("substr(m.content, 1, {MAX_INDEXED_CHARS})"),
    };
    let sql = format!(
        "SELECT m.id AS doc_id, c.tenant_id, c.owner_id, c.id AS conversation_id, {body} AS body, m.created_at
         FROM messages m JOIN conversations c ON c.id = m.conversation_id AND c.tenant_id = m.tenant_id
         WHERE m.content <> '' AND c.deleted_at IS NULL AND m.id IN ({})",
        placeholders(backend, 1, ids.len())
    );
    let values: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
    let rows = DocRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(conn).await?;
    Ok(rows.into_iter().map(|r| (r.doc_id, r)).collect())
}

async fn load_titles(conn: &impl Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, DocRow>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT id AS doc_id, tenant_id, owner_id, id AS conversation_id, title AS body, created_at
         FROM conversations WHERE title <> '' AND deleted_at IS NULL AND id IN ({})",
        placeholders(backend, 1, ids.len())
    );
    let values: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
    let rows = DocRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(conn).await?;
    Ok(rows.into_iter().map(|r| (r.doc_id, r)).collect())
}

/// Rows waiting in the outbox (the indexer's backlog).
pub async fn backlog(store: &Store) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let row =
        Count::find_by_statement(Statement::from_string(store.backend(), "SELECT count(*) AS n FROM search_outbox"))
            .one(store.conn())
            .await?;
    Ok(row.map_or(0, |r| r.n.max(0) as u64))
}

/// On the SQL backend nobody drains the outbox: rows older than a day are deleted (a switch to
/// OpenSearch starts with `confab search reindex`, which does not need them). Runs hourly.
pub async fn prune_undrained(store: Store, stop: CancellationToken) {
    let sql = match store.backend() {
        DbBackend::Postgres => "DELETE FROM search_outbox WHERE created_at < now() - interval '1 day'",
        _ => "DELETE FROM search_outbox WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')",
    };
    loop {
        let result = async {
            let txn = store.begin().await?;
            let done = txn.execute_raw(Statement::from_string(store.backend(), sql)).await?;
            txn.commit().await?;
            Ok::<u64, DbErr>(done.rows_affected())
        }
        .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "pruned the undrained search outbox"),
            Err(e) => tracing::warn!(error = %e, "could not prune the search outbox"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

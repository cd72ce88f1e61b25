//! Persistence: sea-orm over SQLite (embedded default) or PostgreSQL.
//!
//! Repositories are plain functions over any connection (`&impl ConnectionTrait`), so a service
//! can run several of them in one transaction. Every function over tenant-owned rows takes the
//! `TenantId` and filters by it in the query. The reads a turn makes on its way to the provider
//! take [`Read`] instead: any connection or transaction, or the [`Store`] itself, which on a
//! SQLite file runs them on the caller's thread ([`readers`]).

pub mod api_tokens;
pub mod audit;
pub mod audit_sinks;
pub mod catalogue;
pub mod choices;
pub mod conversations;
mod direct;
mod entities;
pub(crate) mod exchange;
pub mod files;
pub(crate) mod idempotency;
pub mod identity;
pub mod memberships;
pub mod messages;
pub mod personal;
pub(crate) mod plugins;
pub(crate) mod policy;
pub mod presets;
pub mod private_mode;
mod readers;
pub(crate) mod sessions;
pub(crate) mod setup_tokens;
pub mod sso;
pub mod tenants;
#[cfg(test)]
mod test_pg;
pub mod usage;
pub mod usage_insights;
pub(crate) mod users;
mod warm;
mod writer;

use confab_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};
use std::time::Duration;

pub use sea_orm::{DatabaseTransaction, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error(
        "the database schema is behind this Confab version ({pending} migration(s) pending: {names}); run `confab migrate` first"
    )]
    SchemaBehind { pending: usize, names: String },
    #[error(
        "the database schema is newer than this Confab version (unknown migration {0}) and lacks migrations it needs; use the release that migrated it"
    )]
    SchemaAhead(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// SQLite has one writer. Writers queue here, in order, instead of polling SQLite's busy
    /// handler (which sleeps up to 100 ms between tries); `None` on PostgreSQL.
    write_lock: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// SQLite's writer thread for the hot writes (`Store::write`); `None` on PostgreSQL.
    writer: Option<writer::Writer>,
    /// Read-only connections for the hot reads ([`Read`]), on a SQLite file; `None` otherwise.
    readers: Option<std::sync::Arc<readers::Readers>>,
    /// The pool it was opened with (a server's is warmed up: [`Store::warm_up`]).
    size: PoolSize,
}

pub use writer::WriteFn;

/// A write transaction. On SQLite it also holds this process's writer turn until it ends.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    /// Commits, with the search documents the transaction queued (on SQLite) indexed first.
    pub async fn commit(self) -> Result<(), DbErr> {
        if self.txn.get_database_backend() == DbBackend::Sqlite {
            index_queued_search(&self.txn).await?;
        }
        self.txn.commit().await
    }
}

/// SQLite: the FTS rows of the search documents the triggers queued (`search_fts_pending`, see
/// the migration `m20261225_000026_search_queue`), written in one statement at the end of a write
/// transaction, in a savepoint of its own. Written by each trigger instead, inside the writer's
/// per-write savepoints, every write made an FTS index segment of its own. The `scope` token must
/// stay the one a search matches (`search::sql`'s `SQLITE_MATCH`).
const INDEX_SEARCH: &str = "SAVEPOINT confab_search;
    INSERT INTO search_fts (rowid, scope, body)
        SELECT d.id, 's' || lower(hex(c.tenant_id)) || lower(hex(c.owner_id)), COALESCE(m.content, c.title)
        FROM search_fts_pending p
        JOIN search_docs d ON d.id = p.id
        JOIN conversations c ON c.id = d.conversation_id
        LEFT JOIN messages m ON m.id = d.message_id;
    DELETE FROM search_fts_pending;
    RELEASE confab_search";

/// Indexes the queued search documents inside a SQLite write transaction, just before its commit.
/// If that fails, the queue is left for the next transaction or search (the transaction's own
/// writes still commit); an error means the savepoint could not be rolled back either, and the
/// transaction must not commit.
pub(crate) async fn index_queued_search(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if let Err(e) = txn.execute_unprepared(INDEX_SEARCH).await {
        tracing::warn!(error = %e, "could not index the queued search documents; they stay queued");
        txn.execute_unprepared("ROLLBACK TO confab_search; RELEASE confab_search").await?;
    }
    Ok(())
}

/// How many connections a store's pool holds.
#[derive(Debug, Clone, Copy)]
pub enum PoolSize {
    /// Up to this many, opened when needed (one kept): a command that runs and exits.
    UpTo(u32),
    /// A server's pool: on PostgreSQL all of them are opened at the start and kept (reopened
    /// when one closes), since opening one there starts a server process (several ms) and a burst
    /// of turns after a quiet spell would wait for that; on SQLite, as `UpTo`.
    Kept(u32),
}

/// How to connect to `url` with a pool of `size`.
fn options(url: &str, size: PoolSize) -> ConnectOptions {
    let sqlite = url.starts_with("sqlite:");
    let (max_connections, min_connections) = match size {
        PoolSize::Kept(max) if !sqlite => (max, max),
        PoolSize::Kept(max) | PoolSize::UpTo(max) => (max, 1),
    };
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(max_connections)
        .min_connections(min_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if sqlite {
        // A connection to a local file cannot be hung up on: no ping (a round trip to sqlx's
        // connection thread) each time one is taken from the pool.
        opts.test_before_acquire(false);
        // WAL lets readers proceed while one writer commits; the busy timeout makes
        // concurrent writers wait for each other instead of failing.
        opts.map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    opts
}

impl Store {
    /// Opens the database at `url` with a pool of up to `max_connections` (see [`Store::open`]).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::open(url, PoolSize::UpTo(max_connections)).await
    }

    /// Opens the database at `url` with a pool of `size`.
    pub async fn open(url: &str, size: PoolSize) -> Result<Self, StoreError> {
        let sqlite = url.starts_with("sqlite:");
        if sqlite
            && let Some(parent) = sqlite_path(url).and_then(|p| p.parent().map(|d| d.to_path_buf()))
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&parent)
                .map_err(|e| StoreError::Connect(format!("cannot create {}: {e}", parent.display())))?;
        }
        let db = match (Database::connect(options(url, size)).await, size) {
            (Ok(db), _) => db,
            // A PostgreSQL that refuses part of the pool (its `max_connections`, or a role's or
            // database's connection limit, is below what the replicas ask for) would fail
            // requests under load anyway (sqlx keeps trying to open more until the acquire
            // timeout): say so at the start, naming the setting.
            (Err(e), PoolSize::Kept(max)) if !sqlite => {
                return Err(StoreError::Connect(format!(
                    "could not open the pool's {max} connections (database.max_connections): {e}. If PostgreSQL \
                     is reachable, its max_connections (or the role's or database's connection limit) is below \
                     what this replica asks for: lower database.max_connections or raise the limit, counting \
                     every replica"
                )));
            }
            (Err(e), _) => return Err(StoreError::Connect(e.to_string())),
        };
        let write_lock = sqlite.then(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));
        let writer = match &write_lock {
            Some(lock) => {
                // The writer's own connection: SQLite empties a connection's page cache whenever
                // another connection has written since it last read, so a writer taking any
                // connection of the pool started most groups cold; its own stays warm. Under 200
                // turns at once the turn's commit waited a median 48 ms instead of 69 ms. (An
                // in-memory database is one connection's own: there the writer shares the pool.)
                // Its statements run on its own thread ([`direct`]), not as round trips to sqlx's.
                let own = match sqlite_path(url) {
                    Some(path) => writer::Connections::for_file(url, &path).await.map_err(StoreError::Connect)?,
                    None => writer::Connections::shared(db.clone()),
                };
                Some(
                    writer::Writer::start(own, lock.clone())
                        .map_err(|e| StoreError::Connect(format!("cannot start the database writer: {e}")))?,
                )
            }
            None => None,
        };
        let readers = sqlite_path(url).filter(|_| sqlite).map(|path| std::sync::Arc::new(readers::Readers::new(&path)));
        Ok(Self { db, write_lock, writer, readers, size })
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend() {
            DbBackend::Postgres => "postgres",
            _ => "sqlite",
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so a transaction that reads before it writes waits its turn instead of failing when
    /// another writer got there first.
    pub async fn begin(&self) -> Result<WriteTxn, DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions};
        let turn = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?;
        Ok(WriteTxn { txn, _turn: turn })
    }

    /// Runs `write` in a write transaction and commits it. On SQLite the write is queued to the
    /// writer thread, which commits the writes queued meanwhile together (each in a savepoint,
    /// so a failing write rolls back alone); on PostgreSQL it runs in a transaction of its own
    /// on this task. A write must not start another write transaction (it would wait for itself).
    ///
    /// On a database file the writer runs the statements itself, and a write must not read
    /// (a query fails): use [`Store::write_reading`] for one that does.
    pub async fn write<T: Send + 'static>(&self, write: WriteFn<T>) -> crate::error::AppResult<T> {
        self.queue(write, false).await
    }

    /// As [`Store::write`], for a write that reads inside its transaction (e.g. the audit chain's
    /// head): on SQLite it commits on the writer's sqlx connection, apart from the writes that
    /// do not read.
    pub async fn write_reading<T: Send + 'static>(&self, write: WriteFn<T>) -> crate::error::AppResult<T> {
        self.queue(write, true).await
    }

    /// SQLite: indexes the search documents still queued, if any, before a search reads the
    /// index. Writes through [`Store::write`] and [`Store::begin`] index theirs as they commit; a
    /// single statement on the pool (a rename, say) leaves them to the next write or search.
    pub async fn index_search_queue(&self) -> crate::error::AppResult<()> {
        if self.writer.is_none() {
            return Ok(());
        }
        let queued = self
            .db
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT 1 FROM search_fts_pending LIMIT 1"))
            .await?
            .is_some();
        if queued {
            // An empty write: its group indexes the queue before it commits.
            self.write(Box::new(|_| Box::pin(async { Ok(()) }))).await?;
        }
        Ok(())
    }

    async fn queue<T: Send + 'static>(&self, write: WriteFn<T>, reads: bool) -> crate::error::AppResult<T> {
        if let Some(writer) = &self.writer {
            return writer.write(write, reads).await;
        }
        let txn = self.db.begin().await?;
        let value = write(&txn).await?;
        txn.commit().await?;
        Ok(value)
    }

    /// Applies every pending migration. A schema newer than this binary is left alone when it
    /// has every migration this binary knows (the previous release runs on it), and refused when
    /// it lacks some (it did not come from this line of releases).
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let (pending, ahead) = self.schema_state().await?;
        if let Some(unknown) = ahead {
            if pending.is_empty() {
                return Ok(0);
            }
            return Err(StoreError::SchemaAhead(unknown));
        }
        Migrator::up(&self.db, None).await?;
        Ok(pending.len())
    }

    /// Applies only the next `steps` pending migrations: upgrade tests build a database as an
    /// older version left it, then let this version migrate it.
    pub async fn migrate_steps(&self, steps: u32) -> Result<(), StoreError> {
        Migrator::up(&self.db, Some(steps)).await?;
        Ok(())
    }

    /// Fails when a migration this binary needs is missing. A schema *ahead* of this binary is
    /// accepted and named (`Ok(Some(migration))`): by the expand/contract rule (README, "Upgrades
    /// without downtime") a release runs on the next release's schema, which is what the old
    /// replicas of a rolling upgrade (migrated before they are replaced) and a rollback do.
    pub async fn check_schema(&self) -> Result<Option<String>, StoreError> {
        let (pending, ahead) = self.schema_state().await?;
        if !pending.is_empty() {
            return Err(StoreError::SchemaBehind { pending: pending.len(), names: pending.join(", ") });
        }
        Ok(ahead)
    }

    /// (migrations this binary knows that are not applied, an applied migration it does not know).
    async fn schema_state(&self) -> Result<(Vec<String>, Option<String>), StoreError> {
        use sea_orm::{ConnectionTrait, Statement};
        let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_string()).collect();
        // Read the ledger directly: sea-orm's helpers refuse to list versions they do not know.
        let applied: Vec<String> = match self
            .db
            .query_all_raw(Statement::from_string(self.backend(), "SELECT version FROM seaql_migrations"))
            .await
        {
            Ok(rows) => rows.iter().filter_map(|r| r.try_get::<String>("", "version").ok()).collect(),
            Err(_) if !self.ping().await => return Err(StoreError::Connect("the database does not answer".into())),
            Err(_) => vec![],
        };
        let ahead = applied.iter().find(|a| !known.contains(a)).cloned();
        let pending = known.into_iter().filter(|k| !applied.contains(k)).collect();
        Ok((pending, ahead))
    }

    /// True when the database answers a trivial query within two seconds. Bounded: a database
    /// behind a network that drops packets never answers, and `/readyz` must.
    pub async fn ping(&self) -> bool {
        matches!(tokio::time::timeout(Duration::from_secs(2), self.db.ping()).await, Ok(Ok(())))
    }
}

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" { None } else { Some(path.into()) }
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    // Microsecond precision: what PostgreSQL keeps, so values round-trip identically everywhere.
    let now = chrono::Utc::now();
    chrono::DurationRound::duration_trunc(now, chrono::Duration::microseconds(1)).unwrap_or(now)
}

/// Runs a statement that must touch exactly one row.
pub(crate) fn expect_one(rows: u64, what: &'static str) -> Result<(), crate::error::AppError> {
    if rows == 1 { Ok(()) } else { Err(crate::error::AppError::NotFound(what)) }
}

pub(crate) use sea_orm::ConnectionTrait as Conn;

/// Where a whole-entity select runs: any connection or transaction, or the [`Store`], which on a
/// SQLite file reads on the caller's thread instead of a round trip to sqlx's connection thread
/// ([`readers`]); on PostgreSQL (or an in-memory database) the store reads through its pool.
pub trait Read: Sync {
    fn all<E: sea_orm::EntityTrait>(
        &self,
        select: sea_orm::Select<E>,
    ) -> impl std::future::Future<Output = Result<Vec<E::Model>, DbErr>> + Send;

    fn one<E: sea_orm::EntityTrait>(
        &self,
        select: sea_orm::Select<E>,
    ) -> impl std::future::Future<Output = Result<Option<E::Model>, DbErr>> + Send;
}

impl<C: sea_orm::ConnectionTrait + Sync> Read for C {
    fn all<E: sea_orm::EntityTrait>(
        &self,
        select: sea_orm::Select<E>,
    ) -> impl std::future::Future<Output = Result<Vec<E::Model>, DbErr>> + Send {
        select.all(self)
    }

    fn one<E: sea_orm::EntityTrait>(
        &self,
        select: sea_orm::Select<E>,
    ) -> impl std::future::Future<Output = Result<Option<E::Model>, DbErr>> + Send {
        select.one(self)
    }
}

impl Read for Store {
    async fn all<E: sea_orm::EntityTrait>(&self, select: sea_orm::Select<E>) -> Result<Vec<E::Model>, DbErr> {
        match &self.readers {
            Some(readers) => readers.all(select),
            None => select.all(&self.db).await,
        }
    }

    async fn one<E: sea_orm::EntityTrait>(&self, select: sea_orm::Select<E>) -> Result<Option<E::Model>, DbErr> {
        match &self.readers {
            Some(readers) => readers.one(select),
            None => select.one(&self.db).await,
        }
    }
}

/// The `n`th (1-based) bind placeholder of `backend`, for hand-written SQL.
pub(crate) fn placeholder(backend: sea_orm::DbBackend, n: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".into(),
    }
}

/// `count` placeholders from the `first`th on, comma-separated.
pub(crate) fn placeholders(backend: sea_orm::DbBackend, first: usize, count: usize) -> String {
    (first..first + count).map(|n| placeholder(backend, n)).collect::<Vec<_>>().join(", ")
}

/// `items` cut into runs whose lengths are powers of two (the largest that fits first, at most
/// `max`, itself a power of two): a statement written for a run has one of a few shapes, so the
/// prepared-statement cache keeps a handful of them instead of one per batch size.
pub(crate) fn chunks_of_powers_of_two<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = if rest.len() >= max { max } else { 1 << rest.len().ilog2() };
        let (run, after) = rest.split_at(len);
        rest = after;
        Some(run)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Store;
    use sea_orm::{ConnectionTrait, Statement};

    #[test]
    fn batches_are_cut_into_a_few_shapes() {
        let lengths = |n: usize, max: usize| {
            let items: Vec<usize> = (0..n).collect();
            let runs: Vec<&[usize]> = super::chunks_of_powers_of_two(&items, max).collect();
            assert_eq!(runs.concat(), items, "every item once, in order");
            runs.iter().map(|r| r.len()).collect::<Vec<_>>()
        };
        assert_eq!(lengths(0, 8), Vec::<usize>::new());
        assert_eq!(lengths(1, 8), vec![1]);
        assert_eq!(lengths(2, 8), vec![2]);
        assert_eq!(lengths(200, 1024), vec![128, 64, 8]);
        assert_eq!(lengths(21, 8), vec![8, 8, 4, 1]);
    }

    /// `.cargo/config.toml` sets how the bundled SQLite is compiled; a build that missed it (run
    /// from outside the workspace, or with `LIBSQLITE3_FLAGS` overridden) recompiles statements
    /// on every execution. The options are what SQLite itself reports.
    #[tokio::test]
    async fn the_bundled_sqlite_is_built_as_confab_expects() {
        let store = Store::connect("sqlite::memory:", 1).await.unwrap();
        let rows = store
            .conn()
            .query_all_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA compile_options"))
            .await
            .unwrap();
        let options: Vec<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
        for want in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
            assert!(options.iter().any(|o| o == want), "SQLite was built without {want}: {options:?}");
        }
    }
}

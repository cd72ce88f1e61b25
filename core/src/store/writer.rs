//! SQLite's one writer, on a thread of its own, committing queued writes in groups.
//!
//! A write transaction on SQLite holds the database's only write lock from `BEGIN IMMEDIATE` to
//! `COMMIT`, and each statement in between is a round trip to sqlx's connection thread. Run from
//! the server's runtime, every one of those round trips waits in the runtime's queue behind the
//! streams being relayed, so under load the lock is held (and every new turn waits) for far longer
//! than the statements take. The hot writes (a turn's first write, its final write, the periodic
//! flush of streamed text and the record of an OpenAI-compatible call) come here instead: a
//! dedicated thread runs them back to back, and commits every write that queued meanwhile in one
//! transaction, each in a savepoint of its own so that one failing write rolls back alone. Each
//! caller learns its outcome after the commit, as if it had committed alone. After the group's
//! last savepoint, and before the commit, the search documents its writes queued are indexed in
//! one statement ([`super::index_queued_search`]): FTS5 writes an index segment at every savepoint.
//!
//! On a database file the writer's statements run on its own thread, on a connection of its own
//! ([`super::direct`]), not as round trips to a connection thread. That connection runs statements
//! without results only; a write that reads inside its transaction (the audit chain's head, say)
//! says so ([`super::Store::write_reading`]) and commits on the writer's sqlx connection instead,
//! in a transaction of its own group.
//!
//! On PostgreSQL (many writers at once) a write runs in its own transaction on the caller's task.

use super::direct::Direct;
use crate::error::{AppError, AppResult};
use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most writes committed in one transaction.
const MAX_GROUP: usize = 64;

/// What a write needs: the transaction to write in.
pub type WriteFn<T> = Box<dyn for<'a> FnOnce(&'a DatabaseTransaction) -> BoxFuture<'a, AppResult<T>> + Send>;

/// A queued write with its result's way back, its type erased.
trait Job: Send {
    /// Whether the write reads inside its transaction.
    fn reads(&self) -> bool;
    /// Runs the write in `txn`.
    fn run<'a>(self: Box<Self>, txn: &'a DatabaseTransaction) -> BoxFuture<'a, Ran>;
    /// Tells the caller its write did not run.
    fn refuse(self: Box<Self>, e: &AppError);
}

/// A write that ran: whether it succeeded (its savepoint is kept) and how to deliver its result
/// once the group's commit is known (`Some(error)` when the commit failed).
struct Ran {
    ok: bool,
    deliver: Deliver,
}

/// Hands a write's result to its caller, given the group's commit error if any.
type Deliver = Box<dyn FnOnce(Option<&AppError>) + Send>;

struct Typed<T> {
    write: WriteFn<T>,
    reads: bool,
    outcome: oneshot::Sender<AppResult<T>>,
    span: tracing::Span,
}

impl<T: Send + 'static> Job for Typed<T> {
    fn reads(&self) -> bool {
        self.reads
    }

    fn run<'a>(self: Box<Self>, txn: &'a DatabaseTransaction) -> BoxFuture<'a, Ran> {
        let Typed { write, outcome, span, .. } = *self;
        Box::pin(async move {
            // A write that panics fails alone (its savepoint is rolled back); the writer goes on.
            let result = std::panic::AssertUnwindSafe(tracing::Instrument::instrument(write(txn), span))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err(AppError::Internal("a database write panicked".into())));
            Ran {
                ok: result.is_ok(),
                deliver: Box::new(move |commit: Option<&AppError>| {
                    let result = match (result, commit) {
                        (Ok(_), Some(e)) => Err(duplicate(e)),
                        (result, _) => result,
                    };
                    // The caller may have gone (its request dropped): the write stands.
                    let _ = outcome.send(result);
                }),
            }
        })
    }

    fn refuse(self: Box<Self>, e: &AppError) {
        let _ = self.outcome.send(Err(duplicate(e)));
    }
}

/// The connections the writer writes on.
pub(super) struct Connections {
    /// An sqlx connection of the writer's own (for an in-memory database, which only the pool's
    /// connection sees, the pool): writes that read, and every write without `direct`.
    sqlx: DatabaseConnection,
    /// The writer's own SQLite connection, its statements run on the writer's thread, and
    /// sea-orm's connection over it; `None` for an in-memory database.
    direct: Option<(DatabaseConnection, Direct)>,
}

impl Connections {
    /// The connections of a writer for the database file at `path`.
    pub(super) async fn for_file(url: &str, path: &std::path::Path) -> Result<Self, String> {
        let sqlx = sea_orm::Database::connect(super::options(url, super::PoolSize::UpTo(1)))
            .await
            .map_err(|e| e.to_string())?;
        let direct = Direct::open(path)?;
        Ok(Self { sqlx, direct: Some((direct.connection(), direct)) })
    }

    /// The connection of a writer for an in-memory database: the pool's.
    pub(super) fn shared(pool: DatabaseConnection) -> Self {
        Self { sqlx: pool, direct: None }
    }
}

/// The connection one transaction of the writer runs on.
#[derive(Clone, Copy)]
enum Connection<'a> {
    Sqlx(&'a DatabaseConnection),
    Direct(&'a DatabaseConnection, &'a Direct),
}

impl Connection<'_> {
    /// Begins a transaction that takes the write lock at once.
    async fn begin(self) -> Result<DatabaseTransaction, DbErr> {
        match self {
            Self::Sqlx(db) => {
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                };
                db.begin_with_options(options).await
            }
            Self::Direct(db, direct) => {
                direct.batch("BEGIN IMMEDIATE")?;
                // sea-orm's transaction over the direct connection only carries the statements.
                match db.begin().await {
                    Ok(txn) => Ok(txn),
                    Err(e) => {
                        let _ = direct.batch("ROLLBACK");
                        Err(e)
                    }
                }
            }
        }
    }

    async fn commit(self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        match self {
            Self::Sqlx(_) => txn.commit().await,
            Self::Direct(_, direct) => {
                let _ = txn.commit().await;
                let committed = direct.batch("COMMIT");
                // A commit that failed may leave the transaction open (SQLite keeps it on a busy
                // error): it is rolled back, and the group fails.
                if committed.is_err() && direct.in_transaction() {
                    let _ = direct.batch("ROLLBACK");
                }
                committed
            }
        }
    }

    async fn rollback(self, txn: DatabaseTransaction) {
        let _ = txn.rollback().await;
        if let Self::Direct(_, direct) = self
            && direct.in_transaction()
            && let Err(e) = direct.batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "the writer could not roll back a transaction");
        }
    }
}

/// The queue to the writer thread.
#[derive(Clone)]
pub(super) struct Writer {
    queue: mpsc::UnboundedSender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread for `db`; it ends when the last `Writer` is dropped.
    pub(super) fn start(db: Connections, lock: Arc<tokio::sync::Mutex<()>>) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new()
            .name("confab-db-writer".into())
            .spawn(move || runtime.block_on(run(db, lock, jobs)))?;
        Ok(Self { queue })
    }

    /// Queues `write` (which `reads` inside its transaction or not) and waits for its outcome
    /// after the commit of its group.
    pub(super) async fn write<T: Send + 'static>(&self, write: WriteFn<T>, reads: bool) -> AppResult<T> {
        let (sender, outcome) = oneshot::channel::<AppResult<T>>();
        let job = Box::new(Typed { write, reads, outcome: sender, span: tracing::Span::current() });
        self.queue.send(job).map_err(|_| AppError::Unavailable("the database writer has stopped".into()))?;
        outcome.await.map_err(|_| AppError::Unavailable("the database writer stopped during a write".into()))?
    }
}

async fn run(db: Connections, lock: Arc<tokio::sync::Mutex<()>>, mut jobs: mpsc::UnboundedReceiver<Box<dyn Job>>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = jobs.recv().await {
        group.push(first);
        // Writers elsewhere in the process (`Store::begin`) take their turns here too.
        let _turn = lock.lock().await;
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match &db.direct {
            Some((direct_db, direct)) => {
                let (reading, plain): (Vec<_>, Vec<_>) = group.drain(..).partition(|job| job.reads());
                if !plain.is_empty() {
                    commit_group(Connection::Direct(direct_db, direct), plain).await;
                }
                if !reading.is_empty() {
                    commit_group(Connection::Sqlx(&db.sqlx), reading).await;
                }
            }
            None => commit_group(Connection::Sqlx(&db.sqlx), std::mem::take(&mut group)).await,
        }
    }
}

/// Runs the writes in one transaction (each in a savepoint when there are several) and delivers
/// every outcome after the commit.
async fn commit_group(db: Connection<'_>, group: Vec<Box<dyn Job>>) {
    let alone = group.len() == 1;
    let txn = match db.begin().await {
        Ok(txn) => txn,
        Err(e) => {
            let e = AppError::from(e);
            tracing::warn!(error = %e, "could not begin a write transaction");
            group.into_iter().for_each(|job| job.refuse(&e));
            return;
        }
    };
    let mut ran = Vec::with_capacity(group.len());
    let mut jobs = group.into_iter();
    while let Some(job) = jobs.next() {
        if alone {
            ran.push(job.run(&txn).await);
            continue;
        }
        // Each write runs in a savepoint. Ending the previous write's savepoint (kept, or rolled
        // back when that write failed) and opening this one's take one round trip to the
        // connection's thread, not two or three.
        let open = match ran.last() {
            None => SAVEPOINT,
            Some(done) if done.ok => NEXT,
            Some(_) => ROLL_BACK_AND_NEXT,
        };
        let failure = match txn.execute_unprepared(open).await {
            Ok(_) => {
                ran.push(job.run(&txn).await);
                continue;
            }
            Err(e) => {
                let e = AppError::from(e);
                job.refuse(&e);
                e
            }
        };
        fail_group(db, txn, &failure, ran, jobs).await;
        return;
    }
    // The last write's savepoint: the commit keeps it, unless that write failed.
    if !alone
        && ran.last().is_some_and(|done| !done.ok)
        && let Err(e) = txn.execute_unprepared(ROLL_BACK).await
    {
        let e = AppError::from(e);
        fail_group(db, txn, &e, ran, std::iter::empty()).await;
        return;
    }
    if alone && ran.first().is_some_and(|done| !done.ok) {
        // A lone write that failed is rolled back, as if it had its own transaction.
        db.rollback(txn).await;
        ran.into_iter().for_each(|done| (done.deliver)(None));
        return;
    }
    // The group's new search documents, indexed in one statement now that no savepoint follows.
    if let Err(e) = super::index_queued_search(&txn).await {
        fail_group(db, txn, &AppError::from(e), ran, std::iter::empty()).await;
        return;
    }
    let committed = db.commit(txn).await.err().map(AppError::from);
    if let Some(e) = &committed {
        tracing::warn!(error = %e, writes = ran.len(), "a group of writes could not commit");
    }
    ran.into_iter().for_each(|done| (done.deliver)(committed.as_ref()));
}

const SAVEPOINT: &str = "SAVEPOINT confab_write";
const NEXT: &str = "RELEASE confab_write; SAVEPOINT confab_write";
const ROLL_BACK_AND_NEXT: &str = "ROLLBACK TO confab_write; RELEASE confab_write; SAVEPOINT confab_write";
const ROLL_BACK: &str = "ROLLBACK TO confab_write";

/// A savepoint that could not be taken or ended leaves the transaction in an unknown state: the
/// whole group is rolled back, and every write of it fails.
async fn fail_group(
    db: Connection<'_>,
    txn: DatabaseTransaction,
    failure: &AppError,
    ran: Vec<Ran>,
    rest: impl Iterator<Item = Box<dyn Job>>,
) {
    tracing::warn!(error = %failure, "a grouped write failed; its group is rolled back");
    db.rollback(txn).await;
    rest.for_each(|job| job.refuse(failure));
    ran.into_iter().for_each(|done| (done.deliver)(Some(failure)));
}

/// The same error for another caller of the group (errors are not `Clone`).
fn duplicate(e: &AppError) -> AppError {
    match e {
        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
        AppError::Conflict(m) => AppError::Conflict(m.clone()),
        AppError::Internal(m) => AppError::Internal(m.clone()),
        other => AppError::Internal(other.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::super::Store;
    use crate::error::AppError;
    use sea_orm::{ConnectionTrait, Statement};
    use std::time::Duration;

    async fn insert(txn: &sea_orm::DatabaseTransaction, v: i64) -> Result<(), AppError> {
        txn.execute_unprepared(&format!("INSERT INTO t (v) VALUES ({v})")).await?;
        Ok(())
    }

    async fn values(store: &Store) -> Vec<i64> {
        let rows = store
            .conn()
            .query_all_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, "SELECT v FROM t ORDER BY v"))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect()
    }

    /// A store on a new database file with one table, `t (v UNIQUE)`, and its directory.
    async fn store_with_table() -> (std::path::PathBuf, Store) {
        let dir = std::env::temp_dir().join(format!("confab-writer-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/w.db", dir.display());
        let store = Store::connect(&url, 4).await.unwrap();
        store.conn().execute_unprepared("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)").await.unwrap();
        (dir, store)
    }

    /// Writes queued while another writer holds the lock commit together, and the ones that
    /// fail (an error, a panic) roll back alone: the others' rows are there, theirs are not.
    #[tokio::test]
    async fn a_failing_write_of_a_group_rolls_back_alone() {
        let (dir, store) = store_with_table().await;
        // Another writer holds the lock while the writes queue behind it.
        let held = store.begin().await.unwrap();
        let spawn = |n: i64| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .write(Box::new(move |txn| {
                        Box::pin(async move {
                            match n {
                                // Writes a row, then breaks the unique constraint.
                                2 => {
                                    insert(txn, 20).await?;
                                    insert(txn, 1).await
                                }
                                4 => {
                                    insert(txn, 40).await?;
                                    panic!("a write that panics");
                                }
                                // The group's last write fails: the commit must not keep it.
                                6 => {
                                    insert(txn, 60).await?;
                                    insert(txn, 60).await
                                }
                                n => insert(txn, n).await,
                            }
                        })
                    }))
                    .await
            })
        };
        let writes: Vec<_> = (1..=6).map(spawn).collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        held.commit().await.unwrap();
        let mut outcomes = Vec::new();
        for write in writes {
            outcomes.push(write.await.unwrap());
        }
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok() && outcomes[4].is_ok(), "{outcomes:?}");
        assert!(matches!(outcomes[1], Err(AppError::Conflict(_))), "{:?}", outcomes[1]);
        assert!(matches!(outcomes[3], Err(AppError::Internal(_))), "{:?}", outcomes[3]);
        assert!(matches!(outcomes[5], Err(AppError::Conflict(_))), "{:?}", outcomes[5]);
        assert_eq!(values(&store).await, vec![1, 3, 5]);
        // A lone write that fails leaves nothing either, and the writer goes on.
        let failed = store
            .write(Box::new(|txn| {
                Box::pin(async move {
                    insert(txn, 80).await?;
                    insert(txn, 80).await
                })
            }))
            .await;
        assert!(matches!(failed, Err(AppError::Conflict(_))), "{failed:?}");
        let kept = store.write(Box::new(|txn| Box::pin(insert(txn, 70)))).await;
        assert!(kept.is_ok(), "{kept:?}");
        assert_eq!(values(&store).await, vec![1, 3, 5, 70]);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Queues `write` (one that `reads`, or not) from a task of its own.
    fn queue(store: &Store, reads: bool, write: super::WriteFn<()>) -> tokio::task::JoinHandle<Result<(), AppError>> {
        let store = store.clone();
        tokio::spawn(async move { if reads { store.write_reading(write).await } else { store.write(write).await } })
    }

    /// A write that reads inside its transaction sees what it wrote and commits, queued beside
    /// plain writes; a plain write that reads fails alone and leaves nothing.
    #[tokio::test]
    async fn writes_that_read_say_so() {
        let (dir, store) = store_with_table().await;
        let held = store.begin().await.unwrap();
        let plain = |v: i64| queue(&store, false, Box::new(move |txn| Box::pin(insert(txn, v))));
        let reading = queue(
            &store,
            true,
            Box::new(|txn| {
                Box::pin(async move {
                    insert(txn, 10).await?;
                    let max = Statement::from_string(sea_orm::DbBackend::Sqlite, "SELECT MAX(v) FROM t");
                    let row = txn.query_one_raw(max).await?.ok_or(AppError::NotFound("row"))?;
                    insert(txn, row.try_get_by_index::<i64>(0)? + 1).await
                })
            }),
        );
        let first = plain(1);
        let misplaced = queue(
            &store,
            false,
            Box::new(|txn| {
                Box::pin(async move {
                    insert(txn, 30).await?;
                    txn.query_one_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, "SELECT 1")).await?;
                    Ok(())
                })
            }),
        );
        let last = plain(2);
        tokio::time::sleep(Duration::from_millis(200)).await;
        held.commit().await.unwrap();
        assert!(reading.await.unwrap().is_ok());
        assert!(first.await.unwrap().is_ok() && last.await.unwrap().is_ok());
        assert!(misplaced.await.unwrap().is_err());
        assert_eq!(values(&store).await, vec![1, 2, 10, 11]);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

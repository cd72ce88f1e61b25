//! The SQLite writer's own connection, driven from the writer's thread itself.
//!
//! Through sqlx every statement is a round trip to that connection's own thread: the statement
//! goes over a channel, that thread wakes, runs it and sends the result back, and the writer wakes
//! again. A turn's write is four or five statements, and a group of writes under a burst of turns
//! is a few hundred, each paying two thread wake-ups on a machine whose cores are busy relaying
//! streams. Here the writer's statements run on its thread, on a connection it owns: sea-orm hands
//! each statement to [`Direct`], which binds the values exactly as sqlx would (so the rows read
//! elsewhere through sqlx are the same) and runs it in place.
//!
//! sea-orm takes a statement executor of one's own through two doors: its proxy connection
//! (feature `proxy`, which does not compile beside `sqlx-sqlite` in sea-orm 2.0.4) and its
//! synchronous "mock" connection trait, [`MockDatabaseTrait`], used here. Nothing of sea-orm's
//! mock database itself is used, save to build each statement's [`ExecResult`] (its fields are
//! sea-orm's own): the statements run on a real SQLite connection.
//!
//! Only statements that return no rows run here (inserts, updates, deletes, savepoints): the
//! writes read nothing inside their transaction, and a read would need sea-orm's typed decoding
//! of driver rows. A query fails loudly instead of answering approximately. Transactions are the
//! writer's to begin and end ([`Direct::batch`]), with their errors; sea-orm's transaction object
//! over this connection only carries the statements.

use sea_orm::sea_query::{OptionEnum, Value as SqlValue};
use sea_orm::{
    DatabaseConnection, DatabaseConnectionType, DbBackend, DbErr, ExecResult, MockDatabase, MockDatabaseConnection,
    MockDatabaseTrait, MockExecResult, QueryResult, RuntimeErr, Statement, Transaction,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many prepared statements the connection keeps: the hot writes use a few dozen shapes.
const CACHED_STATEMENTS: usize = 128;

#[derive(Clone)]
pub(super) struct Direct {
    state: Arc<Mutex<State>>,
}

struct State {
    conn: rusqlite::Connection,
    /// sea-orm transactions open over this connection: the writer's one, and any nested one a
    /// write would start (whose statements `run` refuses).
    depth: u32,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Direct")
    }
}

impl Direct {
    /// Opens the database file at `path` as the pool's connections are opened (WAL, `NORMAL`
    /// synchronous, foreign keys enforced, a 10 s busy timeout), its temporary files in memory.
    ///
    /// Each write of a group runs in a savepoint, and SQLite copies every page a savepoint
    /// changes first into a sub-journal, which it moves to a temporary file once it passes 64 KiB;
    /// from then on every page copy of the transaction is a `pwrite` to that file (in a profile
    /// of the writer under 200 turns at once, about a third of its samples). In memory
    /// (`temp_store`) the copies stay copies, and the sub-journal is emptied as each savepoint
    /// ends. N = 50, three alternated runs: added TTFT p99 11.1 / 15.0 / 15.7 -> 9.7 / 9.6 / 9.9
    /// ms.
    pub(super) fn open(path: &Path) -> Result<Self, String> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = rusqlite::Connection::open_with_flags(path, flags)
            .map_err(|e| format!("cannot open {} for the writer: {e}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = MEMORY;",
        )
        .map_err(|e| format!("cannot configure the writer's connection: {e}"))?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(Self { state: Arc::new(Mutex::new(State { conn, depth: 0 })) })
    }

    /// Runs `sql` (one or more statements without parameters, e.g. `BEGIN IMMEDIATE`).
    pub(super) fn batch(&self, sql: &str) -> Result<(), DbErr> {
        self.lock().conn.execute_batch(sql).map_err(error)
    }

    /// A sea-orm connection whose statements run on this connection, on the calling thread.
    pub(super) fn connection(&self) -> DatabaseConnection {
        DatabaseConnectionType::MockDatabaseConnection(Arc::new(MockDatabaseConnection::new(self.clone()))).into()
    }

    /// Whether a transaction is open on the connection (SQLite ends some by itself on failure).
    pub(super) fn in_transaction(&self) -> bool {
        !self.lock().conn.is_autocommit()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while a statement ran leaves nothing half-done in the connection itself.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A sea-orm transaction over this connection ended.
    fn end(&self) {
        let mut state = self.lock();
        state.depth = state.depth.saturating_sub(1);
    }

    fn run(&self, statement: Statement) -> Result<MockExecResult, DbErr> {
        let state = self.lock();
        if state.depth > 1 {
            return Err(DbErr::Custom("a write queued to the SQLite writer cannot open a nested transaction".into()));
        }
        let conn = &state.conn;
        let rows_affected = match statement.values {
            // Unprepared SQL (savepoints and the like), possibly several statements.
            None => {
                conn.execute_batch(&statement.sql).map_err(error)?;
                conn.changes()
            }
            Some(values) => {
                let params = values.0.into_iter().map(bind).collect::<Result<Vec<_>, _>>()?;
                let mut prepared = conn.prepare_cached(&statement.sql).map_err(error)?;
                prepared.execute(rusqlite::params_from_iter(params)).map_err(error)? as u64
            }
        };
        Ok(MockExecResult { last_insert_id: conn.last_insert_rowid() as u64, rows_affected })
    }
}

impl MockDatabaseTrait for Direct {
    fn execute(&mut self, _: usize, statement: Statement) -> Result<ExecResult, DbErr> {
        let done = self.run(statement)?;
        // sea-orm's mock database is the one way to build an `ExecResult` from figures: it hands
        // back the one it is given.
        MockDatabase::new(DbBackend::Sqlite)
            .append_exec_results([done])
            .execute(0, Statement::from_string(DbBackend::Sqlite, ""))
    }

    fn query(&mut self, _: usize, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        Err(DbErr::Custom(format!(
            "a write queued to the SQLite writer must not read (it runs statements without results): {}",
            statement.sql
        )))
    }

    fn begin(&mut self) {
        self.lock().depth += 1;
    }

    fn commit(&mut self) {
        self.end();
    }

    fn rollback(&mut self) {
        self.end();
    }

    fn drain_transaction_log(&mut self) -> Vec<Transaction> {
        Vec::new()
    }

    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    fn ping(&self) -> Result<(), DbErr> {
        self.batch("SELECT 1")
    }
}

/// A statement's value as sqlx's SQLite driver binds it (`sea-query-sqlx` then `sqlx-sqlite`):
/// UUIDs as their 16 bytes, timestamps with a zone as RFC 3339 text (`AutoSi`, `+00:00`), naive
/// ones as `%F %T%.f`, JSON as its text, booleans as 0 or 1.
pub(super) fn bind(value: SqlValue) -> Result<rusqlite::types::Value, DbErr> {
    use chrono::SecondsFormat::AutoSi;
    use rusqlite::types::Value as V;
    let int = |v: Option<i64>| v.map_or(V::Null, V::Integer);
    let text = |v: Option<String>| v.map_or(V::Null, V::Text);
    Ok(match value {
        SqlValue::Bool(v) => int(v.map(i64::from)),
        SqlValue::TinyInt(v) => int(v.map(i64::from)),
        SqlValue::SmallInt(v) => int(v.map(i64::from)),
        SqlValue::Int(v) => int(v.map(i64::from)),
        SqlValue::BigInt(v) => int(v),
        SqlValue::TinyUnsigned(v) => int(v.map(i64::from)),
        SqlValue::SmallUnsigned(v) => int(v.map(i64::from)),
        SqlValue::Unsigned(v) => int(v.map(i64::from)),
        SqlValue::BigUnsigned(v) => match v {
            None => V::Null,
            Some(v) => {
                V::Integer(i64::try_from(v).map_err(|_| DbErr::Custom(format!("{v} does not fit SQLite's integers")))?)
            }
        },
        SqlValue::Float(v) => v.map_or(V::Null, |v| V::Real(f64::from(v))),
        SqlValue::Double(v) => v.map_or(V::Null, V::Real),
        SqlValue::String(v) => text(v),
        SqlValue::Char(v) => text(v.map(String::from)),
        SqlValue::Enum(v) => match v {
            OptionEnum::Some(v) => V::Text(v.value.into_owned()),
            OptionEnum::None(_) => V::Null,
        },
        SqlValue::Bytes(v) => v.map_or(V::Null, V::Blob),
        SqlValue::Uuid(v) => v.map_or(V::Null, |v| V::Blob(v.as_bytes().to_vec())),
        SqlValue::Json(v) => text(v.map(|v| v.to_string())),
        SqlValue::ChronoDate(v) => text(v.map(|v| v.format("%F").to_string())),
        SqlValue::ChronoTime(v) => text(v.map(|v| v.format("%T%.f").to_string())),
        SqlValue::ChronoDateTime(v) => text(v.map(|v| v.format("%F %T%.f").to_string())),
        SqlValue::ChronoDateTimeUtc(v) => text(v.map(|v| v.to_rfc3339_opts(AutoSi, false))),
        SqlValue::ChronoDateTimeLocal(v) => text(v.map(|v| v.to_rfc3339_opts(AutoSi, false))),
        SqlValue::ChronoDateTimeWithTimeZone(v) => text(v.map(|v| v.to_rfc3339_opts(AutoSi, false))),
        #[allow(unreachable_patterns)]
        other => return Err(DbErr::Custom(format!("the SQLite writer cannot bind {other:?}"))),
    })
}

/// SQLite's error as sea-orm's. A unique constraint's message keeps SQLite's wording (`UNIQUE
/// constraint failed: …`), which `AppError` reads as a conflict as it reads sqlx's error codes
/// (`error::is_sqlite_unique_violation`).
fn error(e: rusqlite::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::Internal(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Value as SeaValue};

    /// What the writer writes, sqlx reads back as it wrote it itself: every kind of value the
    /// entities use, bound here and read through a sqlx connection, equals what sqlx binds.
    #[tokio::test]
    async fn values_are_bound_as_sqlx_binds_them() {
        let dir = std::env::temp_dir().join(format!("confab-direct-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/d.db?mode=rwc", dir.display());
        let pool = sea_orm::Database::connect(&url).await.unwrap();
        pool.execute_unprepared(
            "CREATE TABLE t (n INTEGER, k TEXT, b boolean, i INTEGER, f double, s TEXT, u uuid_text, \
             j TEXT, at timestamp_with_timezone_text, naive TEXT, bytes BLOB)",
        )
        .await
        .unwrap();
        let direct = Direct::open(&dir.join("d.db")).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T03:12:33.524087Z").unwrap().to_utc();
        let row = |n: i64| -> Vec<SeaValue> {
            vec![
                n.into(),
                "by".into(),
                true.into(),
                7_i32.into(),
                0.25_f64.into(),
                "text with a NUL \0 and ünïcode".into(),
                uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef).into(),
                serde_json::json!({"a": [1, "x"]}).into(),
                at.into(),
                at.naive_utc().into(),
                vec![0_u8, 1, 255].into(),
            ]
        };
        let insert =
            "INSERT INTO t (n, k, b, i, f, s, u, j, at, naive, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        // Row 1 through sqlx, row 2 through the writer's connection.
        pool.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, insert, row(1))).await.unwrap();
        direct.run(Statement::from_sql_and_values(DbBackend::Sqlite, insert, row(2))).unwrap();
        let dump = |n: i64| {
            Statement::from_string(
                DbBackend::Sqlite,
                format!(
                    "SELECT quote(k), quote(b), quote(i), quote(f), quote(s), quote(u), quote(j), quote(at), \
                     quote(naive), quote(bytes), typeof(s) FROM t WHERE n = {n}"
                ),
            )
        };
        let read =
            |r: sea_orm::QueryResult| (0..11).map(|i| r.try_get_by_index::<String>(i).unwrap()).collect::<Vec<_>>();
        let by_sqlx = read(pool.query_one_raw(dump(1)).await.unwrap().unwrap());
        let by_writer = read(pool.query_one_raw(dump(2)).await.unwrap().unwrap());
        assert_eq!(by_writer, by_sqlx);
        assert!(by_writer[7].contains("2026-12-05T03:12:33.524087+00:00"), "{by_writer:?}");
        drop(pool);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The sub-journal of the writer's savepoints never goes to a temporary file.
    #[test]
    fn temporary_files_stay_in_memory() {
        let dir = std::env::temp_dir().join(format!("confab-direct-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let direct = Direct::open(&dir.join("d.db")).unwrap();
        let store: i64 = direct.lock().conn.query_row("PRAGMA temp_store", [], |r| r.get(0)).unwrap();
        assert_eq!(store, 2, "MEMORY");
        drop(direct);
        std::fs::remove_dir_all(dir).ok();
    }

    /// A unique violation reads as one; a read is refused rather than answered approximately;
    /// a nested transaction is refused.
    #[tokio::test]
    async fn conflicts_reads_and_nesting() {
        let dir = std::env::temp_dir().join(format!("confab-direct-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let direct = Direct::open(&dir.join("d.db")).unwrap();
        direct.batch("CREATE TABLE t (v INTEGER PRIMARY KEY)").unwrap();
        let insert =
            |v: i64| Statement::from_sql_and_values(DbBackend::Sqlite, "INSERT INTO t (v) VALUES (?)", [v.into()]);
        assert_eq!(direct.run(insert(1)).unwrap().rows_affected, 1);
        let e = direct.run(insert(1)).unwrap_err();
        assert!(crate::error::is_sqlite_unique_violation(&e), "{e}");
        assert!(matches!(crate::error::AppError::from(e), crate::error::AppError::Conflict(_)));
        let mut direct = direct;
        let read = direct.query(0, Statement::from_string(DbBackend::Sqlite, "SELECT v FROM t"));
        assert!(read.is_err());
        direct.begin();
        direct.begin();
        assert!(direct.run(insert(2)).is_err());
        direct.commit();
        assert!(direct.run(insert(2)).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! Hand-written SQL for the purge, the same text on SQLite and PostgreSQL except placeholders,
//! and the one definition of "held" every purge and erasure query shares.
use crate::store::Conn;
use sea_orm::{DbBackend, Statement, Value};

/// A statement under construction: `bind` returns the backend's placeholder for a value.
pub(crate) struct Sql {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self { backend, values: Vec::new() }
    }

    pub(crate) fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".into(),
        }
    }

    pub(crate) fn list<T: Into<Value> + Clone>(&mut self, items: &[T]) -> String {
        items.iter().map(|i| self.bind(i.clone())).collect::<Vec<_>>().join(", ")
    }

    pub(crate) fn statement(self, text: String) -> Statement {
        Statement::from_sql_and_values(self.backend, text, self.values)
    }
}

/// Runs a statement; returns the rows it changed.
pub(crate) async fn exec(conn: &impl Conn, sql: Sql, text: String) -> Result<u64, sea_orm::DbErr> {
    Ok(conn.execute_raw(sql.statement(text)).await?.rows_affected())
}

pub(crate) async fn all(conn: &impl Conn, sql: Sql, text: String) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
    conn.query_all_raw(sql.statement(text)).await
}

/// An active hold of the tenant covering a row whose tenant, owner and conversation are the
/// given column expressions (`NULL` where the row has none).
pub(crate) fn held(tenant: &str, owner: &str, conversation: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = {tenant} AND h.released_at IS NULL
                 AND (h.scope = 'tenant'
                      OR (h.scope = 'user' AND h.subject_id = {owner})
                      OR (h.scope = 'conversation' AND h.subject_id = {conversation})))"
    )
}

/// `FOR UPDATE SKIP LOCKED` on PostgreSQL (a row a turn is writing is left for the next run);
/// nothing on SQLite, whose write transaction already excludes every other writer.
pub(crate) fn lock_rows(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    }
}

//! The embedded search backends: SQLite FTS5 (`search_fts`) and PostgreSQL full-text
//! (`search_docs.tsv`), both over `search_docs`, which the triggers of the search migration keep.
//! On SQLite the triggers queue a new document's FTS row, which its write transaction writes at
//! its end (migration `m20261225_000026_search_queue`); a search first indexes what is queued.
//!
//! Both queries join `conversations` on the caller's tenant and owner, and a message hit also
//! joins its message in that conversation: the join, not the index, decides what is visible.
//! Ranking: SQLite `bm25()` (lower is better), PostgreSQL `ts_rank(…, 1)` (higher is better, length-
//! normalised); ties go to the newer document (UUIDv7 ids). The cursor compares the score the
//! query recomputes with the one it carries, exactly.
//!
//! PostgreSQL ranks at most [`POSTGRES_CANDIDATES`] documents per query: the user's newest
//! matches. Below that many matches nothing changes; a common word is ranked among the newest.
//!
//! Stability: `ts_rank` depends only on the document and the query, so on PostgreSQL a page
//! boundary never moves for unchanged documents (unless new matches push old ones out of the
//! candidates of a common word between two page requests). `bm25` also weighs how rare each word is in the
//! whole index, so on SQLite a write elsewhere between two page requests can nudge scores: a hit
//! right at the boundary may then be shown twice or skipped. Keyset paging keeps that to the
//! boundary (offsets would shift whole pages).
use super::snippet::{self, START, STOP};
use super::{HitColumns, SearchBackend, SearchCursor, SearchHit, SearchPage, SearchQuery, page};
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use crate::store::{Conn, Store};
use async_trait::async_trait;
use sea_orm::{DbBackend, FromQueryResult, Statement, TransactionTrait, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The SQL backend for the store's database.
pub fn backend(store: Store) -> Arc<dyn SearchBackend> {
    match store.backend() {
        DbBackend::Postgres => Arc::new(PostgresSearch { store }),
        _ => Arc::new(SqliteSearch { store }),
    }
}

/// Tokens of context `snippet()` keeps (the result is then cut to about 200 characters).
const SNIPPET_TOKENS: i64 = 24;

/// A hit as ranked in SQL: what is shown, and its score.
#[derive(Debug, FromQueryResult)]
struct HitRow {
    #[sea_orm(nested)]
    columns: HitColumns,
    score: f64,
}

impl HitRow {
    fn cursor(&self) -> SearchCursor {
        SearchCursor { score: self.score, hit: self.columns.hit_id }
    }

    fn into_hit(self, snippet: Vec<snippet::Segment>) -> SearchHit {
        self.columns.into_hit(snippet)
    }
}

fn cursor_values(after: Option<&SearchCursor>) -> [Value; 3] {
    let score = after.map(|c| c.score);
    [score.into(), score.into(), after.map(|c| c.hit).into()]
}

pub struct SqliteSearch {
    store: Store,
}

/// The FTS5 expression, assembled in SQL from bound values: the caller's scope token (the one
/// `store::index_queued_search` writes with each FTS row, from the same stored id bytes) AND the
/// user's words, in the `body` column only.
const SQLITE_MATCH: &str = r#"'scope : "s' || lower(hex(?)) || lower(hex(?)) || '" AND body : (' || ? || ')'"#;

#[derive(Debug, FromQueryResult)]
struct SqliteHitRow {
    doc: i64,
    #[sea_orm(nested)]
    hit: HitRow,
}

#[derive(Debug, FromQueryResult)]
struct SnippetRow {
    doc: i64,
    snippet: String,
}

#[async_trait]
impl SearchBackend for SqliteSearch {
    async fn search(
        &self,
        tenant: TenantId,
        owner: UserId,
        query: &SearchQuery,
        after: Option<&SearchCursor>,
        limit: u64,
    ) -> AppResult<SearchPage> {
        let matching = [tenant.0.into(), owner.0.into(), query.fts5().into()];
        // Rank and page first; snippets (which re-read each document) only for the page. One
        // read transaction so both see the same index.
        let sql = format!(
            "SELECT h.doc, d.hit_id, d.message_id, c.id AS conversation_id, c.title, c.archived,
                    c.created_at AS conversation_created_at, m.role, m.created_at AS message_created_at,
                    h.score
             FROM (SELECT rowid AS doc, bm25(search_fts, 0.0, 1.0) AS score
                   FROM search_fts WHERE search_fts MATCH {SQLITE_MATCH}) h
             JOIN search_docs d ON d.id = h.doc
             JOIN conversations c ON c.id = d.conversation_id
             LEFT JOIN messages m ON m.id = d.message_id AND m.conversation_id = c.id AND m.tenant_id = c.tenant_id
             WHERE c.tenant_id = ? AND c.owner_id = ? AND c.deleted_at IS NULL
               AND (d.message_id IS NULL OR m.id IS NOT NULL)
               AND (? IS NULL OR h.score > ? OR (h.score = ? AND d.hit_id < ?))
             ORDER BY h.score, d.hit_id DESC
             LIMIT ?"
        );
        let [after_null, after_score, after_hit] = cursor_values(after);
        let mut values: Vec<Value> = matching.to_vec();
        values.extend([tenant.0.into(), owner.0.into(), after_null, after_score.clone(), after_score, after_hit]);
        values.push(((limit + 1) as i64).into());
        // Documents a single statement on the pool queued since the last write are indexed first.
        self.store.index_search_queue().await?;
        let txn = self.store.conn().begin().await?;
        let rows = SqliteHitRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
            .all(&txn)
            .await?;
        let (rows, next) = page(rows, limit, |r| r.hit.cursor());
        let mut snippets = sqlite_snippets(&txn, &matching, rows.iter().map(|r| r.doc)).await?;
        txn.commit().await?;
        let hits = rows
            .into_iter()
            .map(|r| {
                let marked = snippets.remove(&r.doc).unwrap_or_default();
                r.hit.into_hit(snippet::segments(&marked, false, false))
            })
            .collect();
        Ok(SearchPage { hits, next })
    }
}

async fn sqlite_snippets(
    conn: &impl Conn,
    matching: &[Value; 3],
    docs: impl Iterator<Item = i64>,
) -> AppResult<HashMap<i64, String>> {
    let docs: Vec<Value> = docs.map(Value::from).collect();
    if docs.is_empty() {
        return Ok(HashMap::new());
    }
    let placeholders = vec!["?"; docs.len()].join(", ");
    let sql = format!(
        "SELECT rowid AS doc, snippet(search_fts, 1, ?, ?, '…', {SNIPPET_TOKENS}) AS snippet
         FROM search_fts WHERE search_fts MATCH {SQLITE_MATCH} AND rowid IN ({placeholders})"
    );
    let mut values: Vec<Value> = vec![START.to_string().into(), STOP.to_string().into()];
    values.extend(matching.iter().cloned());
    values.extend(docs);
    let rows =
        SnippetRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)).all(conn).await?;
    Ok(rows.into_iter().map(|r| (r.doc, r.snippet)).collect())
}

pub struct PostgresSearch {
    store: Store,
}

#[derive(Debug, FromQueryResult)]
struct PostgresHitRow {
    #[sea_orm(nested)]
    hit: HitRow,
    snippet: String,
    cut_before: bool,
    cut_after: bool,
}

/// The most documents one PostgreSQL search ranks: a user's newest matches. A word in fewer of
/// the user's messages is ranked over all of them, as before; a word in more (a common word, a
/// short prefix) is ranked over the newest this many. Without the bound, a common word made
/// PostgreSQL rank every match (tens of thousands of `ts_rank` calls and joins) before it could
/// cut a page, and its latency grew with the history; with it, the work per query is bounded
/// and the plan for such a word reads the user's documents newest first
/// (`search_docs_owner_recent`) and stops.
pub const POSTGRES_CANDIDATES: i64 = 1_000;

/// Candidates in `candidates` (the tsquery written out, so that a custom plan can weigh how
/// common the words are: see [`PostgresSearch::search`]), ranked and paged in `page`; only the
/// page's rows are read in full and headlined. Messages are indexed up to their first 60 000
/// characters, so the headline looks at the same text.
const POSTGRES_SEARCH: &str = "
WITH candidates AS MATERIALIZED (
    SELECT d.hit_id, d.message_id, d.conversation_id, d.tsv
    FROM search_docs d
    WHERE d.tenant_id = $2 AND d.owner_id = $3 AND d.tsv @@ to_tsquery('simple', $1)
    ORDER BY d.hit_id DESC
    LIMIT $9
),
query AS (SELECT to_tsquery('simple', $1) AS q),
page AS (
    SELECT d.hit_id, d.message_id, d.conversation_id, ts_rank(d.tsv, query.q, 1)::float8 AS score
    FROM candidates d
    CROSS JOIN query
    JOIN conversations c ON c.id = d.conversation_id
    LEFT JOIN messages m ON m.id = d.message_id AND m.conversation_id = c.id AND m.tenant_id = c.tenant_id
    WHERE c.tenant_id = $2 AND c.owner_id = $3 AND c.deleted_at IS NULL
      AND (d.message_id IS NULL OR m.id IS NOT NULL)
      AND ($4::float8 IS NULL
           OR ts_rank(d.tsv, query.q, 1)::float8 < $5
           OR (ts_rank(d.tsv, query.q, 1)::float8 = $5 AND d.hit_id < $6))
    ORDER BY score DESC, d.hit_id DESC
    LIMIT $7
)
SELECT page.hit_id, page.message_id, page.conversation_id, c.title, c.archived,
       c.created_at AS conversation_created_at, m.role, m.created_at AS message_created_at, page.score,
       h.snippet,
       strpos(b.body, h.plain) > 1 AS cut_before,
       strpos(b.body, h.plain) > 0 AND strpos(b.body, h.plain) + length(h.plain) <= length(b.body) AS cut_after
FROM page
CROSS JOIN query
JOIN conversations c ON c.id = page.conversation_id
LEFT JOIN messages m ON m.id = page.message_id
-- Trimmed: the headline drops leading and trailing blanks, which must not count as cut text.
CROSS JOIN LATERAL (
    SELECT btrim(COALESCE(left(m.content, 60000), c.title), chr(32) || chr(9) || chr(10) || chr(13)) AS body
) b
CROSS JOIN LATERAL (
    SELECT s AS snippet, replace(replace(s, chr(57344), ''), chr(57345), '') AS plain
    FROM ts_headline('simple', b.body, query.q, $8) AS s
) h
ORDER BY page.score DESC, page.hit_id DESC";

#[async_trait]
impl SearchBackend for PostgresSearch {
    async fn search(
        &self,
        tenant: TenantId,
        owner: UserId,
        query: &SearchQuery,
        after: Option<&SearchCursor>,
        limit: u64,
    ) -> AppResult<SearchPage> {
        let [after_null, after_score, after_hit] = cursor_values(after);
        let options = format!(
            "StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_TOKENS}, MinWords=8, ShortWord=0, MaxFragments=1"
        );
        let values: Vec<Value> = vec![
            query.tsquery().into(),
            tenant.0.into(),
            owner.0.into(),
            after_null,
            after_score,
            after_hit,
            ((limit + 1) as i64).into(),
            options.into(),
            POSTGRES_CANDIDATES.into(),
        ];
        // The right plan for the candidates depends on the words: for a common one, the user's
        // documents newest first until enough match; for a rare one, the GIN index. A cached
        // generic plan cannot know which, so this statement is planned for its values each time
        // (planning costs well under a millisecond; the wrong plan costs hundreds).
        let txn = self.store.conn().begin().await?;
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan").await?;
        let rows = PostgresHitRow::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            POSTGRES_SEARCH,
            values,
        ))
        .all(&txn)
        .await?;
        txn.commit().await?;
        let (rows, next) = page(rows, limit, |r| r.hit.cursor());
        let hits = rows
            .into_iter()
            .map(|r| {
                let snippet = snippet::segments(&r.snippet, r.cut_before, r.cut_after);
                r.hit.into_hit(snippet)
            })
            .collect();
        Ok(SearchPage { hits, next })
    }
}

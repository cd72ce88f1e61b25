//! History search over the caller's own conversations: titles and message text, in the active
//! tenant, archived conversations included.
//!
//! The query is parsed here ([`SearchQuery`]: plain words, never the user's syntax) and answered
//! by a [`SearchBackend`]. The embedded tier searches in SQL ([`sql`]): SQLite FTS5 or PostgreSQL
//! full-text, over an index that database triggers keep in the same transaction as every write
//! (see the `m20261129_000009_search` migration for what is indexed when).
//!
//! Whatever the backend, a hit is only returned for a conversation that the query itself proves
//! belongs to the caller (tenant and owner), so a stale index entry can never show another
//! user's text.
//!
//! # OpenSearch (the scaled-out tier)
//! With `search.backend = "opensearch"`, [`opensearch::OpenSearchBackend`] answers the same
//! queries from OpenSearch (tenant and owner filters always applied by the server, highlights,
//! `search_after` cursors), fed by the transactional outbox (`search_outbox`, written by triggers in
//! every write's own transaction) that [`opensearch::indexer`] drains; `confab search reindex`
//! rebuilds the index from SQL. The SQL triggers stay: they cost little and keep the embedded
//! index ready as a fallback. While OpenSearch is down, search answers 503 and chat carries on;
//! the outbox keeps every change until the indexer can deliver it. See [`opensearch`] for the
//! index layout. [`SearchService::new`] picks the backend.

pub mod opensearch;
mod query;
mod snippet;
pub(crate) mod sql;

pub use query::{MAX_QUERY_CHARS, MAX_TERMS, SearchQuery};
pub use snippet::{MAX_SNIPPET_CHARS, Segment};
pub use sql::POSTGRES_CANDIDATES;

use crate::config::{Config, SearchBackendKind};
use crate::domain::TenantScope;
use crate::domain::{ConversationId, MessageId, MessageRole, TenantId, UserId};
use crate::error::AppResult;
use crate::store::Store;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// One match: a conversation's title, or one of its messages.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub conversation_title: String,
    pub conversation_archived: bool,
    /// The message that matched, with its author; `None` when the title matched.
    pub message: Option<(MessageId, MessageRole)>,
    /// The matched text around the first match.
    pub snippet: Vec<Segment>,
    /// When the message was written (for a title: when the conversation was started).
    pub created_at: DateTime<Utc>,
}

/// The columns every backend reads from SQL for a hit it shows (joined on tenant and owner).
#[derive(Debug, sea_orm::FromQueryResult)]
pub(crate) struct HitColumns {
    hit_id: Uuid,
    message_id: Option<Uuid>,
    conversation_id: Uuid,
    title: String,
    archived: bool,
    conversation_created_at: DateTime<Utc>,
    role: Option<String>,
    message_created_at: Option<DateTime<Utc>>,
}

impl HitColumns {
    fn into_hit(self, snippet: Vec<Segment>) -> SearchHit {
        let message =
            self.message_id.map(|id| (MessageId(id), MessageRole::from_db(self.role.as_deref().unwrap_or(""))));
        SearchHit {
            conversation_id: ConversationId(self.conversation_id),
            conversation_title: self.title,
            conversation_archived: self.archived,
            message,
            snippet,
            created_at: self.message_created_at.unwrap_or(self.conversation_created_at),
        }
    }
}

/// Cuts `limit + 1` ranked rows to a page and the cursor of the next one.
fn page<R>(mut rows: Vec<R>, limit: u64, cursor: impl Fn(&R) -> SearchCursor) -> (Vec<R>, Option<SearchCursor>) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(cursor) } else { None };
    (rows, next)
}

/// A page of hits, best first.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<SearchCursor>,
}

/// A position in a result list: the last hit's score and id. Pages are cut by comparing with it
/// (keyset), not by counting, so the next page starts right after the last hit shown even when
/// other documents were added or removed meanwhile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchCursor {
    /// The backend's own score, compared exactly (its bits travel in the cursor).
    pub score: f64,
    /// The message id, or the conversation id for a title hit; breaks ties.
    pub hit: Uuid,
}

impl std::fmt::Display for SearchCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}.{}", self.score.to_bits(), self.hit.simple())
    }
}

impl std::str::FromStr for SearchCursor {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (score, hit) = s.split_once('.').ok_or(())?;
        let score = f64::from_bits(u64::from_str_radix(score, 16).map_err(|_| ())?);
        if !score.is_finite() {
            return Err(());
        }
        Ok(Self { score, hit: Uuid::parse_str(hit).map_err(|_| ())? })
    }
}

/// Where a search runs. Every call names the tenant and the user; a backend returns only hits in
/// conversations of that user in that tenant.
#[async_trait]
pub trait SearchBackend: Send + Sync {
    /// Up to `limit` hits for a non-empty `query`, best first, after `after` when given.
    async fn search(
        &self,
        tenant: TenantId,
        owner: UserId,
        query: &SearchQuery,
        after: Option<&SearchCursor>,
        limit: u64,
    ) -> AppResult<SearchPage>;
}

pub struct SearchService {
    backend: Arc<dyn SearchBackend>,
    opensearch: Option<opensearch::OpenSearch>,
}

impl SearchService {
    /// The backend `config` names: the store's own SQL full-text, or OpenSearch.
    pub fn new(store: Store, config: &Config) -> Result<Self, opensearch::OpenSearchError> {
        match config.search.backend {
            SearchBackendKind::Sql => Ok(Self { backend: sql::backend(store), opensearch: None }),
            SearchBackendKind::Opensearch => {
                let os = opensearch::OpenSearch::new(&config.opensearch)?;
                let backend = Arc::new(opensearch::OpenSearchBackend::new(os.clone(), store));
                Ok(Self { backend, opensearch: Some(os) })
            }
        }
    }

    /// The OpenSearch cluster, when search runs there.
    pub fn opensearch(&self) -> Option<&opensearch::OpenSearch> {
        self.opensearch.as_ref()
    }

    /// Searches the caller's conversations. `raw` is the user's text: a blank or oversized query
    /// is refused; one with nothing searchable in it (only punctuation, say) finds nothing.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, user = %scope.user))]
    pub async fn search(
        &self,
        scope: &TenantScope,
        raw: &str,
        after: Option<SearchCursor>,
        limit: u64,
    ) -> AppResult<SearchPage> {
        let query = SearchQuery::parse(raw)?;
        if query.is_empty() {
            return Ok(SearchPage::default());
        }
        self.backend.search(scope.tenant, scope.user, &query, after.as_ref(), limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_exactly() {
        for score in [0.0, -1.0324909747292e-6, 0.0607927, f64::MIN_POSITIVE, -123456.789] {
            let c = SearchCursor { score, hit: Uuid::now_v7() };
            let back = c.to_string().parse::<SearchCursor>().map(|b| (b.score.to_bits(), b.hit));
            assert_eq!(back, Ok((score.to_bits(), c.hit)), "{c}");
        }
        for bad in ["", "x", "12.", ".abc", "7ff8000000000000.0190c5a8b1c37e3a8d1d6e2f9c0b4a51", "zz.00"] {
            assert!(bad.parse::<SearchCursor>().is_err(), "{bad}");
        }
    }
}

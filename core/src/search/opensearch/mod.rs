//! The scaled-out search backend: OpenSearch, fed from the transactional outbox.
//!
//! # Index layout: one shared index, routed and filtered by tenant
//! All tenants share one index (`{prefix}-search-v1`, created from the index template
//! `{prefix}-search`), each document routed by its `tenant_id` (`_routing` is required by the
//! mapping, so a write without it fails). Every query names the routing value and carries
//! `filter` terms on `tenant_id` and `owner_id` that the caller cannot influence.
//!
//! Why not an index per tenant: an installation has thousands of tenants, most of them small,
//! and every index costs shards, each with its own heap, file handles and cluster-state entries;
//! per-tenant indices would hit the cluster's shard limits long before its disk or CPU limits,
//! and a mapping change would mean touching thousands of indices. With routing, one tenant's
//! documents live on one shard, so a tenant's query touches one shard (the locality an index
//! per tenant would give) while the cluster keeps a handful of well-filled shards. Isolation
//! does not rest on routing (several tenants share a shard) but on the mandatory filters — and,
//! behind them, on the SQL check every hit passes before it is shown ([`OpenSearchBackend`]).
//! A very large tenant could later get its own index behind the same alias pattern.
//!
//! Size: documents hold only what search needs — ids as `keyword`s, the text once (`body`,
//! `standard` analyzer, offsets for fast highlighting), the time — with `dynamic: strict`; titles
//! and archive flags are read from SQL for the page shown, so a rename touches one document, not
//! every message of the conversation. Message text past 60 000 characters is not indexed (as in
//! the SQL backends).
//!
//! # Consistency
//! The database is the source of truth. Triggers write an outbox row with every change to a
//! searchable document; [`indexer`] drains the rows in bulk, sending each document as it is
//! *now* in SQL with the row id as its external version, so the index converges on the database
//! whatever the order, the retries or the number of indexers. [`reindex`] rebuilds the index
//! from SQL through the same outbox.
pub mod indexer;
pub mod reindex;

use super::snippet::{self, START, STOP};
use super::{HitColumns, SearchBackend, SearchCursor, SearchPage, SearchQuery, page};
use crate::config::{ExposeSecret, OpenSearchConfig, redact_url};
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use crate::store::Store;
use async_trait::async_trait;
use opensearch::http::request::JsonBody;
use opensearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use opensearch::http::{Method, StatusCode, headers::HeaderMap};
use sea_orm::{FromQueryResult, Statement, Value};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Message text past this many characters is not indexed.
pub const MAX_INDEXED_CHARS: usize = 60_000;

/// Why an OpenSearch call failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenSearchError {
    /// Not reachable, timed out, or answered 5xx/429: try again later.
    #[error("OpenSearch is unavailable: {0}")]
    Unavailable(String),
    /// OpenSearch refused the request itself (a bug or a misconfigured cluster).
    #[error("OpenSearch refused the request: {0}")]
    Refused(String),
}

impl From<opensearch::Error> for OpenSearchError {
    fn from(e: opensearch::Error) -> Self {
        // Transport errors may echo the URL; never the credentials, which travel in a header.
        OpenSearchError::Unavailable(e.to_string())
    }
}

impl From<OpenSearchError> for AppError {
    fn from(e: OpenSearchError) -> Self {
        match e {
            OpenSearchError::Unavailable(reason) => {
                tracing::warn!(%reason, "search backend unavailable");
                AppError::Unavailable("search is unavailable".into())
            }
            OpenSearchError::Refused(reason) => AppError::Internal(reason),
        }
    }
}

/// A client for Confab's index on one OpenSearch cluster.
#[derive(Clone)]
pub struct OpenSearch {
    client: opensearch::OpenSearch,
    /// The concrete index every read and write goes to.
    index: String,
    template: String,
    shards: u32,
    replicas: u32,
    url: String,
}

impl OpenSearch {
    /// A client for `config` (no request is made yet).
    pub fn new(config: &OpenSearchConfig) -> Result<Self, OpenSearchError> {
        let raw = config.url.as_deref().ok_or_else(|| OpenSearchError::Refused("opensearch.url is not set".into()))?;
        let url = url::Url::parse(raw).map_err(|e| OpenSearchError::Refused(format!("opensearch.url: {e}")))?;
        let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .timeout(Duration::from_millis(config.timeout_ms))
            .disable_proxy();
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            let password = password.expose_secret().to_string();
            builder = builder.auth(opensearch::auth::Credentials::Basic(user.clone(), password));
        }
        let transport = builder.build().map_err(|e| OpenSearchError::Refused(e.to_string()))?;
        let prefix = &config.index_prefix;
        Ok(Self {
            client: opensearch::OpenSearch::new(transport),
            index: format!("{prefix}-search-v1"),
            template: format!("{prefix}-search"),
            shards: config.shards,
            replicas: config.replicas,
            url: redact_url(raw),
        })
    }

    /// The index documents are written to and searched in.
    pub fn index_name(&self) -> &str {
        &self.index
    }

    /// The cluster's URL, without credentials, for messages.
    pub fn display_url(&self) -> &str {
        &self.url
    }

    /// One request to `path`; a transport failure, 429 or 5xx is [`OpenSearchError::Unavailable`].
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Json>,
    ) -> Result<(StatusCode, Json), OpenSearchError> {
        self.call_raw(method, path, query, body.map(JsonBody::new)).await
    }

    async fn call_raw<B: opensearch::http::request::Body>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<B>,
    ) -> Result<(StatusCode, Json), OpenSearchError> {
        let response = self.client.send(method, path, HeaderMap::new(), Some(query), body, None).await?;
        let status = response.status_code();
        let text = response.text().await.map_err(|e| OpenSearchError::Unavailable(e.to_string()))?;
        let json: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(OpenSearchError::Unavailable(format!("{status}: {}", error_reason(&json))));
        }
        Ok((status, json))
    }

    /// True when the cluster answers and is at least yellow.
    pub async fn ping(&self, timeout: Duration) -> Result<(), OpenSearchError> {
        let health = async {
            let (status, body) = self.call(Method::Get, "/_cluster/health", &[], None).await?;
            match body.get("status").and_then(Json::as_str) {
                Some("green" | "yellow") if status.is_success() => Ok(()),
                other => Err(OpenSearchError::Unavailable(format!("cluster health {}", other.unwrap_or("unknown")))),
            }
        };
        tokio::time::timeout(timeout, health)
            .await
            .map_err(|_| OpenSearchError::Unavailable(format!("no answer within {} ms", timeout.as_millis())))?
    }

    /// The index template and the index: settings and mapping as in the module docs. Idempotent;
    /// the template also shapes an index that a bulk write re-creates after someone deleted it.
    pub async fn ensure_index(&self) -> Result<(), OpenSearchError> {
        let template = json!({
            "index_patterns": [format!("{}-*", self.template)],
            "priority": 100,
            "template": {
                "settings": {
                    "number_of_shards": self.shards,
                    "number_of_replicas": self.replicas,
                    "refresh_interval": "1s",
                },
                "mappings": {
                    "dynamic": "strict",
                    "_routing": { "required": true },
                    "properties": {
                        "tenant_id": { "type": "keyword" },
                        "owner_id": { "type": "keyword" },
                        "conversation_id": { "type": "keyword" },
                        "hit_id": { "type": "keyword" },
                        "body": { "type": "text", "analyzer": "standard", "index_options": "offsets" },
                        "created_at": { "type": "date" },
                    }
                }
            }
        });
        let path = format!("/_index_template/{}", self.template);
        let (status, body) = self.call(Method::Put, &path, &[], Some(template)).await?;
        if !status.is_success() {
            return Err(OpenSearchError::Refused(format!("index template: {status}: {}", error_reason(&body))));
        }
        let (status, body) = self.call(Method::Put, &format!("/{}", self.index), &[], Some(json!({}))).await?;
        if status.is_success() || error_type(&body) == Some("resource_already_exists_exception") {
            return Ok(());
        }
        Err(OpenSearchError::Refused(format!("create index {}: {status}: {}", self.index, error_reason(&body))))
    }

    /// Deletes the index (`confab search reindex --recreate`). A missing index is fine.
    pub async fn delete_index(&self) -> Result<(), OpenSearchError> {
        let (status, body) = self.call(Method::Delete, &format!("/{}", self.index), &[], None).await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(OpenSearchError::Refused(format!("delete index: {status}: {}", error_reason(&body))))
    }

    /// Makes every write so far visible to search (tests, the end of a reindex).
    pub async fn refresh(&self) -> Result<(), OpenSearchError> {
        self.call(Method::Post, &format!("/{}/_refresh", self.index), &[], None).await.map(|_| ())
    }

    /// How many documents the index holds (`None` when it does not exist).
    pub async fn count(&self) -> Result<Option<u64>, OpenSearchError> {
        let (status, body) = self.call(Method::Get, &format!("/{}/_count", self.index), &[], None).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(body.get("count").and_then(Json::as_u64))
    }
}

fn error_type(body: &Json) -> Option<&str> {
    body.pointer("/error/type").and_then(Json::as_str)
}

fn error_reason(body: &Json) -> String {
    match (error_type(body), body.pointer("/error/reason").and_then(Json::as_str)) {
        (Some(t), Some(r)) => format!("{t}: {r}"),
        (Some(t), None) => t.to_string(),
        _ => body.get("error").map(Json::to_string).unwrap_or_default(),
    }
}

/// [`SearchBackend`] over OpenSearch. The cluster ranks, pages and highlights; SQL then loads the
/// page's conversations and messages, again filtered by tenant and owner, so that a document the
/// indexer has not caught up with (a deleted conversation, say) is never shown.
pub struct OpenSearchBackend {
    os: OpenSearch,
    store: Store,
}

impl OpenSearchBackend {
    pub fn new(os: OpenSearch, store: Store) -> Self {
        Self { os, store }
    }
}

/// One hit as OpenSearch returned it.
struct RankedHit {
    hit: Uuid,
    conversation: Uuid,
    score: f64,
    marked: Option<String>,
}

/// What SQL knows of a hit: what is shown, and the text the highlight was cut from.
#[derive(Debug, FromQueryResult)]
struct HitRow {
    #[sea_orm(nested)]
    columns: HitColumns,
    body: String,
}

#[async_trait]
impl SearchBackend for OpenSearchBackend {
    async fn search(
        &self,
        tenant: TenantId,
        owner: UserId,
        query: &SearchQuery,
        after: Option<&SearchCursor>,
        limit: u64,
    ) -> AppResult<SearchPage> {
        let words = query.terms().join(" ");
        // Words only, never a query language; every word must match, the last maybe as a prefix.
        let matching = if query.prefix_last() {
            json!({ "match_bool_prefix": { "body": { "query": words, "operator": "and" } } })
        } else {
            json!({ "match": { "body": { "query": words, "operator": "and" } } })
        };
        let mut request = json!({
            "size": limit + 1,
            "track_total_hits": false,
            "_source": false,
            "docvalue_fields": ["conversation_id"],
            "query": { "bool": {
                "filter": [
                    { "term": { "tenant_id": tenant.0.to_string() } },
                    { "term": { "owner_id": owner.0.to_string() } },
                ],
                "must": [matching],
            } },
            "sort": [ { "_score": "desc" }, { "hit_id": "desc" } ],
            "highlight": {
                "type": "unified",
                "pre_tags": [START.to_string()],
                "post_tags": [STOP.to_string()],
                "fields": { "body": {
                    "fragment_size": snippet::MAX_SNIPPET_CHARS,
                    "number_of_fragments": 1,
                    "no_match_size": snippet::MAX_SNIPPET_CHARS,
                } },
            },
        });
        if let Some(after) = after {
            request["search_after"] = json!([after.score, after.hit.to_string()]);
        }
        let routing = tenant.0.to_string();
        let path = format!("/{}/_search", self.os.index);
        let (status, body) = self.os.call(Method::Post, &path, &[("routing", routing.as_str())], Some(request)).await?;
        if status == StatusCode::NOT_FOUND && error_type(&body) == Some("index_not_found_exception") {
            // Nothing indexed yet.
            return Ok(SearchPage::default());
        }
        if !status.is_success() {
            return Err(OpenSearchError::Refused(format!("search: {status}: {}", error_reason(&body))).into());
        }
        let (ranked, next) = page(parse_hits(&body), limit, |h| SearchCursor { score: h.score, hit: h.hit });
        let mut rows = self.load(tenant, owner, &ranked).await?;
        let hits = ranked
            .into_iter()
            .filter_map(|r| {
                let row = rows.remove(&r.hit)?;
                let marked = r.marked.unwrap_or_default();
                let (cut_before, cut_after) = cut(&row.body, &marked);
                Some(row.columns.into_hit(snippet::segments(&marked, cut_before, cut_after)))
            })
            .collect();
        Ok(SearchPage { hits, next })
    }
}

fn parse_hits(body: &Json) -> Vec<RankedHit> {
    let hits = body.pointer("/hits/hits").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default();
    hits.iter()
        .filter_map(|h| {
            let hit = h.get("_id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok())?;
            let score = h.pointer("/sort/0").and_then(Json::as_f64)?;
            let conversation =
                h.pointer("/fields/conversation_id/0").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok())?;
            let marked = h.pointer("/highlight/body/0").and_then(Json::as_str).map(str::to_string);
            Some(RankedHit { hit, conversation, score, marked })
        })
        .collect()
}

/// Whether the highlighted fragment starts after the beginning of `body` or ends before its end.
fn cut(body: &str, marked: &str) -> (bool, bool) {
    let plain: String = marked.chars().filter(|c| *c != START && *c != STOP).collect();
    let body = body.trim();
    let plain = plain.trim();
    match body.find(plain) {
        Some(at) => (at > 0, at + plain.len() < body.len()),
        None => (false, false),
    }
}

impl OpenSearchBackend {
    /// The page's hits as SQL sees them now, keyed by hit id: only those in conversations of
    /// `owner` in `tenant`.
    async fn load(&self, tenant: TenantId, owner: UserId, ranked: &[RankedHit]) -> AppResult<HashMap<Uuid, HitRow>> {
        let messages: Vec<Uuid> = ranked.iter().filter(|r| r.hit != r.conversation).map(|r| r.hit).collect();
        let titles: Vec<Uuid> = ranked.iter().filter(|r| r.hit == r.conversation).map(|r| r.hit).collect();
        let mut out = self
            .rows(
                "SELECT m.id AS hit_id, m.id AS message_id, c.id AS conversation_id, c.title, c.archived,
                        c.created_at AS conversation_created_at, m.role, m.created_at AS message_created_at,
                        m.content AS body
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id AND c.tenant_id = m.tenant_id",
                "m.id",
                tenant,
                owner,
                &messages,
            )
            .await?;
        out.extend(
            self.rows(
                "SELECT c.id AS hit_id, NULL AS message_id, c.id AS conversation_id, c.title, c.archived,
                        c.created_at AS conversation_created_at, NULL AS role, NULL AS message_created_at,
                        c.title AS body
                 FROM conversations c",
                "c.id",
                tenant,
                owner,
                &titles,
            )
            .await?,
        );
        Ok(out)
    }

    /// Runs `select` (over `conversations c`) for the rows whose `id_column` is in `ids`, in
    /// conversations of `owner` in `tenant`.
    async fn rows(
        &self,
        select: &str,
        id_column: &str,
        tenant: TenantId,
        owner: UserId,
        ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, HitRow>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let backend = self.store.backend();
        let sql = format!(
            "{select} WHERE c.tenant_id = {} AND c.owner_id = {} AND c.deleted_at IS NULL AND {id_column} IN ({})",
            placeholder(backend, 1),
            placeholder(backend, 2),
            placeholders(backend, 3, ids.len()),
        );
        let mut values: Vec<Value> = vec![tenant.0.into(), owner.0.into()];
        values.extend(ids.iter().map(|id| Value::from(*id)));
        let rows = HitRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(self.store.conn())
            .await?;
        Ok(rows.into_iter().map(|r| (r.columns.hit_id, r)).collect())
    }
}

pub(crate) use crate::store::{placeholder, placeholders};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_knows_what_it_left_out() {
        let marked = format!("the {START}canary{STOP} sings");
        assert_eq!(cut("the canary sings", &marked), (false, false));
        assert_eq!(cut("  the canary sings\n", &marked), (false, false), "blanks are not text");
        assert_eq!(cut("so the canary sings", &marked), (true, false));
        assert_eq!(cut("the canary sings loudly", &marked), (false, true));
    }
}

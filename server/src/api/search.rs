//! Search over the caller's conversation history.
use super::ApiTags;
use super::chat::RoleView;
use super::error::ApiResult;
use super::extract::Auth;
use super::paging::{Cursor, SearchLimit, decode_cursor, encode_cursor};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::authz::Permission;
use confab_core::domain::MessageRole;
use confab_core::search::{SearchCursor, SearchHit, SearchPage, Segment};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct SearchApi;

/// A piece of a snippet. Concatenate the pieces in order; show `highlight` ones emphasised.
/// Plain text, never markup.
#[derive(Debug, Clone, Object)]
pub struct SnippetSegment {
    /// A piece of the snippet's text.
    pub text: String,
    /// True for text that matched the query.
    pub highlight: bool,
}

/// One match: a conversation's title (`message_id` and `role` are null) or one of its messages.
#[derive(Debug, Clone, Object)]
pub struct SearchHitView {
    /// The conversation that matched.
    pub conversation_id: Uuid,
    /// Its title.
    pub conversation_title: String,
    /// Archived conversations are searched too; this flags them.
    pub conversation_archived: bool,
    /// The message that matched; null when the title matched.
    #[oai(nullable)]
    pub message_id: Option<Uuid>,
    /// The message's author; null when the title matched.
    #[oai(nullable)]
    pub role: Option<RoleView>,
    /// The matching text around the first match (about 200 characters), `…` where it was cut.
    pub snippet: Vec<SnippetSegment>,
    /// When the message was written; for a title, when the conversation was started.
    pub created_at: DateTime<Utc>,
}

/// Matches, best first.
#[derive(Debug, Object)]
pub struct SearchResults {
    /// The matches, best first.
    pub items: Vec<SearchHitView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl From<Segment> for SnippetSegment {
    fn from(s: Segment) -> Self {
        Self { text: s.text, highlight: s.highlight }
    }
}

impl From<SearchHit> for SearchHitView {
    fn from(h: SearchHit) -> Self {
        Self {
            conversation_id: h.conversation_id.0,
            conversation_title: h.conversation_title,
            conversation_archived: h.conversation_archived,
            message_id: h.message.map(|(id, _)| id.0),
            role: h.message.map(|(_, role)| match role {
                MessageRole::System => RoleView::System,
                MessageRole::User => RoleView::User,
                MessageRole::Assistant => RoleView::Assistant,
            }),
            snippet: h.snippet.into_iter().map(Into::into).collect(),
            created_at: h.created_at,
        }
    }
}

impl From<SearchPage> for SearchResults {
    fn from(p: SearchPage) -> Self {
        Self { items: p.hits.into_iter().map(Into::into).collect(), next_cursor: p.next.map(encode_cursor) }
    }
}

/// Page size: 1–100, 20 when absent.
#[OpenApi(tag = "ApiTags::Search")]
impl SearchApi {
    /// Search my conversations.
    ///
    /// Finds conversation titles and messages (mine and the answers I got) that contain every word
    /// of `q`, in my own conversations in the active tenant, archived ones included. The last word
    /// also matches as the start of a longer word (`dep` finds `deploy`) unless `q` ends with a
    /// space. Case does not matter; on SQLite accents do not either. Words are letters and digits:
    /// punctuation and operators (`"`, `*`, `-`, `:`, `(`, `OR`, `NEAR` …) have no special meaning,
    /// so a `q` made only of them finds nothing (an empty page, not an error).
    ///
    /// Best matches first; follow `next_cursor` for more. On installations searching with
    /// PostgreSQL full text, a query that matches more than 1,000 of my titles and messages (a
    /// common word) is ranked among the newest 1,000 of them. A message that is still being
    /// written becomes searchable when it ends (on OpenSearch installations, within about a
    /// second after).
    ///
    /// Errors: `validation_failed` (422) with `field` `q` for an empty or blank `q`, one longer
    /// than 256 characters or with more than 32 words; with `field` `limit` or `cursor` for a bad
    /// page size or a cursor this endpoint did not return. `bad_request` (400) without `q`.
    /// `unavailable` (503) while the search cluster (OpenSearch) is down; chat is not affected.
    #[oai(path = "/search", method = "get", operation_id = "history_search")]
    async fn search(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// The words to find: at most 256 characters and 32 words.
        q: Query<String>,
        /// `next_cursor` from the previous page of the same query.
        cursor: Query<Option<Cursor>>,
        /// Matches per page, 1–100 (default 20).
        limit: Query<Option<SearchLimit>>,
    ) -> ApiResult<Json<SearchResults>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let limit = SearchLimit::resolve(limit.0)?;
        let after = decode_cursor::<SearchCursor>(cursor.0.as_deref())?;
        let page = state.search.search(&scope, &q.0, after, limit).await?;
        Ok(Json(page.into()))
    }
}

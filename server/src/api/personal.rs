//! A user's own data: `GET /v1/me/export` downloads everything they own in the active tenant as
//! one zip archive, streamed (see `confab_core::personal`).
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use crate::state::AppState;
use chrono::Utc;
use confab_core::authz::Permission;
use confab_core::personal::{self, ExportGate, Subject};
use futures::StreamExt;
use poem::Body;
use poem::web::Data;
use poem_openapi::payload::{Attachment, AttachmentType};
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::{Arc, LazyLock};

#[derive(Default)]
pub struct PersonalApi;

/// Exports in progress on this replica (one per user, a few in all: each reads a whole history).
static EXPORTS: LazyLock<Arc<ExportGate>> = LazyLock::new(|| Arc::new(ExportGate::default()));

#[derive(ApiResponse)]
pub enum PersonalExport {
    /// A zip archive: `index.json`, `README.txt`, one JSON file per conversation (every branch
    /// and message), `presets.json`, `shares.json`, `api_tokens.json` (no secrets) and
    /// `usage.jsonl`. Streamed; a download that ends early is not a valid zip. The export is
    /// recorded in the audit log (counts only).
    #[oai(status = 200, content_type = "application/zip")]
    Ok(Attachment<Body>),
}

#[OpenApi(tag = "ApiTags::Session")]
impl PersonalApi {
    /// Download all my own data in the active tenant (conversations, presets, shares, usage,
    /// API token metadata) as one zip archive. Only my own content: conversations others shared
    /// with me are not included. One export per user at a time (429 while one runs).
    #[oai(path = "/me/export", method = "get", operation_id = "me_export")]
    async fn export(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<PersonalExport> {
        let scope = state.authz.require_tenant(&auth.0, Permission::CONVERSATIONS_READ).await?;
        let pass = EXPORTS.enter(scope.tenant, scope.user)?;
        let subject = Subject {
            tenant: scope.tenant,
            tenant_name: auth.0.tenant.as_ref().map(|t| t.name.clone()).unwrap_or_default(),
            user: scope.user,
            email: auth.0.email.clone(),
            display_name: auth.0.display_name.clone(),
        };
        let filename = format!("confab-my-data-{}.zip", Utc::now().format("%Y%m%dT%H%M%SZ"));
        let stream = personal::archive(state.store.clone(), subject, pass);
        let body = Body::from_bytes_stream(stream.boxed());
        Ok(PersonalExport::Ok(Attachment::new(body).attachment_type(AttachmentType::Attachment).filename(filename)))
    }
}

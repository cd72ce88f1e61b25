//! Reading the audit log (tenant admins and auditors; platform admins for platform entries):
//! pages with filters, downloads of a filtered log, and the hash chain's verification.
use super::ApiTags;
use super::error::ApiResult;
use super::extract::Auth;
use super::models::*;
use super::paging::{Cursor, PageLimit, decode_cursor, next_cursor, page_limit};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use confab_core::audit::{self, AuditFilter, NewEntry, Verification, action, evidence};
use confab_core::auth::actor_of;
use confab_core::authz::Permission;
use confab_core::domain::{Principal, UserId};
use confab_core::error::AppError;
use confab_core::store::audit::AuditScope;
use poem::Body;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::{Attachment, AttachmentType, Json};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct AuditApi;

/// The largest download: beyond it, narrow the filters (a time range) and download in parts.
pub const EXPORT_MAX_ENTRIES: u64 = 1_000_000;
/// How long a verification result is reused: walking a long chain is not free.
const VERIFY_REUSE_SECS: u64 = 60;

/// The filters every audit read takes, as query parameters.
struct Filters {
    actor: Option<Uuid>,
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl Filters {
    fn into_filter(self, before_seq: Option<i64>) -> Result<AuditFilter, AppError> {
        if let Some(action) = &self.action {
            let well_formed = !action.is_empty()
                && action.len() <= 64
                && action.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.' || c == '*')
                && (!action.contains('*') || (action.ends_with(".*") && action.matches('*').count() == 1));
            if !well_formed {
                return Err(AppError::Validation {
                    field: "action",
                    reason: "is an action like `auth.login`, or `auth.*` for every action on an object".into(),
                });
            }
        }
        for (field, value, max) in [("target_type", &self.target_type, 32), ("target_id", &self.target_id, 64)] {
            if value.as_ref().is_some_and(|v| v.is_empty() || v.len() > max) {
                return Err(AppError::Validation { field, reason: format!("must be 1 to {max} characters") });
            }
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            return Err(AppError::Validation { field: "since", reason: "must be before `until`".into() });
        }
        Ok(AuditFilter {
            actor: self.actor.map(UserId),
            action: self.action,
            target_type: self.target_type,
            target_id: self.target_id,
            since: self.since,
            until: self.until,
            before_seq,
        })
    }
}

async fn read(
    state: &AppState,
    scope: AuditScope,
    filters: Filters,
    cursor: Option<Cursor>,
    limit: Option<PageLimit>,
) -> ApiResult<Json<AuditPage>> {
    let limit = page_limit(limit)?;
    let filter = filters.into_filter(decode_cursor::<i64>(cursor.as_deref())?)?;
    let items = audit::list(&state.store, scope, &filter, limit).await?;
    let next_cursor = next_cursor(&items, limit, |e| e.seq);
    Ok(Json(AuditPage { items: items.into_iter().map(Into::into).collect(), next_cursor }))
}

/// The download formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase", rename = "AuditExportFormat")]
pub enum ExportFormat {
    /// One JSON object per line, as `AuditEntry`.
    Jsonl,
    /// Comma-separated values with a header row; `details` as JSON. A cell that starts with
    /// `=`, `+`, `-`, `@`, a tab, a carriage return or `'` gets one more `'` in front (so a
    /// spreadsheet never reads a formula; strip exactly one to get the value back).
    Csv,
}

#[derive(ApiResponse)]
pub enum AuditDownload {
    /// The entries, newest first, as a file download (at most 1,000,000; narrow the time range
    /// for more). The export itself is recorded in the audit log.
    #[oai(status = 200)]
    Ok(Attachment<Body>),
}

/// The hash chain's state, as last checked.
#[derive(Debug, Clone, Object)]
pub struct AuditVerificationView {
    /// Every entry links to the one before it and matches its hash, up to the chain's head.
    pub ok: bool,
    /// Entries checked (the whole installation's chain); null for tenant callers, whose view of
    /// other tenants' activity this would be.
    #[oai(nullable)]
    pub checked: Option<i64>,
    /// The first entry that does not hold; null when the chain is intact or the entry is not the
    /// caller's to see.
    #[oai(nullable)]
    pub first_broken_seq: Option<i64>,
    /// What is wrong, in words; null when intact.
    #[oai(nullable)]
    pub problem: Option<String>,
    /// When the chain was walked (results are reused for a minute).
    pub checked_at: DateTime<Utc>,
}

/// The last verification, reused for a minute (and computed once at a time).
static LAST_VERIFICATION: tokio::sync::Mutex<Option<(std::time::Instant, DateTime<Utc>, Verification)>> =
    tokio::sync::Mutex::const_new(None);

async fn verification(state: &AppState) -> ApiResult<(DateTime<Utc>, Verification)> {
    let mut last = LAST_VERIFICATION.lock().await;
    if let Some((at, when, v)) = last.as_ref()
        && at.elapsed().as_secs() < VERIFY_REUSE_SECS
    {
        return Ok((*when, v.clone()));
    }
    let v = audit::verify(&state.store).await?;
    let when = Utc::now();
    *last = Some((std::time::Instant::now(), when, v.clone()));
    Ok((when, v))
}

fn view(when: DateTime<Utc>, v: Verification, platform: bool) -> AuditVerificationView {
    match v {
        Verification::Intact { entries } => AuditVerificationView {
            ok: true,
            checked: platform.then_some(entries),
            first_broken_seq: None,
            problem: None,
            checked_at: when,
        },
        Verification::Broken { seq, reason, .. } => AuditVerificationView {
            ok: false,
            checked: None,
            first_broken_seq: platform.then_some(seq),
            problem: Some(if platform {
                format!("entry {seq}: {reason}")
            } else {
                "the audit chain does not verify; a platform admin can see where".into()
            }),
            checked_at: when,
        },
        Verification::Truncated { chain, expected, found } => AuditVerificationView {
            ok: false,
            checked: platform.then_some(found),
            first_broken_seq: None,
            problem: Some(if platform {
                format!(
                    "the {chain} chain's head records entry #{expected} but it ends at #{found} (entries were removed)"
                )
            } else {
                "the audit chain does not verify; a platform admin can see where".into()
            }),
            checked_at: when,
        },
    }
}

/// A CSV cell: quoted when needed, and never read as a formula by a spreadsheet (the guard's `'`
/// is reversible: see `evidence::csv_cell`).
fn csv_cell(value: &str) -> String {
    evidence::csv_cell(value)
}

const CSV_HEADER: &str =
    "seq,created_at,tenant_id,actor,actor_user_id,action,target_type,target_id,outcome,ip,request_id,details,hash\n";

fn csv_row(e: &AuditEntryView) -> String {
    let opt = |v: &Option<String>| v.as_deref().map(csv_cell).unwrap_or_default();
    let cells = [
        e.seq.to_string(),
        e.created_at.to_rfc3339(),
        e.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
        csv_cell(&e.actor),
        e.actor_user_id.map(|u| u.to_string()).unwrap_or_default(),
        csv_cell(&e.action),
        opt(&e.target_type),
        opt(&e.target_id),
        csv_cell(&e.outcome),
        opt(&e.ip),
        opt(&e.request_id),
        csv_cell(&e.details.to_string()),
        e.hash.clone(),
    ];
    let mut line = cells.join(",");
    line.push('\n');
    line
}

/// Streams the filtered entries page by page, so a large export never sits in memory.
fn export_body(state: Arc<AppState>, scope: AuditScope, filter: AuditFilter, format: ExportFormat) -> Body {
    use futures::StreamExt;
    struct Cursor {
        filter: AuditFilter,
        sent: u64,
        header: bool,
        done: bool,
    }
    let start = Cursor { filter, sent: 0, header: format == ExportFormat::Csv, done: false };
    let stream = futures::stream::unfold(start, move |mut c| {
        let state = state.clone();
        async move {
            if c.header {
                c.header = false;
                return Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(CSV_HEADER.as_bytes())), c));
            }
            if c.done || c.sent >= EXPORT_MAX_ENTRIES {
                return None;
            }
            let page = (EXPORT_MAX_ENTRIES - c.sent).min(1000);
            let items = match audit::list(&state.store, scope, &c.filter, page).await {
                Ok(items) => items,
                Err(e) => {
                    // Headers are sent: the download ends short, and says so.
                    tracing::warn!(error = %e, "audit export stopped by a database error");
                    c.done = true;
                    let note = match format {
                        ExportFormat::Jsonl => "{\"error\":\"the export stopped early: the database failed\"}\n",
                        ExportFormat::Csv => "# the export stopped early: the database failed\n",
                    };
                    return Some((Ok(bytes::Bytes::from_static(note.as_bytes())), c));
                }
            };
            if (items.len() as u64) < page {
                c.done = true;
            }
            let last = items.last()?;
            c.filter.before_seq = Some(last.seq);
            c.sent += items.len() as u64;
            let mut out = String::new();
            for entry in items {
                let view = AuditEntryView::from(entry);
                match format {
                    ExportFormat::Jsonl => {
                        out.push_str(&poem_openapi::types::ToJSON::to_json_string(&view));
                        out.push('\n');
                    }
                    ExportFormat::Csv => out.push_str(&csv_row(&view)),
                }
            }
            Some((Ok(bytes::Bytes::from(out)), c))
        }
    });
    Body::from_bytes_stream(stream.boxed())
}

/// Streams a scope's chain for offline verification: the header, the entries in chain order, the end
/// line (`confab_core::audit::evidence` defines them), page by page.
fn chain_export_body(state: Arc<AppState>, scope: AuditScope, plan: evidence::Plan, format: ExportFormat) -> Body {
    use futures::StreamExt;
    let csv = format == ExportFormat::Csv;
    struct Cursor {
        header: Option<String>,
        after: i64,
        last: i64,
        sent: u64,
        last_hash: Option<String>,
        done: bool,
    }
    let (after, last) = plan.range.map_or((0, 0), |(first, last)| (first - 1, last));
    let header = if csv {
        format!("{}{}", evidence::csv_columns(), evidence::csv_header(&plan.header))
    } else {
        format!("{}\n", evidence::to_json(&plan.header))
    };
    let start = Cursor { header: Some(header), after, last, sent: 0, last_hash: None, done: false };
    let stream = futures::stream::unfold(start, move |mut c| {
        let state = state.clone();
        async move {
            if let Some(header) = c.header.take() {
                return Some((Ok::<_, std::io::Error>(bytes::Bytes::from(header)), c));
            }
            if c.done {
                return None;
            }
            let full = c.sent >= EXPORT_MAX_ENTRIES;
            if c.after >= c.last || full {
                c.done = true;
                let end = evidence::End {
                    entries: c.sent,
                    last_chain_seq: c.last_hash.as_ref().map(|_| c.after),
                    last_hash: c.last_hash.clone(),
                    complete: !full || c.after >= c.last,
                };
                let line = if csv {
                    evidence::csv_end(&end)
                } else {
                    let mut line = evidence::to_json(&evidence::EndLine { confab_audit_export_end: end });
                    line.push('\n');
                    line
                };
                return Some((Ok(bytes::Bytes::from(line)), c));
            }
            let items = match evidence::page(&state.store, scope, c.after, c.last).await {
                Ok(items) if !items.is_empty() => items,
                // Purged while streaming: stop without an end line, so verification says so.
                Ok(_) => return None,
                Err(e) => {
                    // Headers are sent: the download ends short (no end line, so it never verifies).
                    tracing::warn!(error = %e, "audit chain export stopped by a database error");
                    c.done = true;
                    let note: &'static [u8] = if csv {
                        b"error,the export stopped early: the database failed\n"
                    } else {
                        b"{\"error\":\"the export stopped early: the database failed\"}\n"
                    };
                    return Some((Ok(bytes::Bytes::from_static(note)), c));
                }
            };
            let room = (EXPORT_MAX_ENTRIES - c.sent) as usize;
            let mut out = String::new();
            for entry in items.into_iter().take(room) {
                let line = evidence::Line::of(&entry);
                if csv {
                    out.push_str(&evidence::csv_entry(&line));
                } else {
                    out.push_str(&evidence::to_json(&line));
                    out.push('\n');
                }
                c.after = entry.chain_seq.unwrap_or(c.after);
                c.last_hash = Some(entry.hash);
                c.sent += 1;
            }
            Some((Ok(bytes::Bytes::from(out)), c))
        }
    });
    Body::from_bytes_stream(stream.boxed())
}

async fn export(
    state: &Arc<AppState>,
    principal: &Principal,
    scope: AuditScope,
    filters: Filters,
    format: Option<ExportFormat>,
    chain: bool,
) -> ApiResult<AuditDownload> {
    let format = format.unwrap_or(ExportFormat::Jsonl);
    if chain {
        let only_time = filters.actor.is_none()
            && filters.action.is_none()
            && filters.target_type.is_none()
            && filters.target_id.is_none();
        if !only_time {
            return Err(AppError::Validation {
                field: "chain",
                reason: "takes no filter but `since` and `until` (others would break the chain)".into(),
            }
            .into());
        }
    }
    let filter = filters.into_filter(None)?;
    let tenant = match scope {
        AuditScope::Tenant(t) => Some(t),
        AuditScope::Platform => None,
    };
    // Who took a copy of the log, and of what, is itself audited.
    audit::record_alone(
        &state.store,
        NewEntry::new(tenant, &actor_of(principal), action::AUDIT_EXPORTED).details(serde_json::json!({
            "format": match format { ExportFormat::Jsonl => "jsonl", ExportFormat::Csv => "csv" },
            "actor": filter.actor.map(|u| u.0),
            "action": filter.action,
            "target_type": filter.target_type,
            "target_id": filter.target_id,
            "since": filter.since,
            "until": filter.until,
            "chain": chain,
        })),
    )
    .await?;
    let (name, ext) = match (tenant.is_some(), format) {
        (true, ExportFormat::Jsonl) => ("audit", "jsonl"),
        (true, ExportFormat::Csv) => ("audit", "csv"),
        (false, ExportFormat::Jsonl) => ("platform-audit", "jsonl"),
        (false, ExportFormat::Csv) => ("platform-audit", "csv"),
    };
    let kind = if chain { "-chain" } else { "" };
    let filename = format!("confab-{name}{kind}-{}.{ext}", Utc::now().format("%Y%m%dT%H%M%SZ"));
    let body = if chain {
        // Planned after the export's own entry, so the file includes it.
        let plan = evidence::plan(&state.store, scope, filter.since, filter.until).await?;
        chain_export_body(state.clone(), scope, plan, format)
    } else {
        export_body(state.clone(), scope, filter, format)
    };
    Ok(AuditDownload::Ok(Attachment::new(body).attachment_type(AttachmentType::Attachment).filename(filename)))
}

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditApi {
    /// The active tenant's audit entries, newest first.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/audit", method = "get", operation_id = "audit_list")]
    async fn tenant_audit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only entries by this user.
        actor: Query<Option<Uuid>>,
        /// Only this action, e.g. `auth.login_failed`; `auth.*` for every action on an object.
        action: Query<Option<String>>,
        /// Only entries about this kind of object, e.g. `user`, `conversation`.
        target_type: Query<Option<String>>,
        /// Only entries about the object with this id.
        target_id: Query<Option<String>>,
        /// From this time (inclusive).
        since: Query<Option<DateTime<Utc>>>,
        /// Before this time.
        until: Query<Option<DateTime<Utc>>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<AuditPage>> {
        let scope = state.authz.require_tenant(&auth.0, Permission::AUDIT_READ).await?;
        let filters = Filters {
            actor: actor.0,
            action: action.0,
            target_type: target_type.0,
            target_id: target_id.0,
            since: since.0,
            until: until.0,
        };
        read(&state, AuditScope::Tenant(scope.tenant), filters, cursor.0, limit.0).await
    }

    /// Download the active tenant's audit entries (the same filters as the list) as JSON Lines
    /// or CSV.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/audit/export", method = "get", operation_id = "audit_export")]
    async fn tenant_export(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// `jsonl` (default) or `csv`, for a plain or a chain export.
        format: Query<Option<ExportFormat>>,
        /// Export the hash chain for offline verification (`confab audit verify --file`): the
        /// entries oldest first with every hashed field, between a header line (the anchor the
        /// first entry links to) and an end line; with `format=csv`, the same records as rows
        /// after a column-names row (a `kind` column tells them apart). Only `since` and `until`
        /// apply.
        /// Entries from before per-scope chains are not included (they verify in the database).
        chain: Query<Option<bool>>,
        /// Only entries by this user.
        actor: Query<Option<Uuid>>,
        /// Only this action, e.g. `auth.login_failed`; `auth.*` for every action on an object.
        action: Query<Option<String>>,
        /// Only entries about this kind of object, e.g. `user`, `conversation`.
        target_type: Query<Option<String>>,
        /// Only entries about the object with this id.
        target_id: Query<Option<String>>,
        /// From this time (inclusive).
        since: Query<Option<DateTime<Utc>>>,
        /// Before this time.
        until: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<AuditDownload> {
        let scope = state.authz.require_tenant(&auth.0, Permission::AUDIT_READ).await?;
        let filters = Filters {
            actor: actor.0,
            action: action.0,
            target_type: target_type.0,
            target_id: target_id.0,
            since: since.0,
            until: until.0,
        };
        export(&state, &auth.0, AuditScope::Tenant(scope.tenant), filters, format.0, chain.0.unwrap_or(false)).await
    }

    /// Whether the audit log's hash chain verifies (tamper evidence). Tenant callers learn only
    /// whether it holds; platform admins see where it breaks.
    #[oai(path = "/audit/verify", method = "get", operation_id = "audit_verify")]
    async fn tenant_verify(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<AuditVerificationView>> {
        state.authz.require_tenant(&auth.0, Permission::AUDIT_READ).await?;
        let (when, v) = verification(&state).await?;
        Ok(Json(view(when, v, false)))
    }

    /// Installation-wide entries that belong to no tenant (tenant changes, setup, unknown
    /// sign-ins).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/platform/audit", method = "get", operation_id = "platform_audit_list")]
    async fn platform_audit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// Only entries by this user.
        actor: Query<Option<Uuid>>,
        /// Only this action, e.g. `tenant.created`; `tenant.*` for every action on an object.
        action: Query<Option<String>>,
        /// Only entries about this kind of object, e.g. `tenant`, `plugin`.
        target_type: Query<Option<String>>,
        /// Only entries about the object with this id.
        target_id: Query<Option<String>>,
        /// From this time (inclusive).
        since: Query<Option<DateTime<Utc>>>,
        /// Before this time.
        until: Query<Option<DateTime<Utc>>>,
        cursor: Query<Option<Cursor>>,
        limit: Query<Option<PageLimit>>,
    ) -> ApiResult<Json<AuditPage>> {
        state.authz.require_platform(&auth.0, Permission::PLATFORM_AUDIT_READ).await?;
        let filters = Filters {
            actor: actor.0,
            action: action.0,
            target_type: target_type.0,
            target_id: target_id.0,
            since: since.0,
            until: until.0,
        };
        read(&state, AuditScope::Platform, filters, cursor.0, limit.0).await
    }

    /// Download the installation-wide entries (the same filters as the list) as JSON Lines or
    /// CSV.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/platform/audit/export", method = "get", operation_id = "platform_audit_export")]
    async fn platform_export(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        /// `jsonl` (default) or `csv`, for a plain or a chain export.
        format: Query<Option<ExportFormat>>,
        /// Export the hash chain for offline verification (`confab audit verify --file`): the
        /// entries oldest first with every hashed field, between a header line (the anchor the
        /// first entry links to) and an end line; with `format=csv`, the same records as rows
        /// after a column-names row (a `kind` column tells them apart). Only `since` and `until`
        /// apply.
        /// Entries from before per-scope chains are not included (they verify in the database).
        chain: Query<Option<bool>>,
        /// Only entries by this user.
        actor: Query<Option<Uuid>>,
        /// Only this action, e.g. `tenant.created`; `tenant.*` for every action on an object.
        action: Query<Option<String>>,
        /// Only entries about this kind of object, e.g. `tenant`, `plugin`.
        target_type: Query<Option<String>>,
        /// Only entries about the object with this id.
        target_id: Query<Option<String>>,
        /// From this time (inclusive).
        since: Query<Option<DateTime<Utc>>>,
        /// Before this time.
        until: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<AuditDownload> {
        state.authz.require_platform(&auth.0, Permission::PLATFORM_AUDIT_READ).await?;
        let filters = Filters {
            actor: actor.0,
            action: action.0,
            target_type: target_type.0,
            target_id: target_id.0,
            since: since.0,
            until: until.0,
        };
        export(&state, &auth.0, AuditScope::Platform, filters, format.0, chain.0.unwrap_or(false)).await
    }

    /// Whether the installation's audit chain verifies, and where it breaks if it does not.
    #[oai(path = "/platform/audit/verify", method = "get", operation_id = "platform_audit_verify")]
    async fn platform_verify(&self, state: Data<&Arc<AppState>>, auth: Auth) -> ApiResult<Json<AuditVerificationView>> {
        state.authz.require_platform(&auth.0, Permission::PLATFORM_AUDIT_READ).await?;
        let (when, v) = verification(&state).await?;
        Ok(Json(view(when, v, true)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("'+1"), "''+1");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }
}

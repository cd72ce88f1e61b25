//! A user's own data, as one zip archive they can open (`GET /v1/me/export`): their
//! conversations with every branch and message, their presets with every version, the shares
//! they created, their usage records and their API tokens' metadata, in the active tenant.
//!
//! The archive is produced as a stream: a task reads a page at a time and hands the zip bytes
//! to the response through a small bounded channel, so a large history never sits in memory and
//! a slow reader slows the reads down. Only the user's own rows are read (every query filters by
//! tenant and owner).

pub mod zip;

use crate::audit::{self, Actor, NewEntry, action};
use crate::domain::{TenantId, UserId};
use crate::error::{AppError, AppResult};
use crate::store::{self, Store};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zip::ZipStream;

/// Who is exported, and where.
#[derive(Debug, Clone)]
pub struct Subject {
    pub tenant: TenantId,
    pub tenant_name: String,
    pub user: UserId,
    pub email: String,
    pub display_name: String,
}

/// What went into an archive (the audit entry records these, never content).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Counts {
    pub conversations: u64,
    pub messages: u64,
    pub presets: u64,
    pub shares: u64,
    pub usage_events: u64,
    pub api_tokens: u64,
}

const PAGE: u64 = 200;
/// Exports running at once on one replica; more wait for a turn (429 with Retry-After).
const MAX_RUNNING: usize = 2;
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Admission: one export per user at a time, and a few per replica.
#[derive(Default)]
pub struct ExportGate {
    running: Mutex<HashSet<(TenantId, UserId)>>,
}

/// Held while an export runs; dropping it lets the next one in.
pub struct ExportPass {
    gate: Arc<ExportGate>,
    key: (TenantId, UserId),
}

impl Drop for ExportPass {
    fn drop(&mut self) {
        if let Ok(mut running) = self.gate.running.lock() {
            running.remove(&self.key);
        }
    }
}

impl ExportGate {
    pub fn enter(self: &Arc<Self>, tenant: TenantId, user: UserId) -> AppResult<ExportPass> {
        let mut running = self.running.lock().map_err(|_| AppError::Internal("export gate poisoned".into()))?;
        if running.len() >= MAX_RUNNING || running.contains(&(tenant, user)) {
            return Err(AppError::RateLimited { retry_after: RETRY_AFTER });
        }
        running.insert((tenant, user));
        Ok(ExportPass { gate: self.clone(), key: (tenant, user) })
    }
}

const README: &str = "Your data from Confab\n\
=====================\n\n\
index.json               who and what this export is, and a list of your conversations\n\
conversations/*.json     one file per conversation: every message of every branch, with its role,\n\
                         status, model and times; `parent_id` links a message to the one it answers\n\
                         (edits and regenerations are siblings), `branches` lists each branch's\n\
                         message ids from the first message to its last; `choice_sets` lists the\n\
                         answers you asked for side by side and the one you picked\n\
presets.json             your personal presets, each with all its versions\n\
shares.json              the shares you created, with the messages they copied\n\
usage.jsonl              one line per answer: model, tokens and cost\n\
api_tokens.json          your API tokens (names, roles, dates; never the secrets)\n\n\
Times are UTC (RFC 3339). Every file is UTF-8 JSON.\n";

/// A file name piece from a title: letters, digits and dashes, at most 40 characters.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.chars().count() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "untitled".into() } else { out }
}

/// Each branch of a message tree: ids from a root to a leaf.
fn branches(messages: &[store::personal::ExportedMessage]) -> Vec<Vec<uuid::Uuid>> {
    use std::collections::HashMap;
    let parents: HashMap<uuid::Uuid, Option<uuid::Uuid>> = messages.iter().map(|m| (m.id, m.parent_id)).collect();
    let with_children: HashSet<uuid::Uuid> = messages.iter().filter_map(|m| m.parent_id).collect();
    messages
        .iter()
        .filter(|m| !with_children.contains(&m.id))
        .map(|leaf| {
            let mut path = vec![leaf.id];
            let mut at = leaf.parent_id;
            while let Some(id) = at {
                if path.len() > messages.len() {
                    break; // a cycle would be a bug elsewhere; never loop on it
                }
                path.push(id);
                at = parents.get(&id).copied().flatten();
            }
            path.reverse();
            path
        })
        .collect()
}

type Chunk = Result<Bytes, std::io::Error>;

/// Sends one piece of the archive; false when the reader went away.
async fn send(tx: &tokio::sync::mpsc::Sender<Chunk>, bytes: Vec<u8>) -> bool {
    bytes.is_empty() || tx.send(Ok(Bytes::from(bytes))).await.is_ok()
}

#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Zip(#[from] zip::ZipError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("the reader went away")]
    Gone,
}

macro_rules! emit {
    ($tx:expr, $bytes:expr) => {
        if !send($tx, $bytes).await {
            return Err(ExportError::Gone);
        }
    };
}

/// A JSON array file written a page at a time.
async fn array_file<T, F, Fut>(
    tx: &tokio::sync::mpsc::Sender<Chunk>,
    zip: &mut ZipStream,
    name: &str,
    mut page: F,
) -> Result<u64, ExportError>
where
    T: serde::Serialize,
    F: FnMut(Option<uuid::Uuid>) -> Fut,
    Fut: std::future::Future<Output = AppResult<Vec<(uuid::Uuid, T)>>>,
{
    emit!(tx, zip.start(name)?);
    emit!(tx, zip.write(b"[")?);
    let (mut count, mut cursor) = (0u64, None);
    loop {
        let items = page(cursor).await?;
        let Some((last, _)) = items.last() else { break };
        cursor = Some(*last);
        let full = items.len() as u64 == PAGE;
        let mut buf = Vec::new();
        for (_, item) in &items {
            buf.extend_from_slice(if count == 0 { b"\n" } else { b",\n" });
            serde_json::to_writer_pretty(&mut buf, item)?;
            count += 1;
        }
        emit!(tx, zip.write(&buf)?);
        if !full {
            break;
        }
    }
    emit!(tx, zip.write(b"\n]\n")?);
    emit!(tx, zip.finish_entry()?);
    Ok(count)
}

async fn produce(
    store: &Store,
    subject: &Subject,
    at: DateTime<Utc>,
    tx: &tokio::sync::mpsc::Sender<Chunk>,
    counts: &mut Counts,
) -> Result<(), ExportError> {
    let (tenant, user) = (subject.tenant, subject.user);
    let conn = store.conn();
    let mut zip = ZipStream::new(at);
    emit!(tx, zip.entry("README.txt", README.as_bytes())?);

    // Conversations: one file each; the index keeps only ids, titles and file names.
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = store::personal::conversations(conn, tenant, user, after, PAGE).await?;
        let full = page.len() as u64 == PAGE;
        for mut conversation in page {
            after = Some(conversation.id);
            conversation.messages = store::personal::messages(conn, tenant, conversation.id).await?;
            conversation.choice_sets = store::personal::choice_sets(conn, tenant, conversation.id).await?;
            let file = format!(
                "conversations/{}_{}_{}.json",
                conversation.created_at.format("%Y-%m-%d"),
                slug(&conversation.title),
                conversation.id
            );
            let mut body = serde_json::to_value(&conversation)?;
            body["branches"] = serde_json::to_value(branches(&conversation.messages))?;
            counts.conversations += 1;
            counts.messages += conversation.messages.len() as u64;
            listed.push(serde_json::json!({
                "id": conversation.id,
                "title": conversation.title,
                "messages": conversation.messages.len(),
                "file": file,
            }));
            emit!(tx, zip.entry(&file, &serde_json::to_vec_pretty(&body)?)?);
        }
        if !full {
            break;
        }
    }

    counts.presets = array_file(tx, &mut zip, "presets.json", |after| async move {
        Ok(store::personal::presets(conn, tenant, user, after, PAGE).await?.into_iter().map(|p| (p.id, p)).collect())
    })
    .await?;
    counts.shares = array_file(tx, &mut zip, "shares.json", |before| async move {
        let before = before.map(crate::shares::ShareId);
        Ok(crate::shares::export_page(conn, tenant, user, before, PAGE)
            .await?
            .into_iter()
            .map(|(id, s)| (id.0, s))
            .collect())
    })
    .await?;
    counts.api_tokens = array_file(tx, &mut zip, "api_tokens.json", |after| async move {
        Ok(store::personal::tokens(conn, tenant, user, after, PAGE).await?.into_iter().map(|t| (t.id, t)).collect())
    })
    .await?;

    emit!(tx, zip.start("usage.jsonl")?);
    let mut after = None;
    loop {
        let page = store::personal::usage(conn, tenant, user, after, PAGE * 5).await?;
        let full = page.len() as u64 == PAGE * 5;
        let mut buf = Vec::new();
        for event in &page {
            serde_json::to_writer(&mut buf, event)?;
            buf.push(b'\n');
            after = Some(event.id);
        }
        counts.usage_events += page.len() as u64;
        emit!(tx, zip.write(&buf)?);
        if !full {
            break;
        }
    }
    emit!(tx, zip.finish_entry()?);

    let index = serde_json::json!({
        "format": "confab-personal-export",
        "version": 1,
        "exported_at": at,
        "user": { "id": user.0, "email": subject.email, "display_name": subject.display_name },
        "tenant": { "id": tenant.0, "name": subject.tenant_name },
        "counts": counts,
        "conversations": listed,
    });
    emit!(tx, zip.entry("index.json", &serde_json::to_vec_pretty(&index)?)?);
    // Recorded before the archive's last bytes: a reader that has the whole file finds it logged.
    audit::record_alone(
        store,
        NewEntry::new(Some(tenant), &Actor::user(user, &subject.email), action::USER_DATA_EXPORTED)
            .target("user", user.0)
            .details(serde_json::json!({ "complete": true, "counts": counts })),
    )
    .await?;
    emit!(tx, zip.finish()?);
    Ok(())
}

/// The archive as a byte stream. `pass` is held until the archive is written or abandoned.
pub fn archive(store: Store, subject: Subject, pass: ExportPass) -> impl Stream<Item = Chunk> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    tokio::spawn(async move {
        let _pass = pass;
        let mut counts = Counts::default();
        let result = produce(&store, &subject, Utc::now(), &tx, &mut counts).await;
        if let Err(e) = result {
            // The headers are sent: the download ends short (an unreadable zip), and says so in
            // the log and the audit log.
            tracing::warn!(tenant = %subject.tenant.0, user = %subject.user.0, error = %e, "personal data export stopped");
            let entry = NewEntry::new(
                Some(subject.tenant),
                &Actor::user(subject.user, &subject.email),
                action::USER_DATA_EXPORTED,
            )
            .target("user", subject.user.0)
            .failed()
            .details(serde_json::json!({ "complete": false, "counts": counts }));
            if let Err(e) = audit::record_alone(&store, entry).await {
                tracing::warn!(error = %e, "the stopped export could not be audited");
            }
            let _ = tx.send(Err(std::io::Error::other("the export stopped early"))).await;
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) })
}

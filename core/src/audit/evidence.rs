//! The audit log as evidence: a scope's chain exported as JSON Lines that an auditor verifies
//! offline, with nothing but the file (docs/audit-verification.md specifies the format).
//!
//! The file is a header line (the scope, the range, and the anchor: the chain position and hash
//! the first entry links to), one line per entry in chain order with every hashed field, and an
//! end line (how many entries, the last hash), so a cut-short file is caught too.
use super::{Checkpoint, action};
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use crate::store::Store;
use crate::store::audit::{self as rows, AuditScope, Entry, GENESIS_PREV_HASH, entry_hash};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::io::BufRead;

/// The export format's version, in its header.
pub const FORMAT_VERSION: u32 = 1;
/// Entries read from the database at a time.
const PAGE: u64 = 1000;

/// Where the first exported entry's chain begins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Anchor {
    /// The chain position before the first exported entry (0 at the chain's start).
    pub chain_seq: i64,
    /// The hash the first exported entry's `prev_hash` must equal.
    pub hash: String,
    /// `genesis` (the chain's start), `previous_entry` (an entry before the range, still stored)
    /// or `checkpoint` (the last entry of a purged prefix).
    pub source: String,
    /// For `checkpoint`: the checkpoint entry (its chain position) that commits to this anchor.
    pub checkpoint_chain_seq: Option<i64>,
}

/// The export's first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub confab_audit_export: u32,
    /// `tenant:<uuid>` or `platform`.
    pub scope: String,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub exported_at: DateTime<Utc>,
    pub anchor: Anchor,
}

/// One entry, as a line of the export: every field the hash covers, and the hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub chain_seq: i64,
    pub seq: i64,
    pub id: uuid::Uuid,
    pub tenant_id: Option<uuid::Uuid>,
    pub actor_user_id: Option<uuid::Uuid>,
    pub actor_label: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// A JSON document, as a string: hashed byte for byte.
    pub details: String,
    /// RFC 3339 in UTC with microseconds, e.g. `2026-12-17T09:30:00.123456Z`.
    pub created_at: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Line {
    pub fn of(e: &Entry) -> Self {
        Line {
            chain_seq: e.chain_seq.unwrap_or(0),
            seq: e.seq,
            id: e.id,
            tenant_id: e.tenant_id.map(|t| t.0),
            actor_user_id: e.actor_user_id.map(|u| u.0),
            actor_label: e.actor_label.clone(),
            action: e.action.clone(),
            target_type: e.target_type.clone(),
            target_id: e.target_id.clone(),
            outcome: e.outcome.clone(),
            ip: e.ip.clone(),
            request_id: e.request_id.clone(),
            details: e.details.clone(),
            created_at: e.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }

    fn entry(self) -> Result<Entry, String> {
        let created_at = DateTime::parse_from_rfc3339(&self.created_at)
            .map_err(|_| "created_at is not an RFC 3339 time".to_string())?
            .with_timezone(&Utc);
        Ok(Entry {
            id: self.id,
            seq: self.seq,
            tenant_id: self.tenant_id.map(TenantId),
            actor_user_id: self.actor_user_id.map(UserId),
            actor_label: self.actor_label,
            action: self.action,
            target_type: self.target_type,
            target_id: self.target_id,
            outcome: self.outcome,
            ip: self.ip,
            request_id: self.request_id,
            details: self.details,
            created_at,
            prev_hash: self.prev_hash,
            hash: self.hash,
            chain_seq: Some(self.chain_seq),
        })
    }
}

/// The export's last line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct End {
    pub entries: u64,
    pub last_chain_seq: Option<i64>,
    pub last_hash: Option<String>,
    /// False when the export stopped at its size limit (export the rest with a later `since`).
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndLine {
    pub confab_audit_export_end: End,
}

/// A planned export: its header, and the chain positions to stream.
pub struct Plan {
    pub header: Header,
    /// `(first, last)` chain positions, or `None` when the range holds no entry.
    pub range: Option<(i64, i64)>,
}

/// Finds the scope's chain entries written in `[since, until)` and the anchor the first links to.
/// The range is a contiguous run of the chain (from the first entry at or after `since` to the
/// last before `until`), so it verifies on its own.
pub async fn plan(
    store: &Store,
    scope: AuditScope,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> AppResult<Plan> {
    let conn = store.conn();
    let range = rows::chain_range(conn, scope, since, until).await?;
    let anchor = match range {
        None | Some((1, _)) => Anchor {
            chain_seq: 0,
            hash: GENESIS_PREV_HASH.into(),
            source: "genesis".into(),
            checkpoint_chain_seq: None,
        },
        Some((first, _)) => {
            let previous = rows::scope_page(conn, scope, first - 2, first - 1, 1).await?;
            match previous.into_iter().next() {
                Some(p) => Anchor {
                    chain_seq: first - 1,
                    hash: p.hash,
                    source: "previous_entry".into(),
                    checkpoint_chain_seq: None,
                },
                None => {
                    // Purged: the latest checkpoint names the last removed entry.
                    let checkpoint = rows::latest_checkpoint(conn, scope).await?;
                    let first_entry = rows::scope_page(conn, scope, first - 1, first, 1).await?;
                    Anchor {
                        chain_seq: first - 1,
                        hash: first_entry.into_iter().next().map(|e| e.prev_hash).unwrap_or_default(),
                        source: "checkpoint".into(),
                        checkpoint_chain_seq: checkpoint.and_then(|c| c.chain_seq),
                    }
                }
            }
        }
    };
    let header = Header {
        confab_audit_export: FORMAT_VERSION,
        scope: scope.key(),
        since,
        until,
        exported_at: Utc::now(),
        anchor,
    };
    Ok(Plan { header, range })
}

/// The next page of a planned export: entries after `after`, up to `last`.
pub async fn page(store: &Store, scope: AuditScope, after: i64, last: i64) -> AppResult<Vec<Entry>> {
    rows::scope_page(store.conn(), scope, after, last, PAGE).await
}

/// A line as JSON (no trailing newline).
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// What an intact export shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub scope: String,
    pub entries: u64,
    pub first_chain_seq: Option<i64>,
    pub last_chain_seq: Option<i64>,
    pub last_hash: Option<String>,
    pub anchor: Anchor,
    /// Whether the file itself vouches for the anchor: the chain's genesis, or a checkpoint entry
    /// in the file that commits to it. Otherwise compare the anchor with the previous export's
    /// last hash, or with the live log.
    pub anchor_confirmed: bool,
    pub complete: bool,
}

/// The first thing wrong in an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// The entry's chain position, when the line is an entry.
    pub chain_seq: Option<i64>,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.chain_seq {
            Some(c) => write!(f, "line {} (entry #{c}): {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// Verifies an export line by line (constant memory): every entry's hash recomputes, each links to
/// the one before it (the first to the header's anchor), positions run without gaps, every entry
/// belongs to the header's scope, and the end line accounts for every entry.
pub fn verify_export(reader: impl BufRead) -> Result<Report, Problem> {
    let problem = |line: usize, chain_seq: Option<i64>, reason: String| Problem { line, chain_seq, reason };
    let mut lines = reader.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (n, first) = lines.next().ok_or_else(|| problem(1, None, "the file is empty".into()))?;
    let first = first.map_err(|e| problem(n, None, format!("unreadable: {e}")))?;
    let header: Header =
        serde_json::from_str(&first).map_err(|_| problem(1, None, "the first line is not an export header".into()))?;
    if header.confab_audit_export != FORMAT_VERSION {
        return Err(problem(1, None, format!("unknown export format {}", header.confab_audit_export)));
    }
    let scope = AuditScope::parse(&header.scope)
        .ok_or_else(|| problem(1, None, format!("unknown scope `{}`", header.scope)))?;
    let anchor = header.anchor.clone();
    if anchor.source == "genesis" && (anchor.chain_seq != 0 || anchor.hash != GENESIS_PREV_HASH) {
        return Err(problem(1, None, "a genesis anchor is chain position 0 with the all-zero hash".into()));
    }
    let mut prev = (anchor.chain_seq, anchor.hash.clone());
    let mut entries = 0u64;
    let mut first_chain_seq = None;
    let mut anchor_confirmed = anchor.source == "genesis";
    let mut end: Option<End> = None;
    for (n, text) in lines {
        let text = text.map_err(|e| problem(n, None, format!("unreadable: {e}")))?;
        if end.is_some() {
            return Err(problem(n, None, "a line after the end line".into()));
        }
        if text.starts_with("{\"confab_audit_export_end\"") {
            let e: EndLine =
                serde_json::from_str(&text).map_err(|_| problem(n, None, "a malformed end line".into()))?;
            end = Some(e.confab_audit_export_end);
            continue;
        }
        let line: Line =
            serde_json::from_str(&text).map_err(|e| problem(n, None, format!("not an audit entry line ({e})")))?;
        let chain_seq = line.chain_seq;
        let at = |reason: String| problem(n, Some(chain_seq), reason);
        if line.tenant_id.map(TenantId) != scope.tenant() {
            return Err(at(format!("the entry is not in the export's scope ({})", header.scope)));
        }
        let entry = line.entry().map_err(at)?;
        if chain_seq != prev.0 + 1 {
            return Err(at(if chain_seq <= prev.0 {
                format!("out of order: entry #{chain_seq} after entry #{}", prev.0)
            } else {
                format!("entries #{} to #{} are missing", prev.0 + 1, chain_seq - 1)
            }));
        }
        if entry.prev_hash != prev.1 {
            return Err(at(if entries == 0 {
                "does not link to the anchor in the header".into()
            } else {
                "does not link to the previous entry's hash".into()
            }));
        }
        if entry_hash(&entry) != entry.hash {
            return Err(at("contents do not match its hash (the line was altered)".into()));
        }
        if chain_seq == 1 && entry.action != action::AUDIT_CHAIN_STARTED {
            return Err(at("the chain's first entry is not its genesis entry".into()));
        }
        if anchor.source == "checkpoint" && anchor.checkpoint_chain_seq == Some(chain_seq) {
            match Checkpoint::of(&entry) {
                Some(c) if c.last_chain_seq == anchor.chain_seq && c.last_hash == anchor.hash => {
                    anchor_confirmed = true
                }
                _ => return Err(at("this checkpoint does not commit to the header's anchor".into())),
            }
        }
        first_chain_seq.get_or_insert(chain_seq);
        entries += 1;
        prev = (chain_seq, entry.hash);
    }
    let Some(end) = end else {
        return Err(problem(entries as usize + 2, None, "the export is cut short: it has no end line".into()));
    };
    let last = (entries > 0).then(|| prev.clone());
    if end.entries != entries
        || end.last_chain_seq != last.as_ref().map(|l| l.0)
        || end.last_hash != last.as_ref().map(|l| l.1.clone())
    {
        return Err(problem(
            entries as usize + 2,
            None,
            format!(
                "the end line records {} entries up to #{} but the file holds {entries} up to #{} (entries were removed)",
                end.entries,
                end.last_chain_seq.unwrap_or(0),
                last.as_ref().map_or(0, |l| l.0)
            ),
        ));
    }
    Ok(Report {
        scope: header.scope,
        entries,
        first_chain_seq,
        last_chain_seq: last.as_ref().map(|l| l.0),
        last_hash: last.map(|l| l.1),
        anchor,
        anchor_confirmed,
        complete: end.complete,
    })
}

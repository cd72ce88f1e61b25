//! The audit log as evidence: a scope's chain exported as JSON Lines that an auditor verifies
//! offline, with nothing but the file (docs/audit-verification.md specifies the format).
//!
//! The file is a header line (the scope, the range, and the anchor: the chain position and hash
//! the first entry links to), one line per entry in chain order with every hashed field, and an
//! end line (how many entries, the last hash), so a cut-short file is caught too. The same records
//! also come as CSV (a `kind` column tells header, entry, checkpoint and end rows apart), with a
//! spreadsheet formula guard the verifier undoes, so the hashes recompute from the cells.
use super::{Checkpoint, action};
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use crate::store::Store;
use crate::store::audit::{self as rows, AuditScope, Entry, GENESIS_PREV_HASH, entry_hash};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read};

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
    /// 1-based line number (JSON Lines) or row number (CSV, the column names being row 1).
    pub line: usize,
    /// `line` or `row`.
    pub unit: &'static str,
    /// The entry's chain position, when the line is an entry.
    pub chain_seq: Option<i64>,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.chain_seq {
            Some(c) => write!(f, "{} {} (entry #{c}): {}", self.unit, self.line, self.reason),
            None => write!(f, "{} {}: {}", self.unit, self.line, self.reason),
        }
    }
}

/// One record of an export, whatever its encoding.
enum Record {
    Header(Box<Header>),
    Entry(Box<Line>),
    End(End),
}

/// Verifies an export (JSON Lines or CSV, told apart by its first bytes) record by record in
/// constant memory: every entry's hash recomputes, each links to the one before it (the first to
/// the header's anchor), positions run without gaps, every entry belongs to the header's scope,
/// and the end record accounts for every entry.
pub fn verify_export(mut reader: impl BufRead) -> Result<Report, Problem> {
    let csv = reader.fill_buf().map(|b| b.starts_with(CSV_COLUMNS.as_bytes())).unwrap_or(false);
    if csv { verify_csv(reader) } else { verify_jsonl(reader) }
}

/// Verifies a JSON Lines export.
pub fn verify_jsonl(reader: impl BufRead) -> Result<Report, Problem> {
    let problem = |line: usize, reason: String| Problem { line, unit: "line", chain_seq: None, reason };
    let records = reader.lines().enumerate().map(move |(i, text)| {
        let n = i + 1;
        let text = text.map_err(|e| problem(n, format!("unreadable: {e}")))?;
        if n == 1 {
            let header: Header =
                serde_json::from_str(&text).map_err(|_| problem(1, "the first line is not an export header".into()))?;
            return Ok((n, Record::Header(Box::new(header))));
        }
        if text.starts_with("{\"confab_audit_export_end\"") {
            let e: EndLine = serde_json::from_str(&text).map_err(|_| problem(n, "a malformed end line".into()))?;
            return Ok((n, Record::End(e.confab_audit_export_end)));
        }
        let line: Line =
            serde_json::from_str(&text).map_err(|e| problem(n, format!("not an audit entry line ({e})")))?;
        Ok((n, Record::Entry(Box::new(line))))
    });
    verify_records(records, "line")
}

/// The checks every encoding shares, over its records in file order.
fn verify_records(
    mut records: impl Iterator<Item = Result<(usize, Record), Problem>>,
    unit: &'static str,
) -> Result<Report, Problem> {
    let problem = |line: usize, chain_seq: Option<i64>, reason: String| Problem { line, unit, chain_seq, reason };
    let (_, first) = records.next().ok_or_else(|| problem(1, None, "the file is empty".into()))??;
    let Record::Header(header) = first else {
        return Err(problem(1, None, format!("the first {unit} is not an export header")));
    };
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
    let mut end: Option<(usize, End)> = None;
    let mut last_n = 1;
    for record in records {
        let (n, record) = record?;
        last_n = n;
        if end.is_some() {
            return Err(problem(n, None, format!("a {unit} after the end {unit}")));
        }
        let line = match record {
            Record::Header(_) => return Err(problem(n, None, "a second header".into())),
            Record::End(e) => {
                end = Some((n, e));
                continue;
            }
            Record::Entry(line) => *line,
        };
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
            return Err(at(format!("contents do not match its hash (the {unit} was altered)")));
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
    let Some((end_n, end)) = end else {
        return Err(problem(last_n + 1, None, format!("the export is cut short: it has no end {unit}")));
    };
    let last = (entries > 0).then(|| prev.clone());
    if end.entries != entries
        || end.last_chain_seq != last.as_ref().map(|l| l.0)
        || end.last_hash != last.as_ref().map(|l| l.1.clone())
    {
        return Err(problem(
            end_n,
            None,
            format!(
                "the end {unit} records {} entries up to #{} but the file holds {entries} up to #{} (entries were removed)",
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

// ---- CSV ---------------------------------------------------------------------------------------

/// The CSV export's first row: the column names.
pub const CSV_COLUMNS: &str = "kind,chain_seq,seq,id,tenant_id,actor_user_id,actor_label,action,target_type,target_id,outcome,ip,request_id,details,created_at,prev_hash,hash";
const CSV_WIDTH: usize = 17;
/// The `details` column of header and end rows holds their JSON; the other cells are empty.
const DETAILS: usize = 13;

/// A cell as written: a value starting with `=`, `+`, `-`, `@`, tab, carriage return or `'` gets
/// one `'` in front (so a spreadsheet never reads a formula, and the verifier strips exactly one
/// `'` to get the value back); quoted when it holds `,` `"` or a line break, or is empty (an
/// unquoted empty cell is a null).
pub fn csv_cell(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) { format!("'{value}") } else { value.to_string() };
    if value.is_empty() || value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn csv_opt(value: Option<&str>) -> String {
    value.map(csv_cell).unwrap_or_default()
}

fn csv_row(cells: &[String]) -> String {
    let mut row = cells.join(",");
    row.push('\n');
    row
}

/// The column names row.
pub fn csv_columns() -> String {
    format!("{CSV_COLUMNS}\n")
}

fn csv_json_row(kind: &str, json: String) -> String {
    let mut cells = vec![String::new(); CSV_WIDTH];
    cells[0] = kind.into();
    cells[DETAILS] = csv_cell(&json);
    csv_row(&cells)
}

/// The header as a CSV row (`kind` = `header`, its JSON in `details`).
pub fn csv_header(header: &Header) -> String {
    csv_json_row("header", to_json(header))
}

/// The end record as a CSV row (`kind` = `end`, its JSON — the object inside the JSON Lines end
/// line — in `details`).
pub fn csv_end(end: &End) -> String {
    csv_json_row("end", to_json(end))
}

/// An entry as a CSV row: `kind` = `checkpoint` for a retention checkpoint (`audit.purged`),
/// `entry` otherwise, then every hashed field and the hash.
pub fn csv_entry(line: &Line) -> String {
    let kind = if line.action == action::AUDIT_PURGED { "checkpoint" } else { "entry" };
    let uuid = |u: Option<uuid::Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    csv_row(&[
        kind.into(),
        line.chain_seq.to_string(),
        line.seq.to_string(),
        line.id.to_string(),
        uuid(line.tenant_id),
        uuid(line.actor_user_id),
        csv_cell(&line.actor_label),
        csv_cell(&line.action),
        csv_opt(line.target_type.as_deref()),
        csv_opt(line.target_id.as_deref()),
        csv_cell(&line.outcome),
        csv_opt(line.ip.as_deref()),
        csv_opt(line.request_id.as_deref()),
        csv_cell(&line.details),
        csv_cell(&line.created_at),
        csv_cell(&line.prev_hash),
        csv_cell(&line.hash),
    ])
}

/// Reads CSV records one at a time: `(row number, cells)`, each cell `None` when it was an
/// unquoted empty cell (a null), else its value with the formula guard's `'` removed.
struct CsvRows<R: Read> {
    bytes: std::io::Bytes<R>,
    row: usize,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    fn next_row(&mut self) -> Option<Result<Vec<Option<String>>, String>> {
        if self.done {
            return None;
        }
        let mut cells = Vec::new();
        let mut cell = Vec::new();
        let mut quoted = false;
        let mut in_quotes = false;
        let mut any = false;
        let finish = |cell: &mut Vec<u8>, quoted: bool| -> Result<Option<String>, String> {
            let raw = String::from_utf8(std::mem::take(cell)).map_err(|_| "not UTF-8".to_string())?;
            if raw.is_empty() && !quoted {
                return Ok(None);
            }
            Ok(Some(raw.strip_prefix('\'').map(str::to_string).unwrap_or(raw)))
        };
        loop {
            let byte = match self.bytes.next() {
                None => {
                    self.done = true;
                    if in_quotes {
                        return Some(Err("a quoted cell is not closed (the file is cut short)".into()));
                    }
                    if !any {
                        return None;
                    }
                    break;
                }
                Some(Err(e)) => return Some(Err(format!("unreadable: {e}"))),
                Some(Ok(b)) => b,
            };
            any = true;
            if in_quotes {
                if byte == b'"' {
                    in_quotes = false;
                } else {
                    cell.push(byte);
                }
                continue;
            }
            match byte {
                b'"' if quoted => {
                    // `""` inside a quoted cell: a quote.
                    cell.push(b'"');
                    in_quotes = true;
                }
                b'"' if cell.is_empty() => {
                    quoted = true;
                    in_quotes = true;
                }
                b',' => {
                    cells.push(finish(&mut cell, quoted));
                    quoted = false;
                }
                b'\n' => break,
                // Outside quotes a carriage return is a line ending (a cell holding one is quoted).
                b'\r' => {}
                _ => cell.push(byte),
            }
        }
        cells.push(finish(&mut cell, quoted));
        Some(cells.into_iter().collect())
    }
}

/// Verifies a CSV export (the same records and checks as JSON Lines; problems name the row).
pub fn verify_csv(reader: impl BufRead) -> Result<Report, Problem> {
    let problem =
        |row: usize, chain_seq: Option<i64>, reason: String| Problem { line: row, unit: "row", chain_seq, reason };
    let mut rows = CsvRows { bytes: reader.bytes(), row: 0, done: false };
    match rows.next_row() {
        Some(Ok(cells))
            if cells.iter().map(|c| c.as_deref().unwrap_or("")).collect::<Vec<_>>().join(",") == CSV_COLUMNS => {}
        _ => return Err(problem(1, None, format!("the first row is not the column names `{CSV_COLUMNS}`"))),
    }
    rows.row = 1;
    let records = std::iter::from_fn(move || {
        let cells = rows.next_row()?;
        rows.row += 1;
        let n = rows.row;
        Some(cells.map_err(|e| problem(n, None, e)).and_then(|cells| csv_record(n, cells).map(|r| (n, r))))
    });
    verify_records(records, "row")
}

fn csv_record(n: usize, mut cells: Vec<Option<String>>) -> Result<Record, Problem> {
    let problem = |chain_seq: Option<i64>, reason: String| Problem { line: n, unit: "row", chain_seq, reason };
    if cells.len() != CSV_WIDTH {
        return Err(problem(None, format!("has {} cells, not {CSV_WIDTH}", cells.len())));
    }
    let mut take = |i: usize| cells[i].take();
    let kind = take(0).unwrap_or_default();
    match kind.as_str() {
        "header" | "end" => {
            let json =
                take(DETAILS).ok_or_else(|| problem(None, format!("a {kind} row without its JSON in `details`")))?;
            if (1..CSV_WIDTH).any(|i| take(i).is_some()) {
                return Err(problem(None, format!("a {kind} row has cells other than `kind` and `details`")));
            }
            if kind == "header" {
                let h: Header =
                    serde_json::from_str(&json).map_err(|_| problem(None, "a malformed header row".into()))?;
                Ok(Record::Header(Box::new(h)))
            } else {
                let e: End = serde_json::from_str(&json).map_err(|_| problem(None, "a malformed end row".into()))?;
                Ok(Record::End(e))
            }
        }
        "entry" | "checkpoint" => {
            let chain_seq: Option<i64> = take(1).and_then(|s| s.parse().ok());
            let bad = |field: &str| problem(chain_seq, format!("`{field}` is not valid"));
            let chain_seq = chain_seq.ok_or_else(|| bad("chain_seq"))?;
            let seq = take(2).and_then(|s| s.parse::<i64>().ok()).ok_or_else(|| bad("seq"))?;
            let id = take(3).and_then(|s| s.parse::<uuid::Uuid>().ok()).ok_or_else(|| bad("id"))?;
            let mut opt_uuid = |i: usize, field: &str| match take(i) {
                None => Ok(None),
                Some(s) => s.parse::<uuid::Uuid>().map(Some).map_err(|_| bad(field)),
            };
            let tenant_id = opt_uuid(4, "tenant_id")?;
            let actor_user_id = opt_uuid(5, "actor_user_id")?;
            let line = Line {
                chain_seq,
                seq,
                id,
                tenant_id,
                actor_user_id,
                actor_label: take(6).unwrap_or_default(),
                action: take(7).unwrap_or_default(),
                target_type: take(8),
                target_id: take(9),
                outcome: take(10).unwrap_or_default(),
                ip: take(11),
                request_id: take(12),
                details: take(13).unwrap_or_default(),
                created_at: take(14).unwrap_or_default(),
                prev_hash: take(15).unwrap_or_default(),
                hash: take(16).unwrap_or_default(),
            };
            if (kind == "checkpoint") != (line.action == action::AUDIT_PURGED) {
                return Err(problem(Some(chain_seq), format!("the row kind `{kind}` does not match its action")));
            }
            Ok(Record::Entry(Box::new(line)))
        }
        other => Err(problem(None, format!("unknown row kind `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_round_trip_through_the_formula_guard() {
        for value in [
            "plain",
            "=SUM(A1)",
            "+1",
            "-2",
            "@x",
            "\tx",
            "\rx",
            "'quoted",
            "''",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "",
        ] {
            let row = format!("{},{}\n", csv_cell(value), csv_cell("x"));
            let mut rows = CsvRows { bytes: row.as_bytes().bytes(), row: 0, done: false };
            assert_eq!(
                rows.next_row(),
                Some(Ok(vec![Some(value.to_string()), Some("x".to_string())])),
                "{value:?} as {row:?}"
            );
            assert!(rows.next_row().is_none());
        }
        assert_eq!(csv_cell("=1"), "'=1");
        assert_eq!(csv_cell("'a"), "''a");
        let mut rows = CsvRows { bytes: ",\"\",x\r\n".as_bytes().bytes(), row: 0, done: false };
        assert_eq!(rows.next_row(), Some(Ok(vec![None, Some(String::new()), Some("x".into())])));
    }
}

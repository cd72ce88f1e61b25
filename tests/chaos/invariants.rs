//! The promises every fault must leave standing, checked on the database and through the API
//! once the fault is over (the server restarted, the network healed):
//! - nothing is left `queued` or `streaming`;
//! - an answer's usage is recorded at most once, and exactly once when it `completed`;
//! - every answer's text is a clean prefix of what the provider sent (no torn or doubled text);
//! - the audit chain verifies (`confab audit verify`).

use confab_tests::{Api, TestApp};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;

/// Rows of a query as (column values as strings).
pub async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<Option<String>>> {
    let backend = db.get_database_backend();
    let res = db.query_all_raw(Statement::from_string(backend, sql.to_string())).await.unwrap();
    res.iter()
        .map(|row| {
            let n = row.column_names().len();
            (0..n)
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .flatten()
                        .or_else(|| row.try_get_by_index::<Option<i64>>(i).ok().flatten().map(|v| v.to_string()))
                        .or_else(|| row.try_get_by_index::<Option<uuid::Uuid>>(i).ok().flatten().map(|v| v.to_string()))
                })
                .collect()
        })
        .collect()
}

pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    rows(db, sql).await[0][0].as_deref().unwrap_or("0").parse().unwrap()
}

/// Rows of a query with one bound uuid (written `$1`).
pub async fn rows_for(db: &DatabaseConnection, sql: &str, id: &str) -> Vec<Vec<Option<String>>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => sql.to_string(),
        _ => sql.replace("$1", "?"),
    };
    let id = uuid::Uuid::parse_str(id).unwrap();
    let stmt = Statement::from_sql_and_values(backend, sql, [id.into()]);
    let res = db.query_all_raw(stmt).await.unwrap();
    res.iter()
        .map(|row| {
            (0..row.column_names().len())
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .flatten()
                        .or_else(|| row.try_get_by_index::<Option<i64>>(i).ok().flatten().map(|v| v.to_string()))
                })
                .collect()
        })
        .collect()
}

/// An assistant message as stored: (status, content, error code, usage events).
pub struct Stored {
    pub status: String,
    pub content: String,
    pub error_code: Option<String>,
    pub usage_events: i64,
}

pub async fn stored(db: &DatabaseConnection, id: &str) -> Stored {
    let r = rows_for(db, "SELECT status, content, error_code FROM messages WHERE id = $1", id).await;
    assert_eq!(r.len(), 1, "message {id} is not in the database");
    let usage = rows_for(db, "SELECT COUNT(*) FROM usage_events WHERE message_id = $1", id).await;
    Stored {
        status: r[0][0].clone().unwrap(),
        content: r[0][1].clone().unwrap_or_default(),
        error_code: r[0][2].clone(),
        usage_events: usage[0][0].as_deref().unwrap().parse().unwrap(),
    }
}

/// The invariants over the whole database, then `confab audit verify`.
pub async fn hold(app: &TestApp) {
    let db = app.db.connect().await;
    let unfinished = count(&db, "SELECT COUNT(*) FROM messages WHERE status IN ('queued', 'streaming')").await;
    assert_eq!(unfinished, 0, "messages left queued or streaming");
    let doubled = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT message_id FROM usage_events GROUP BY message_id HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(doubled, 0, "an answer's usage recorded twice");
    let completed_without_usage = count(
        &db,
        "SELECT COUNT(*) FROM messages m WHERE m.role = 'assistant' AND m.status = 'completed' \
         AND NOT EXISTS (SELECT 1 FROM usage_events u WHERE u.message_id = m.id)",
    )
    .await;
    assert_eq!(completed_without_usage, 0, "a completed answer without its usage");
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "audit verify: {} {}", out.stdout, out.stderr);
    db.close().await.ok();
}

/// The scripted upstream's answer of `n` tokens (token `i` is `t{i} `).
pub fn answer(n: usize) -> String {
    (0..n).map(|i| format!("t{i} ")).collect()
}

/// Asserts `text` is whole tokens of the scripted answer, from the start.
pub fn assert_clean_prefix(text: &str, of: usize) {
    assert!(answer(of).starts_with(text), "not a clean prefix of the answer: {text:?}");
    assert!(text.is_empty() || text.ends_with(' '), "a torn token: {text:?}");
}

/// Reattaching to an answer after the fault: from `Last-Event-ID` (the offset the client had),
/// the stream either continues or ends cleanly with the final event, never with text that
/// contradicts what the client already has.
pub async fn reattach_ends_cleanly(api: &Api, message: &str, seen: &str) -> Value {
    let mut sse = api.attach(message, Some(&seen.len().to_string())).await;
    let events = sse.rest().await;
    let last = events.last().expect("the reattached stream ended without a final event");
    assert!(
        matches!(last.event.as_str(), "message.completed" | "message.failed" | "message.cancelled"),
        "{:?}",
        last.event
    );
    let final_content = last.data["message"]["content"].as_str().unwrap_or_default().to_string();
    let delta = confab_tests::deltas(&events);
    if final_content.len() >= seen.len() {
        assert!(final_content.starts_with(seen), "the stored answer contradicts what the client saw");
        assert_eq!(format!("{seen}{delta}"), final_content, "the reattached deltas are exactly the rest");
    } else {
        // The client saw text that was never flushed: it gets no more deltas, and the end.
        assert!(seen.starts_with(&final_content));
        assert_eq!(delta, "");
    }
    last.data.clone()
}

//! The crash sweep with two replicas on Redis (and PostgreSQL): replica A dies at a crash point in
//! a turn's life and is not restarted; the client's retry (same `Idempotency-Key`) and its reader
//! go to replica B, as a load balancer would send them. B must settle whatever A left unfinished
//! once A's lease lapses, and B's reader must see exactly the stored text and the end.

use crate::invariants::{self, answer, assert_clean_prefix, stored};
use confab_tests::redis::RedisServer;
use confab_tests::reliability::{Check, record_variant};
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const TOKENS: usize = 40;

static REPLICA_SWEEP: Check = Check {
    id: "1.13",
    fault: "crash sweep with two replicas on Redis: the replica running a turn dies at each crash point and stays down",
    expected: "the retry on the other replica returns the turn (or makes it, when nothing committed); that replica settles what was left (`failed`/`partial` `interrupted`, or `completed` once its final write committed); its reader gets exactly the stored text and the end; invariants hold",
    how: "two replicas, crash points `turn.before_commit`, `turn.after_commit`, `turn.before_provider`, `turn.flushed:2`, `turn.final_write`, `turn.final_committed` on A; retry, reader and checks on B",
};

fn turn_body() -> Value {
    json!({ "content": format!("[upstream tokens={TOKENS} delay_ms=20] tell me"), "model": "gpt-4o" })
}

/// What B's reader and database say once A died at `point`: (final event, reader's text,
/// assistant id, B's app, upstream calls).
async fn replica_dies_at(point: &str) -> (SseEvent, String, String, TestApp, TestDb, usize, RedisServer) {
    let upstream = ScriptedUpstream::start().await;
    let redis = RedisServer::start();
    let opts = Options::default()
        .upstream(&upstream)
        .env("CONFAB_REDIS__URL", &redis.url())
        .env("CONFAB_REDIS__ORPHAN_AFTER_SECS", "1")
        .env("CONFAB_CRASHPOINT", point);
    let mut a = TestApp::spawn_with(Backend::Postgres, opts).await;
    let b = a.replica(&[("CONFAB_CRASHPOINT", "none")]);
    let on_a = a.admin().await;
    let on_b = on_a.on(&b);
    let conv = on_a.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let sent = on_a
        .request(Method::POST, &path)
        .header("Idempotency-Key", "k")
        .json(&turn_body())
        .timeout(Duration::from_secs(20))
        .send()
        .await;
    let acknowledged = match sent {
        Ok(resp) if resp.status() == StatusCode::ACCEPTED => Some(resp.json::<Value>().await.unwrap()),
        Ok(resp) => panic!("{}: {}", resp.status(), resp.text().await.unwrap_or_default()),
        Err(_) => None,
    };
    // A dies at its crash point (a blocking wait: this test runs on several threads).
    tokio::task::block_in_place(|| a.wait_exit(Duration::from_secs(30)));
    let name = point.split(':').next().unwrap();
    assert!(a.server_log().contains(&format!("crashpoint {name} reached")), "A did not reach {point}");
    // The client retries on B with the same key: the same turn, or the turn made now.
    let (s, retried) = on_b.post_idem(&path, "k", turn_body()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{retried}");
    let id = retried["assistant_message"]["id"].as_str().unwrap().to_string();
    if let Some(first) = &acknowledged {
        assert_eq!(first["assistant_message"]["id"], retried["assistant_message"]["id"], "the same turn");
    }
    // B's reader, from the start: it ends once B settles the answer (A's lease lapses in 15 s).
    let mut sse = on_b.attach(&id, None).await;
    let events = tokio::time::timeout(Duration::from_secs(60), sse.rest()).await.expect("B's reader got the end");
    let end = events.last().expect("an end event").clone();
    let text = deltas(&events);
    let (db, _) = a.kill();
    (end, text, id, b, db, upstream.calls(), redis)
}

async fn check(point: &str, status: &str, error: Option<&str>, whole: bool, calls: usize) {
    let _r = record_variant(&REPLICA_SWEEP, "PostgreSQL, Redis");
    let (end, text, id, b, a_db, upstream_calls, _redis) = replica_dies_at(point).await;
    let db = b.db.connect().await;
    let s = stored(&db, &id).await;
    assert_eq!((s.status.as_str(), s.error_code.as_deref()), (status, error), "{point}: {:?}", end.data);
    let expected_event = match status {
        "completed" => "message.completed",
        _ => "message.failed",
    };
    assert_eq!(end.event, expected_event, "{point}");
    assert_eq!(end.data["message"]["status"], status);
    assert_eq!(text, s.content, "{point}: B's reader saw exactly the stored text, no gap or duplicate");
    assert_eq!(end.data["message"]["content"].as_str().unwrap_or_default(), s.content);
    assert_clean_prefix(&s.content, TOKENS);
    if whole {
        assert_eq!(s.content, answer(TOKENS), "{point}");
    }
    assert_eq!(
        s.usage_events,
        i64::from(status == "completed"),
        "{point}: usage once for a completed answer, else none"
    );
    assert_eq!(upstream_calls, calls, "{point}: provider calls");
    invariants::hold(&b).await;
    db.close().await.ok();
    drop(b);
    let _ = std::fs::remove_dir_all(&a_db.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_dies_before_the_turn_commits_and_the_retry_makes_it_on_the_other() {
    check("turn.before_commit", "completed", None, true, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_dies_after_the_turn_commits_and_the_other_fails_the_answer() {
    check("turn.after_commit", "failed", Some("interrupted"), false, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_dies_before_the_provider_and_the_other_fails_the_answer() {
    check("turn.before_provider", "failed", Some("interrupted"), false, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_dies_mid_answer_and_the_other_keeps_every_streamed_token() {
    check("turn.flushed:2", "partial", Some("interrupted"), false, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_dies_during_the_final_write_and_the_other_keeps_the_text_as_partial() {
    check("turn.final_write", "partial", Some("interrupted"), false, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_dies_after_the_final_write_and_the_other_serves_the_completed_answer() {
    check("turn.final_committed", "completed", None, true, 1).await;
}

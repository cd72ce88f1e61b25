//! The crash sweep: the server dies (abort at a crash point, or `kill -9` from outside) at points
//! spread through a turn's life, restarts on the same database, and the invariants hold: what
//! was acknowledged is there, each answer is `completed` or `partial`/`failed` with exactly the
//! text that was flushed, nothing is left `streaming`, usage is recorded at most once (once for a
//! completed answer), the audit chain verifies, a retry with the same `Idempotency-Key` returns
//! the same turn (or makes it, when nothing was committed), and a reattach with `Last-Event-ID`
//! ends cleanly.

use crate::invariants::{self, answer, assert_clean_prefix, stored};
use confab_tests::reliability::{Check, record};
use confab_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Tokens in the answers of the sweep (the scripted upstream sends 20 ms apart).
const TOKENS: usize = 40;

fn turn_body() -> Value {
    json!({ "content": format!("[upstream tokens={TOKENS} delay_ms=20] tell me"), "model": "gpt-4o" })
}

async fn server(b: Backend, upstream: &ScriptedUpstream, crashpoint: Option<&str>) -> TestApp {
    let mut opts = Options::default().upstream(upstream);
    if let Some(point) = crashpoint {
        opts = opts.env("CONFAB_CRASHPOINT", point);
    }
    TestApp::spawn_with(b, opts).await
}

/// Waits for the server to die at its crash point, then starts it again (unarmed) on its database.
fn restart_after_crash(mut app: TestApp, point: &str) -> TestApp {
    app.wait_exit(Duration::from_secs(30));
    let name = point.split(':').next().unwrap();
    assert!(
        app.server_log().contains(&format!("crashpoint {name} reached")),
        "the server did not reach {point}: {}",
        app.server_log()
    );
    restart(app)
}

/// `kill -9`, then a fresh start on the same database without the crash point.
fn restart(app: TestApp) -> TestApp {
    let (db, mut opts) = app.kill();
    opts.env.retain(|(k, _)| k != "CONFAB_CRASHPOINT");
    TestApp::start(db, opts)
}

/// What the client of a streamed send saw before the server died.
struct Seen {
    /// The `POST` got its response headers (the turn was committed and acknowledged).
    acknowledged: bool,
    assistant: Option<String>,
    text: String,
}

/// Sends a streamed turn and reads it until the stream ends (the server died) or finishes.
async fn send_and_read(api: &Api, conv: &str, key: &str) -> Seen {
    let resp = api
        .request(reqwest::Method::POST, &format!("/v1/conversations/{conv}/messages"))
        .header("Idempotency-Key", key)
        .header("Accept", "text/event-stream")
        .json(&turn_body())
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    let mut seen = Seen { acknowledged: false, assistant: None, text: String::new() };
    let Ok(resp) = resp else { return seen };
    assert_eq!(resp.status(), StatusCode::OK, "an answered send is a stream");
    seen.acknowledged = true;
    let mut sse = SseReader::new(resp);
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_secs(30), sse.next()).await {
        match e.event.as_str() {
            "message.created" => seen.assistant = e.data["assistant_message_id"].as_str().map(str::to_string),
            "message.delta" => seen.text.push_str(e.data["content"].as_str().unwrap()),
            _ => break,
        }
    }
    seen
}

/// After the restart, the client retries with the same key: the same turn comes back (or, when
/// nothing was committed, the turn is made now). Returns the assistant message id.
async fn retry_same_key(api: &Api, conv: &str, key: &str, seen: &Seen) -> (bool, String) {
    let (s, turn) = api.post_idem(&format!("/v1/conversations/{conv}/messages"), key, turn_body()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{turn}");
    let id = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    if let Some(acked) = &seen.assistant {
        assert_eq!(&id, acked, "the retry returns the acknowledged turn");
        assert_eq!(turn["replayed"], true);
    }
    (turn["replayed"] == true, id)
}

/// Messages of a conversation in the tree view (every branch).
async fn messages_in(api: &Api, conv: &str) -> Vec<Value> {
    api.get_json(&format!("/v1/conversations/{conv}?view=tree")).await["messages"].as_array().unwrap().clone()
}

/// A crash at `point` during a streamed send; returns (the restarted server, client, conversation,
/// what the client saw, the retry's (replayed, assistant id)).
async fn crash_during_send(
    b: Backend,
    upstream: &ScriptedUpstream,
    point: &str,
) -> (TestApp, Api, String, Seen, (bool, String)) {
    let app = server(b, upstream, Some(point)).await;
    let api = app.admin().await;
    let conv = api.conversation().await;
    let seen = send_and_read(&api, &conv, "turn-1").await;
    let app = restart_after_crash(app, point);
    let api = app.admin().await;
    let retried = retry_same_key(&api, &conv, "turn-1", &seen).await;
    (app, api, conv, seen, retried)
}

static BEFORE_COMMIT: Check = Check {
    id: "1.01",
    fault: "crash: the turn's messages written, not committed",
    expected: "nothing kept, nothing acknowledged; a retry with the same key makes the turn once",
    how: "crash point `turn.before_commit`, restart, retry, invariants",
};

async fn a_crash_before_the_turn_commits_keeps_nothing_and_the_retry_makes_it(b: Backend) {
    let _r = record(&BEFORE_COMMIT, b);
    let upstream = ScriptedUpstream::start().await;
    let (app, api, conv, seen, (replayed, id)) = crash_during_send(b, &upstream, "turn.before_commit").await;
    assert!(!seen.acknowledged, "the client got no answer");
    assert!(!replayed, "nothing was committed: the retry is a new turn");
    let done = api.wait_final(&id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["content"], answer(TOKENS).as_str());
    assert_eq!(messages_in(&api, &conv).await.len(), 2, "one question, one answer: no half of the lost write");
    assert_eq!(upstream.calls(), 1);
    invariants::hold(&app).await;
}

static AFTER_COMMIT: Check = Check {
    id: "1.02",
    fault: "crash: the turn committed, before the answer starts",
    expected: "question kept; answer `failed` (`interrupted`), regenerate works; the same key replays the turn",
    how: "crash point `turn.after_commit`, restart, same-key retry, regenerate, invariants",
};

async fn a_crash_after_the_turn_commits_keeps_the_question_and_fails_the_answer(b: Backend) {
    let _r = record(&AFTER_COMMIT, b);
    let upstream = ScriptedUpstream::start().await;
    let (app, api, conv, _seen, (replayed, id)) = crash_during_send(b, &upstream, "turn.after_commit").await;
    assert!(replayed, "the committed turn is replayed");
    let db = app.db.connect().await;
    let s = stored(&db, &id).await;
    assert_eq!((s.status.as_str(), s.error_code.as_deref(), s.content.as_str()), ("failed", Some("interrupted"), ""));
    let msgs = messages_in(&api, &conv).await;
    assert_eq!(msgs.len(), 2);
    assert!(msgs.iter().any(|m| m["role"] == "user" && m["content"] == "[upstream tokens=40 delay_ms=20] tell me"));
    assert_eq!(upstream.calls(), 0);
    let (s, regen) = api.post_idem(&format!("/v1/messages/{id}/regenerate"), "regen-1", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{regen}");
    let done = api.wait_final(regen["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed");
    invariants::hold(&app).await;
}

static BEFORE_PROVIDER: Check = Check {
    id: "1.03",
    fault: "crash: answer started, before the provider's first byte",
    expected: "acknowledged turn kept; answer `failed` (`interrupted`), no usage; reattach ends cleanly",
    how: "crash point `turn.before_provider`, restart, same-key retry, `Last-Event-ID` reattach, invariants",
};

async fn a_crash_before_the_first_byte_fails_the_answer_cleanly(b: Backend) {
    let _r = record(&BEFORE_PROVIDER, b);
    let upstream = ScriptedUpstream::start().await;
    let (app, api, _conv, seen, (replayed, id)) = crash_during_send(b, &upstream, "turn.before_provider").await;
    assert!(replayed);
    let db = app.db.connect().await;
    let s = stored(&db, &id).await;
    assert_eq!((s.status.as_str(), s.error_code.as_deref()), ("failed", Some("interrupted")));
    assert_eq!((s.content.as_str(), s.usage_events), ("", 0));
    assert_eq!(seen.text, "");
    let end = invariants::reattach_ends_cleanly(&api, &id, &seen.text).await;
    assert_eq!(end["message"]["status"], "failed");
    invariants::hold(&app).await;
}

static PLUGIN_CALL: Check = Check {
    id: "1.09",
    fault: "crash: about to run the tenant's plugins (request transforms)",
    expected: "acknowledged turn kept; answer `failed` (`interrupted`), nothing sent to the provider, no usage; reattach ends cleanly; regenerate runs the plugin and completes",
    how: "a request-transform plugin enabled, crash point `turn.plugin_call`, restart, same-key retry, `Last-Event-ID` reattach, regenerate, invariants",
};

async fn a_crash_at_the_plugin_call_fails_the_answer_cleanly(b: Backend) {
    let _r = record(&PLUGIN_CALL, b);
    let upstream = ScriptedUpstream::start().await;
    let app = server(b, &upstream, Some("turn.plugin_call")).await;
    let api = app.admin().await;
    // A request transform that passes the request on unchanged.
    let component = confab_tests::plugin_fixtures::request_fixture("(i32.const 16)");
    let manifest = json!({ "name": "passer", "version": "0.0.1", "hooks": ["transform_request"],
                           "failure_policy": "fail_closed" });
    let (s, body) = api
        .send(
            reqwest::Method::POST,
            "/v1/plugins",
            Some(json!({ "manifest": manifest, "component_base64": component })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = api
        .send(reqwest::Method::PUT, "/v1/tenant/plugins/passer", Some(json!({ "version": "0.0.1", "enabled": true })))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let conv = api.conversation().await;
    let seen = send_and_read(&api, &conv, "turn-1").await;
    let app = restart_after_crash(app, "turn.plugin_call");
    let api = app.admin().await;
    let (replayed, id) = retry_same_key(&api, &conv, "turn-1", &seen).await;
    assert!(replayed, "the committed turn is replayed");
    let db = app.db.connect().await;
    let s = stored(&db, &id).await;
    assert_eq!((s.status.as_str(), s.error_code.as_deref()), ("failed", Some("interrupted")));
    assert_eq!((s.content.as_str(), s.usage_events), ("", 0));
    assert_eq!(upstream.calls(), 0, "nothing reached the provider");
    let end = invariants::reattach_ends_cleanly(&api, &id, &seen.text).await;
    assert_eq!(end["message"]["status"], "failed");
    // The plugin is still enabled after the restart and runs on the regenerated answer.
    let (s, regen) = api.post_idem(&format!("/v1/messages/{id}/regenerate"), "regen-1", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{regen}");
    let done = api.wait_final(regen["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["content"], answer(TOKENS).as_str());
    assert_eq!(done["plugins"][0]["plugin"], "passer", "{done}");
    assert_eq!(upstream.calls(), 1);
    invariants::hold(&app).await;
}

static MID_FLUSH: Check = Check {
    id: "1.04",
    fault: "crash: mid-answer, just after a flush of streamed text committed",
    expected: "answer `partial` (`interrupted`) with the flushed text, a clean prefix; reattach from the client's offset ends cleanly; continue finishes it",
    how: "crash point `turn.flushed:3` (the third flush), restart, reattach, continue, invariants",
};

async fn a_crash_mid_answer_keeps_the_flushed_text_as_partial(b: Backend) {
    let _r = record(&MID_FLUSH, b);
    let upstream = ScriptedUpstream::start().await;
    let (app, api, _conv, seen, (replayed, id)) = crash_during_send(b, &upstream, "turn.flushed:3").await;
    assert!(replayed);
    let db = app.db.connect().await;
    let s = stored(&db, &id).await;
    assert_eq!((s.status.as_str(), s.error_code.as_deref()), ("partial", Some("interrupted")));
    assert!(!s.content.is_empty());
    assert_clean_prefix(&s.content, TOKENS);
    assert!(s.content.len() < answer(TOKENS).len());
    assert_eq!(s.usage_events, 0);
    // The client may have seen more than was flushed (deltas go out before the flush); it sees
    // no contradiction.
    assert!(seen.text.starts_with(&s.content) || s.content.starts_with(&seen.text));
    invariants::reattach_ends_cleanly(&api, &id, &seen.text).await;
    let resp = api.stream(&format!("/v1/messages/{id}/continue"), "continue-1", json!(null)).await;
    assert_eq!(resp.status(), 200);
    let events = SseReader::new(resp).rest().await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    let content = last.data["message"]["content"].as_str().unwrap();
    assert!(content.starts_with(&s.content) && content.len() > s.content.len());
    invariants::hold(&app).await;
}

static FINAL_WRITE: Check = Check {
    id: "1.05",
    fault: "crash: during the final write (end of turn and usage, one transaction)",
    expected: "neither lands: answer `partial` with its flushed text, no usage event (never half a finish)",
    how: "crash point `turn.final_write`, restart, invariants",
};

async fn a_crash_during_the_final_write_lands_neither_half(b: Backend) {
    let _r = record(&FINAL_WRITE, b);
    let upstream = ScriptedUpstream::start().await;
    let (app, api, _conv, seen, (_, id)) = crash_during_send(b, &upstream, "turn.final_write").await;
    let db = app.db.connect().await;
    let s = stored(&db, &id).await;
    assert_eq!((s.status.as_str(), s.error_code.as_deref()), ("partial", Some("interrupted")));
    assert_clean_prefix(&s.content, TOKENS);
    assert_eq!(s.usage_events, 0, "no usage without its finished message");
    invariants::reattach_ends_cleanly(&api, &id, &seen.text).await;
    invariants::hold(&app).await;
}

static FINAL_COMMITTED: Check = Check {
    id: "1.06",
    fault: "crash: the final write committed, readers not yet told",
    expected: "answer `completed` with all its text, usage recorded exactly once; reattach gets the end",
    how: "crash point `turn.final_committed`, restart, reattach, invariants",
};

async fn a_crash_after_the_final_write_keeps_the_completed_answer(b: Backend) {
    let _r = record(&FINAL_COMMITTED, b);
    let upstream = ScriptedUpstream::start().await;
    let (app, api, _conv, seen, (_, id)) = crash_during_send(b, &upstream, "turn.final_committed").await;
    let db = app.db.connect().await;
    let s = stored(&db, &id).await;
    assert_eq!(s.status, "completed");
    assert_eq!(s.content, answer(TOKENS));
    assert_eq!(s.usage_events, 1);
    let end = invariants::reattach_ends_cleanly(&api, &id, &seen.text).await;
    assert_eq!(end["message"]["status"], "completed");
    invariants::hold(&app).await;
}

static TOKEN_OFFSETS: Check = Check {
    id: "1.07",
    fault: "kill -9 at token offsets spread through answers (K answers at once, each stopped at its own offset)",
    expected: "each answer `partial` with exactly its flushed text (every token up to its offset), no usage twice; reattach ends cleanly",
    how: "upstream stops each answer at offset k of 40 (`hang_after`), wait for the flush, `kill -9`, restart, compare byte for byte",
};

/// K answers at once, answer `i` stopping after its own offset; one `kill -9` when every one of
/// them has flushed all its text.
async fn kill_at_token_offsets_keeps_exactly_the_flushed_text(b: Backend) {
    let _r = record(&TOKEN_OFFSETS, b);
    let upstream = ScriptedUpstream::start().await;
    // The answers stay `streaming` at their offsets: a provider silent for a minute is not yet
    // timed out.
    let mut opts = Options::default().upstream(&upstream);
    opts.config_toml = opts.config_toml.map(|t| t.replace("idle_timeout_ms = 1000", "idle_timeout_ms = 60000"));
    let app = TestApp::spawn_with(b, opts).await;
    let api = app.admin().await;
    let k = if crate::long() { 20 } else { 6 };
    // Evenly spread over 1..TOKENS-1.
    let offsets: Vec<usize> = (0..k).map(|i| 1 + i * (TOKENS - 2) / (k - 1)).collect();
    let mut turns = Vec::new();
    for (i, n) in offsets.iter().enumerate() {
        let conv = api.conversation().await;
        let body = json!({
            "content": format!("[upstream tokens={TOKENS} hang_after={n}] offset {i}"),
            "model": "gpt-4o",
        });
        let (s, turn) = api.post_idem(&format!("/v1/conversations/{conv}/messages"), &format!("k{i}"), body).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        turns.push((turn["assistant_message"]["id"].as_str().unwrap().to_string(), *n));
    }
    // Every answer has flushed its text up to its offset (the store is what GET reads).
    for (id, n) in &turns {
        let mut flushed = String::new();
        for _ in 0..100 {
            flushed = api.get_json(&format!("/v1/messages/{id}")).await["content"].as_str().unwrap().to_string();
            if flushed == answer(*n) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(flushed, answer(*n), "answer stopped at {n} flushed");
    }
    let app = restart(app);
    let api = app.admin().await;
    let db = app.db.connect().await;
    for (id, n) in &turns {
        let s = stored(&db, id).await;
        assert_eq!((s.status.as_str(), s.error_code.as_deref()), ("partial", Some("interrupted")), "offset {n}");
        assert_eq!(s.content, answer(*n), "exactly the flushed text at offset {n}");
        assert!(s.usage_events <= 1);
        // A reader that had every flushed token gets no more text, and the end.
        let end = invariants::reattach_ends_cleanly(&api, id, &answer(*n)).await;
        assert_eq!(end["message"]["status"], "partial");
    }
    invariants::hold(&app).await;
}

static RANDOM_KILL: Check = Check {
    id: "1.08",
    fault: "kill -9 at a random moment while answers stream and new turns arrive",
    expected: "every acknowledged turn kept; text in the database at the kill = text after restart, a clean prefix; nothing `streaming`",
    how: "8 streamed turns in flight, `kill -9` after a random 0.2–1.5 s (printed seed), restart, invariants, reattach from each client's offset",
};

async fn kill_at_a_random_moment_loses_nothing_acknowledged(b: Backend) {
    let _r = record(&RANDOM_KILL, b);
    use rand::{Rng, SeedableRng};
    let seed: u64 = std::env::var("CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("random kill: CHAOS_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let upstream = ScriptedUpstream::start().await;
    let app = server(b, &upstream, None).await;
    let api = app.admin().await;
    let mut clients = Vec::new();
    for i in 0..8 {
        let conv = api.conversation().await;
        let api = api.clone();
        let started = Duration::from_millis(rng.gen_range(0..400));
        clients.push(tokio::spawn(async move {
            tokio::time::sleep(started).await;
            let seen = send_and_read(&api, &conv, &format!("r{i}")).await;
            (conv, format!("r{i}"), seen)
        }));
    }
    tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1500))).await;
    let (db, opts) = app.kill();
    let mut seen_by = Vec::new();
    for c in clients {
        seen_by.push(c.await.unwrap());
    }
    // The database as the dead process left it.
    let conn = db.connect().await;
    let mut at_kill = Vec::new();
    for (_, _, seen) in &seen_by {
        if let Some(id) = &seen.assistant {
            at_kill.push((id.clone(), stored(&conn, id).await.content));
        }
    }
    conn.close().await.ok();
    let app = TestApp::start(db, opts);
    let api = app.admin().await;
    let db = app.db.connect().await;
    for (id, before) in &at_kill {
        let s = stored(&db, id).await;
        assert_eq!(&s.content, before, "the restart keeps exactly the text the database had");
        assert_clean_prefix(&s.content, TOKENS);
        assert!(matches!(s.status.as_str(), "completed" | "partial" | "failed"), "{}", s.status);
    }
    for (conv, key, seen) in &seen_by {
        if seen.acknowledged {
            let (_, id) = retry_same_key(&api, conv, key, seen).await;
            invariants::reattach_ends_cleanly(&api, &id, &seen.text).await;
        }
    }
    invariants::hold(&app).await;
}

both_backends!(
    a_crash_before_the_turn_commits_keeps_nothing_and_the_retry_makes_it,
    a_crash_after_the_turn_commits_keeps_the_question_and_fails_the_answer,
    a_crash_before_the_first_byte_fails_the_answer_cleanly,
    a_crash_at_the_plugin_call_fails_the_answer_cleanly,
    a_crash_mid_answer_keeps_the_flushed_text_as_partial,
    a_crash_during_the_final_write_lands_neither_half,
    a_crash_after_the_final_write_keeps_the_completed_answer,
    kill_at_token_offsets_keeps_exactly_the_flushed_text,
    kill_at_a_random_moment_loses_nothing_acknowledged,
);

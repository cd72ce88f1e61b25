//! Durable streamed turns against the scripted upstream: event order, reattach, crashes,
//! upstream failures, cancel, idempotency, branches, context budgets and both wire formats.
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

fn expected_tokens(n: usize) -> String {
    (0..n).map(|i| format!("t{i} ")).collect()
}

fn last_user_text(body: &Value) -> String {
    let msgs = body["messages"].as_array().unwrap();
    msgs.iter().rev().find(|m| m["role"] == "user").unwrap()["content"].as_str().unwrap().to_string()
}

async fn a_streamed_turn_sends_created_deltas_and_completed_in_order(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let resp = admin
        .stream(&format!("/v1/conversations/{conv}/messages"), "k1", json!({ "content": "Hello", "model": "gpt-4o" }))
        .await;
    assert_eq!(resp.status(), 200);
    let mut sse = SseReader::new(resp);
    let events = sse.rest().await;
    assert_eq!(events[0].event, "message.created");
    assert_eq!(events[0].id.as_deref(), Some("0"));
    let assistant = events[0].data["assistant_message_id"].as_str().unwrap().to_string();
    assert!(events[0].data["user_message_id"].is_string());
    assert_eq!(events[0].data["conversation_id"], conv.as_str());
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed");
    assert_eq!(deltas(&events), expected_tokens(8));
    // Ids grow with the content: each delta's id is the length so far.
    let mut prev = 0u64;
    for e in events.iter().filter(|e| e.event == "message.delta") {
        let id: u64 = e.id.as_deref().unwrap().parse().unwrap();
        assert!(id > prev, "ids must increase");
        assert_eq!(id, e.data["offset"].as_u64().unwrap());
        prev = id;
    }
    let message = &last.data["message"];
    assert_eq!(message["id"], assistant.as_str());
    assert_eq!(message["status"], "completed");
    assert_eq!(message["content"], expected_tokens(8).as_str());
    assert_eq!(message["usage"]["output_tokens"], 8);
    assert_eq!(message["usage"]["input_tokens"], 1, "usage reported by the provider");
    assert_eq!(upstream.calls(), 1);
    let sent = &upstream.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-installation"));
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["model"], "gpt-4o");
    assert_eq!(sent.body["messages"], json!([{ "role": "user", "content": "Hello" }]));
    // The stored message matches, and the conversation was titled from the first message.
    let stored = admin.get_json(&format!("/v1/messages/{assistant}")).await;
    assert_eq!(stored["content"], expected_tokens(8).as_str());
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["conversation"]["title"], "Hello");
    assert_eq!(detail["messages"].as_array().unwrap().len(), 2);
}

async fn a_json_send_answers_at_once_and_the_stream_can_be_attached(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let (s, turn) = admin
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=5 delay_ms=20] hi", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, 202, "{turn}");
    assert_eq!(turn["replayed"], false);
    assert!(matches!(turn["assistant_message"]["status"].as_str(), Some("queued" | "streaming")));
    assert_eq!(turn["user_message"]["content"], "[upstream tokens=5 delay_ms=20] hi");
    let id = turn["assistant_message"]["id"].as_str().unwrap();
    let mut sse = admin.attach(id, None).await;
    let events = sse.rest().await;
    assert_eq!(events[0].event, "message.created");
    assert_eq!(deltas(&events), expected_tokens(5));
    assert_eq!(events.last().unwrap().event, "message.completed");
    // Attaching to a finished message replays it.
    let again = admin.attach(id, None).await.rest().await;
    assert_eq!(deltas(&again), expected_tokens(5));
    assert_eq!(upstream.calls(), 1);
}

async fn reattaching_mid_stream_gives_the_rest_with_no_gap_or_duplicate(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let resp = admin
        .stream(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=30 delay_ms=40] go", "model": "gpt-4o" }),
        )
        .await;
    let mut sse = SseReader::new(resp);
    let created = sse.next().await.unwrap();
    let id = created.data["assistant_message_id"].as_str().unwrap().to_string();
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.push(sse.next().await.unwrap());
    }
    drop(sse); // the network drops
    let last_id = seen.last().unwrap().id.clone().unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let rest = admin.attach(&id, Some(&last_id)).await.rest().await;
    assert!(rest.iter().all(|e| e.event != "message.created"), "a resumed stream does not start over");
    let text = deltas(&seen) + deltas(&rest).as_str();
    assert_eq!(text, expected_tokens(30));
    assert_eq!(rest.last().unwrap().event, "message.completed");
    // Resuming a finished message from the middle works from the store too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tail = admin.attach(&id, Some(&last_id)).await.rest().await;
    assert_eq!(deltas(&seen) + deltas(&tail).as_str(), expected_tokens(30));
    assert_eq!(upstream.calls(), 1, "reattaching never calls the provider again");
    let resp = admin
        .request(Method::GET, &format!("/v1/messages/{id}/events"))
        .header("Last-Event-ID", "not-a-number")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
}

async fn heartbeats_keep_a_silent_stream_open(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    // The upstream is silent for 2.5 s before each token; heartbeats go out every second.
    let resp = admin
        .stream(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=1 delay_ms=2500] slow", "model": "azure-gpt" }),
        )
        .await;
    let mut sse = SseReader::new(resp);
    let events = sse.rest().await;
    assert!(events.iter().all(|e| e.event.starts_with("message.")), "heartbeats are comments, not events");
    assert_eq!(events.last().unwrap().event, "message.completed");
    assert!(sse.heartbeats >= 2, "heartbeats while the upstream was silent: {}", sse.heartbeats);
    assert_eq!(upstream.calls(), 1);
}

async fn closing_the_connection_does_not_stop_the_answer(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let resp = admin
        .stream(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=12 delay_ms=30] go", "model": "gpt-4o" }),
        )
        .await;
    let mut sse = SseReader::new(resp);
    let id = sse.next().await.unwrap().data["assistant_message_id"].as_str().unwrap().to_string();
    drop(sse);
    let done = admin.wait_final(&id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["content"], expected_tokens(12).as_str());
    assert_eq!(upstream.calls(), 1);
}

async fn a_killed_server_leaves_a_partial_answer_that_can_be_continued(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    let conv = admin.conversation().await;
    let (s, turn) = admin
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=200 delay_ms=20] long", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, 202);
    let id = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    // Wait until some of the answer has been flushed to the store.
    let mut flushed = String::new();
    for _ in 0..100 {
        let m = admin.get_json(&format!("/v1/messages/{id}")).await;
        flushed = m["content"].as_str().unwrap().to_string();
        if flushed.len() > 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(flushed.len() > 40, "nothing was flushed");
    let (db, opts) = app.kill();
    let app = TestApp::start(db, opts);
    let admin = app.admin().await;
    let m = admin.get_json(&format!("/v1/messages/{id}")).await;
    assert_eq!(m["status"], "partial", "{m}");
    assert_eq!(m["error"]["code"], "interrupted");
    let kept = m["content"].as_str().unwrap().to_string();
    assert!(kept.len() >= flushed.len(), "every flushed delta survives");
    assert!(expected_tokens(200).starts_with(&kept), "the kept text is a clean prefix");
    let tree = admin.get_json(&format!("/v1/conversations/{conv}?view=tree")).await;
    assert!(tree["messages"].as_array().unwrap().iter().all(|m| m["status"] != "streaming" && m["status"] != "queued"));

    // Continue it: the same message grows; the provider gets the partial text to go on from.
    let calls_before = upstream.calls();
    let resp = admin.stream(&format!("/v1/messages/{id}/continue"), "k2", json!(null)).await;
    assert_eq!(resp.status(), 200);
    let events = SseReader::new(resp).rest().await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    let content = last.data["message"]["content"].as_str().unwrap();
    assert!(content.starts_with(&kept) && content.len() > kept.len());
    assert_eq!(upstream.calls(), calls_before + 1);
    let sent = upstream.requests().last().unwrap().body.clone();
    let msgs = sent["messages"].as_array().unwrap();
    assert!(msgs.iter().any(|m| m["role"] == "assistant" && m["content"] == kept.as_str()), "{sent}");
    // Continuing a completed answer is refused.
    let (s, body) = admin.post_idem(&format!("/v1/messages/{id}/continue"), "k3", json!(null)).await;
    assert_eq!(error_code(s, &body, 409), "conflict");
}

async fn upstream_failures_end_turns_with_clear_states(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let run = |key: &'static str, content: &'static str| {
        let admin = admin.clone();
        let path = path.clone();
        async move {
            let resp = admin.stream(&path, key, json!({ "content": content, "model": "gpt-4o" })).await;
            assert_eq!(resp.status(), 200);
            let events = SseReader::new(resp).rest().await;
            let last = events.last().unwrap().clone();
            (deltas(&events), last)
        }
    };
    // The connection drops after three tokens: partial, with the three tokens.
    let (text, last) = run("drop", "[upstream drop_after=3 tokens=8] a").await;
    assert_eq!(last.event, "message.failed");
    assert_eq!(last.data["message"]["status"], "partial");
    assert_eq!(last.data["message"]["content"], "t0 t1 t2 ");
    assert_eq!(text, "t0 t1 t2 ");
    assert_eq!(last.data["message"]["error"]["code"], "upstream_stream_broken");
    // An error before the first token: failed, nothing written.
    let (_, last) = run("500", "[upstream status=500] b").await;
    assert_eq!(last.data["message"]["status"], "failed");
    assert_eq!(last.data["message"]["content"], "");
    assert_eq!(last.data["message"]["error"]["code"], "upstream_error");
    // Rate limited upstream: the Retry-After is passed on.
    let (_, last) = run("429", "[upstream status=429 retry_after=7] c").await;
    assert_eq!(last.data["message"]["error"]["code"], "upstream_rate_limited");
    assert_eq!(last.data["message"]["error"]["retry_after_secs"], 7);
    // Silence between tokens: the idle timeout ends it, keeping what arrived.
    let (_, last) = run("hang", "[upstream hang_after=2] d").await;
    assert_eq!(last.data["message"]["status"], "partial");
    assert_eq!(last.data["message"]["content"], "t0 t1 ");
    assert_eq!(last.data["message"]["error"]["code"], "upstream_timeout");
    // No headers at all: the first-byte timeout.
    let (_, last) = run("nohead", "[upstream hang_before_headers=1] e").await;
    assert_eq!(last.data["message"]["status"], "failed");
    assert_eq!(last.data["message"]["error"]["code"], "upstream_timeout");
    // Transient 503s before the first byte are retried, and the answer completes.
    let before = upstream.calls();
    let (text, last) = run("retry", "[upstream fail_first=2] f").await;
    assert_eq!(last.event, "message.completed");
    assert_eq!(text, expected_tokens(8));
    assert_eq!(upstream.calls(), before + 3);
    // A malformed chunk is skipped; the rest of the answer arrives.
    let (text, last) = run("malformed", "[upstream malformed_at=2 tokens=5] g").await;
    assert_eq!(last.event, "message.completed");
    assert_eq!(text, "t0 t1 t3 t4 ");
    // Operators see the outcomes.
    let metrics = admin.get("/metrics").await.text().await.unwrap();
    for line in [
        "confab_chat_turns_total{outcome=\"partial\"} 2",
        "confab_chat_turns_total{outcome=\"failed\"} 3",
        "confab_chat_turns_total{outcome=\"completed\"} 2",
        "confab_provider_errors_total{code=\"upstream_timeout\"} 2",
        "confab_chat_open_streams 0",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
    assert!(metrics.contains("confab_chat_time_to_first_token_seconds_count 4"), "{metrics}");
}

async fn cancel_stops_the_answer_and_keeps_the_text(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let resp = admin
        .stream(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=200 delay_ms=20] go", "model": "gpt-4o" }),
        )
        .await;
    let mut sse = SseReader::new(resp);
    let id = sse.next().await.unwrap().data["assistant_message_id"].as_str().unwrap().to_string();
    for _ in 0..3 {
        sse.next().await.unwrap();
    }
    let (s, cancelled) = admin.send(Method::POST, &format!("/v1/messages/{id}/cancel"), None).await;
    assert_eq!(s, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let kept = cancelled["content"].as_str().unwrap().to_string();
    assert!(!kept.is_empty() && expected_tokens(200).starts_with(&kept));
    let rest = sse.rest().await;
    let last = rest.last().unwrap();
    assert_eq!(last.event, "message.cancelled");
    assert_eq!(last.data["message"]["content"], kept.as_str());
    let stored = admin.get_json(&format!("/v1/messages/{id}")).await;
    assert_eq!(stored["status"], "cancelled");
    assert_eq!(stored["content"], kept.as_str());
    // Cancelling again is harmless.
    let (s, again) = admin.send(Method::POST, &format!("/v1/messages/{id}/cancel"), None).await;
    assert_eq!(s, 200);
    assert_eq!(again["status"], "cancelled");
    assert_eq!(upstream.calls(), 1);
}

async fn idempotent_sends_never_duplicate_work(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let body = json!({ "content": "[upstream tokens=4 delay_ms=30] once", "model": "gpt-4o" });
    let (s, first) = admin.post_idem(&path, "same-key", body.clone()).await;
    assert_eq!(s, 202);
    // A retry (say, after a network error) returns the same messages and attaches to the same stream.
    let resp = admin.stream(&path, "same-key", body.clone()).await;
    let events = SseReader::new(resp).rest().await;
    assert_eq!(events[0].data["assistant_message_id"], first["assistant_message"]["id"]);
    assert_eq!(events[0].data["user_message_id"], first["user_message"]["id"]);
    assert_eq!(deltas(&events), expected_tokens(4));
    let (s, again) = admin.post_idem(&path, "same-key", body.clone()).await;
    assert_eq!(s, 202);
    assert_eq!(again["replayed"], true);
    assert_eq!(again["assistant_message"]["id"], first["assistant_message"]["id"]);
    assert_eq!(upstream.calls(), 1);
    // The same key with a different body is refused.
    let (s, err) = admin.post_idem(&path, "same-key", json!({ "content": "something else", "model": "gpt-4o" })).await;
    assert_eq!(error_code(s, &err, 422), "idempotency_key_reused");
    // Concurrent duplicates: one turn, one upstream call.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let admin = admin.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            admin
                .post_idem(&path, "race-key", json!({ "content": "[upstream tokens=3] race", "model": "gpt-4o" }))
                .await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (s, turn) = t.await.unwrap();
        assert_eq!(s, 202, "{turn}");
        ids.push(turn["assistant_message"]["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every duplicate got the same turn");
    admin.wait_final(&ids[0]).await;
    assert_eq!(upstream.calls(), 2);
    let tree = admin.get_json(&format!("/v1/conversations/{conv}?view=tree")).await;
    assert_eq!(tree["messages"].as_array().unwrap().len(), 4, "two turns, no duplicates");
    // The key is required, and scoped per user.
    let (s, err) = admin.send(Method::POST, &path, Some(body.clone())).await;
    assert_eq!(error_code(s, &err, 422), "validation_failed");
    assert_eq!(err["error"]["field"], "Idempotency-Key");

    // Past its keeping period a key is free again: the expired claim is taken over by a new turn,
    // which the key then replays.
    use sea_orm::ConnectionTrait;
    let db = app.db.connect().await;
    let bk = db.get_database_backend();
    let sql = match bk {
        sea_orm::DbBackend::Postgres => "UPDATE idempotency_keys SET expires_at = $1 WHERE \"key\" = $2",
        _ => "UPDATE idempotency_keys SET expires_at = ? WHERE \"key\" = ?",
    };
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let aged = db
        .execute_raw(sea_orm::Statement::from_sql_and_values(bk, sql, vec![past.into(), "same-key".into()]))
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(aged, 1);
    let other = json!({ "content": "[upstream tokens=2] a new question", "model": "gpt-4o" });
    let (s, fresh) = admin.post_idem(&path, "same-key", other.clone()).await;
    assert_eq!(s, 202, "{fresh}");
    assert_ne!(fresh["replayed"], true, "{fresh}");
    assert_ne!(fresh["assistant_message"]["id"], first["assistant_message"]["id"]);
    admin.wait_final(fresh["assistant_message"]["id"].as_str().unwrap()).await;
    let (s, again) = admin.post_idem(&path, "same-key", other).await;
    assert_eq!(s, 202, "{again}");
    assert_eq!(again["replayed"], true, "{again}");
    assert_eq!(again["assistant_message"]["id"], fresh["assistant_message"]["id"]);
    assert_eq!(upstream.calls(), 3);
}

async fn edits_and_regenerations_are_branches(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let (_, t1) = admin.post_idem(&path, "a", json!({ "content": "first question", "model": "gpt-4o" })).await;
    let a1 = t1["assistant_message"]["id"].as_str().unwrap().to_string();
    admin.wait_final(&a1).await;
    let (_, t2) = admin.post_idem(&path, "b", json!({ "content": "second question", "model": "gpt-4o" })).await;
    let u2 = t2["user_message"]["id"].as_str().unwrap().to_string();
    let a2 = t2["assistant_message"]["id"].as_str().unwrap().to_string();
    admin.wait_final(&a2).await;
    assert_eq!(t2["user_message"]["parent_id"], a1.as_str(), "sends continue the active branch");

    // Edit the second question: a sibling user message with its own answer.
    let (s, edited) = admin
        .post_idem(&format!("/v1/messages/{u2}/edit"), "c", json!({ "content": "second question, rephrased" }))
        .await;
    assert_eq!(s, 202, "{edited}");
    let u2b = edited["user_message"]["id"].as_str().unwrap().to_string();
    let a2b = edited["assistant_message"]["id"].as_str().unwrap().to_string();
    assert_eq!(edited["user_message"]["parent_id"], a1.as_str());
    admin.wait_final(&a2b).await;
    let sent = upstream.requests().last().unwrap().body.clone();
    assert_eq!(last_user_text(&sent), "second question, rephrased");
    let msgs: Vec<String> =
        sent["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().to_string()).collect();
    assert!(!msgs.contains(&"second question".to_string()), "the other branch is not sent: {msgs:?}");

    // Regenerate the edited answer: an assistant sibling.
    let (s, regen) = admin.post_idem(&format!("/v1/messages/{a2b}/regenerate"), "d", json!({})).await;
    assert_eq!(s, 202);
    let a2c = regen["assistant_message"]["id"].as_str().unwrap().to_string();
    assert_eq!(regen["assistant_message"]["parent_id"], u2b.as_str());
    assert_eq!(regen["user_message"], Value::Null);
    admin.wait_final(&a2c).await;

    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    let branch: Vec<&Value> = detail["messages"].as_array().unwrap().iter().collect();
    let ids: Vec<&str> = branch.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[2], u2b.as_str());
    assert_eq!(ids[3], a2c.as_str());
    assert_eq!(branch[2]["sibling_ids"].as_array().unwrap().len(), 2, "‹ 2 / 2 › on the edited question");
    assert_eq!(branch[3]["sibling_ids"].as_array().unwrap().len(), 2, "‹ 2 / 2 › on the regenerated answer");

    // Switch back to the original branch; the next send continues it.
    let (s, switched) = admin
        .send(Method::PUT, &format!("/v1/conversations/{conv}/active-branch"), Some(json!({ "message_id": a2 })))
        .await;
    assert_eq!(s, 200, "{switched}");
    let ids: Vec<&str> = switched["messages"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![ids[0], a1.as_str(), u2.as_str(), a2.as_str()]);
    let (_, t3) = admin.post_idem(&path, "e", json!({ "content": "third question", "model": "gpt-4o" })).await;
    assert_eq!(t3["user_message"]["parent_id"], a2.as_str());
    admin.wait_final(t3["assistant_message"]["id"].as_str().unwrap()).await;
    let sent = upstream.requests().last().unwrap().body.clone();
    let msgs: Vec<&str> = sent["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert!(msgs.contains(&"second question") && !msgs.contains(&"second question, rephrased"), "{msgs:?}");
    let tree = admin.get_json(&format!("/v1/conversations/{conv}?view=tree")).await;
    assert_eq!(tree["messages"].as_array().unwrap().len(), 9, "three exchanges, an edit (two) and a regeneration");
}

async fn a_long_history_sends_the_newest_turns_that_fit(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor";
    let mut last = Value::Null;
    for i in 0..8 {
        let (s, turn) = admin
            .post_idem(&path, &format!("k{i}"), json!({ "content": format!("{i}: {words}"), "model": "tiny" }))
            .await;
        assert_eq!(s, 202, "{turn}");
        last = admin.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await;
    }
    let context = &last["context"];
    let sent: Vec<&str> = context["sent_message_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let dropped = context["dropped_message_ids"].as_array().unwrap();
    assert!(!dropped.is_empty(), "older turns are dropped: {context}");
    assert!(
        context["prompt_tokens"].as_i64().unwrap() <= 150,
        "within the 200-token window less 50 reserved: {context}"
    );
    let request = upstream.requests().last().unwrap().body.clone();
    let msgs = request["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), sent.len(), "exactly the recorded messages were sent");
    assert_eq!(last_user_text(&request), format!("7: {words}"), "the newest turn is always sent");
    assert!(!msgs.iter().any(|m| m["content"].as_str().unwrap().starts_with("0: ")), "the oldest is dropped");
    assert_eq!(request["max_tokens"], 50);
}

async fn the_anthropic_and_azure_adapters_speak_their_protocols(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let resp =
        admin.stream(&path, "k1", json!({ "content": "[upstream tokens=6] hello claude", "model": "claude" })).await;
    let events = SseReader::new(resp).rest().await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    assert_eq!(deltas(&events), expected_tokens(6));
    assert_eq!(last.data["message"]["usage"]["output_tokens"], 6);
    let req = upstream.requests().last().unwrap().clone();
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.header("x-api-key"), Some("ak-test-installation"));
    assert!(req.header("anthropic-version").is_some());
    assert_eq!(req.body["model"], "claude-sonnet-4");
    assert_eq!(req.body["max_tokens"], 1024);
    // A malformed event in the Anthropic stream is skipped too; a broken one ends as partial.
    let resp = admin
        .stream(&path, "k2", json!({ "content": "[upstream tokens=4 malformed_at=1] again", "model": "claude" }))
        .await;
    let events = SseReader::new(resp).rest().await;
    assert_eq!(deltas(&events), "t0 t2 t3 ");
    let resp = admin
        .stream(&path, "k3", json!({ "content": "[upstream tokens=6 drop_after=2] break", "model": "claude" }))
        .await;
    let events = SseReader::new(resp).rest().await;
    assert_eq!(events.last().unwrap().data["message"]["status"], "partial");
    // Azure OpenAI: deployment in the path, api-version in the query, api-key header.
    let resp = admin.stream(&path, "k4", json!({ "content": "[upstream tokens=3] azure", "model": "azure-gpt" })).await;
    let events = SseReader::new(resp).rest().await;
    assert_eq!(deltas(&events), expected_tokens(3));
    let req = upstream.requests().last().unwrap().clone();
    assert_eq!(req.path, "/openai/deployments/gpt4-deploy/chat/completions?api-version=2024-06-01");
    assert_eq!(req.header("api-key"), Some("az-test"));
    assert_eq!(req.header("authorization"), None);
}

async fn the_demo_model_works_without_any_provider(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let models = admin.get_json("/v1/models").await;
    let items = models["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "demo");
    assert_eq!(items[0]["is_demo"], true);
    assert!(items[0]["display_name"].as_str().unwrap().contains("Demo"));
    let conv = admin.conversation().await;
    let resp = admin.stream(&format!("/v1/conversations/{conv}/messages"), "k", json!({ "content": "hi" })).await;
    let events = SseReader::new(resp).rest().await;
    assert_eq!(events.last().unwrap().event, "message.completed");
    assert!(deltas(&events).starts_with("This is Confab's built-in demo model"));
}

async fn other_users_and_tenants_get_404_and_change_nothing(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let (_, turn) = admin
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "k",
            json!({ "content": "[upstream tokens=100 delay_ms=20] mine", "model": "gpt-4o" }),
        )
        .await;
    let user_msg = turn["user_message"]["id"].as_str().unwrap().to_string();
    let assistant = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    app.create_user(&admin, "colleague@acme.example", "tenant_admin").await;
    let colleague = app.login("colleague@acme.example", PASSWORD).await;
    let (_, globex_admin) = app.second_tenant("globex").await;
    for (who, api) in [("same tenant", &colleague), ("other tenant", &globex_admin)] {
        for (method, path, body) in [
            (Method::GET, format!("/v1/conversations/{conv}"), None),
            (Method::PATCH, format!("/v1/conversations/{conv}"), Some(json!({ "title": "mine now" }))),
            (Method::DELETE, format!("/v1/conversations/{conv}"), None),
            (Method::PUT, format!("/v1/conversations/{conv}/active-branch"), Some(json!({ "message_id": assistant }))),
            (Method::GET, format!("/v1/messages/{assistant}"), None),
            (Method::GET, format!("/v1/messages/{assistant}/events"), None),
            (Method::POST, format!("/v1/messages/{assistant}/cancel"), None),
        ] {
            let (s, resp) = api.send(method.clone(), &path, body).await;
            assert_eq!(error_code(s, &resp, 404), "not_found", "{who}: {method} {path}");
        }
        for (path, body) in [
            (format!("/v1/conversations/{conv}/messages"), json!({ "content": "hijack", "model": "gpt-4o" })),
            (format!("/v1/messages/{assistant}/regenerate"), json!({})),
            (format!("/v1/messages/{assistant}/continue"), json!(null)),
            (format!("/v1/messages/{user_msg}/edit"), json!({ "content": "hijack" })),
        ] {
            let (s, resp) = api.post_idem(&path, "x", body).await;
            assert_eq!(error_code(s, &resp, 404), "not_found", "{who}: POST {path}");
        }
        let list = api.get_json("/v1/conversations").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0, "{who} sees none of it");
    }
    // Nothing changed: the answer is still running and the conversation intact.
    assert_eq!(upstream.calls(), 1);
    let m = admin.get_json(&format!("/v1/messages/{assistant}")).await;
    assert!(matches!(m["status"].as_str(), Some("streaming" | "queued" | "completed")), "{m}");
    let detail = admin.get_json(&format!("/v1/conversations/{conv}?view=tree")).await;
    assert_eq!(detail["messages"].as_array().unwrap().len(), 2);
    assert_ne!(detail["conversation"]["title"], "mine now");
    let (s, _) = app.anonymous().send(Method::GET, &format!("/v1/messages/{assistant}/events"), None).await;
    assert_eq!(s, 401);
}

async fn bad_chat_input_is_refused_and_writes_nothing(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let other = admin.conversation().await;
    let (_, turn) = admin
        .post_idem(
            &format!("/v1/conversations/{other}/messages"),
            "o",
            json!({ "content": "elsewhere", "model": "gpt-4o" }),
        )
        .await;
    let foreign_parent = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    admin.wait_final(&foreign_parent).await;
    let calls = upstream.calls();
    let path = format!("/v1/conversations/{conv}/messages");
    for (body, status, code) in [
        (json!({ "content": "" }), 422, "validation_failed"),
        (json!({ "content": "   " }), 422, "validation_failed"),
        (json!({ "content": "hi", "model": "gpt-5-ultra" }), 422, "validation_failed"),
        (json!({ "content": "hi", "parent_id": foreign_parent }), 422, "validation_failed"),
        (json!({ "content": "hi", "role": "system" }), 400, "bad_request"),
        (json!({ "content": ["not", "text"] }), 400, "bad_request"),
        (json!({ "content": "x".repeat(100_001) }), 422, "validation_failed"),
    ] {
        let (s, resp) = admin.post_idem(&path, &format!("k-{}", uuid::Uuid::now_v7()), body.clone()).await;
        assert_eq!(error_code(s, &resp, status), code, "{body}");
    }
    let (s, resp) = admin.post_idem(&path, "", json!({ "content": "hi" })).await;
    assert_eq!(error_code(s, &resp, 422), "validation_failed");
    let (s, resp) = admin
        .post_idem(&format!("/v1/conversations/{}/messages", uuid::Uuid::now_v7()), "k", json!({ "content": "hi" }))
        .await;
    assert_eq!(error_code(s, &resp, 404), "not_found");
    let detail = admin.get_json(&format!("/v1/conversations/{conv}?view=tree")).await;
    assert_eq!(detail["messages"].as_array().unwrap().len(), 0);
    assert_eq!(upstream.calls(), calls, "nothing went upstream");
    // Editing an answer or regenerating nothing is refused.
    let (s, resp) =
        admin.post_idem(&format!("/v1/messages/{foreign_parent}/edit"), "e", json!({ "content": "x" })).await;
    assert_eq!(error_code(s, &resp, 422), "validation_failed");
}

async fn too_many_turns_get_429_before_anything_goes_upstream(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(
        b,
        Options::default().upstream(&upstream).env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "2"),
    )
    .await;
    let admin = app.admin().await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let (s, _) = admin.post_idem(&path, "a", json!({ "content": "hi", "model": "gpt-4o" })).await;
    assert_eq!(s, 202);
    // Retries of a turn are replays, not turns: they leave the second turn of the minute free.
    for _ in 0..3 {
        let (s, again) = admin.post_idem(&path, "a", json!({ "content": "hi", "model": "gpt-4o" })).await;
        assert_eq!(s, 202, "{again}");
        assert_eq!(again["replayed"], true);
    }
    // The same key with another request neither counts nor passes.
    let (s, err) = admin.post_idem(&path, "a", json!({ "content": "bye", "model": "gpt-4o" })).await;
    assert_eq!(error_code(s, &err, 422), "idempotency_key_reused");
    let (s, body) = admin.post_idem(&path, "b", json!({ "content": "hi", "model": "gpt-4o" })).await;
    assert_eq!(s, 202, "{body}");
    let resp = admin
        .request(Method::POST, &path)
        .header("Idempotency-Key", "c")
        .json(&json!({ "content": "hi", "model": "gpt-4o" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    // A replay of an earlier send is not a new turn and is not limited.
    let (s, again) = admin.post_idem(&path, "a", json!({ "content": "hi", "model": "gpt-4o" })).await;
    assert_eq!(s, 202);
    assert_eq!(again["replayed"], true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(upstream.calls(), 2);
}

async fn conversations_list_rename_archive_and_delete(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(admin.conversation().await);
    }
    let page = admin.get_json("/v1/conversations?limit=2").await;
    let first: Vec<&str> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(first, vec![ids[2].as_str(), ids[1].as_str()], "newest first");
    let next =
        admin.get_json(&format!("/v1/conversations?limit=2&cursor={}", page["next_cursor"].as_str().unwrap())).await;
    assert_eq!(next["items"][0]["id"], ids[0].as_str());
    let (s, renamed) = admin
        .send(
            Method::PATCH,
            &format!("/v1/conversations/{}", ids[0]),
            Some(json!({ "title": "Quarterly plan", "archived": true })),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(renamed["title"], "Quarterly plan");
    assert_eq!(admin.get_json("/v1/conversations").await["items"].as_array().unwrap().len(), 2);
    assert_eq!(admin.get_json("/v1/conversations?archived=true").await["items"][0]["title"], "Quarterly plan");
    let (s, _) =
        admin.send(Method::PATCH, &format!("/v1/conversations/{}", ids[0]), Some(json!({ "title": "" }))).await;
    assert_eq!(s, 422);
    assert_eq!(admin.delete(&format!("/v1/conversations/{}", ids[1])).await.status(), 204);
    assert_eq!(admin.send(Method::GET, &format!("/v1/conversations/{}", ids[1]), None).await.0, 404);
}

async fn tenant_admins_manage_models_and_provider_keys(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // 32 bytes
    let app =
        TestApp::spawn_with(b, Options::default().upstream(&upstream).env("CONFAB_SECRETS__MASTER_KEY", key)).await;
    let admin = app.admin().await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    let mia = app.login("mia@acme.example", PASSWORD).await;
    let model = json!({ "provider": "openai", "upstream_model": "gpt-4o-mini", "display_name": "GPT-4o mini", "context_window": 128000, "max_output_tokens": 2048, "input_price_per_million": 0.15, "output_price_per_million": 0.6 });
    let (s, _) = mia.send(Method::PUT, "/v1/models/mini", Some(model.clone())).await;
    assert_eq!(s, 403);
    let (s, body) = admin.send(Method::PUT, "/v1/models/mini", Some(model.clone())).await;
    assert_eq!(s, 200, "{body}");
    let models = mia.get_json("/v1/models").await;
    let ids: Vec<&str> = models["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"mini") && ids.contains(&"gpt-4o") && ids.contains(&"demo"), "{ids:?}");
    for (bad, field) in [
        (
            json!({ "provider": "nowhere", "context_window": 10, "max_output_tokens": 5, "input_price_per_million": 0, "output_price_per_million": 0 }),
            "provider",
        ),
        (
            json!({ "provider": "openai", "context_window": 10, "max_output_tokens": 50, "input_price_per_million": 0, "output_price_per_million": 0 }),
            "context_window",
        ),
        (
            json!({ "provider": "openai", "context_window": 100, "max_output_tokens": 5, "input_price_per_million": -1, "output_price_per_million": 0 }),
            "input_price_per_million",
        ),
    ] {
        let (s, body) = admin.send(Method::PUT, "/v1/models/other", Some(bad)).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed");
        assert_eq!(body["error"]["field"], field);
    }
    // The tenant's own key replaces the installation's, and is never shown again.
    let (s, _) =
        mia.send(Method::PUT, "/v1/providers/openai/key", Some(json!({ "api_key": "sk-tenant-secret" }))).await;
    assert_eq!(s, 403);
    let (s, body) =
        admin.send(Method::PUT, "/v1/providers/openai/key", Some(json!({ "api_key": "sk-tenant-secret" }))).await;
    assert_eq!(s, 204, "{body}");
    let providers = admin.get_json("/v1/providers").await;
    assert!(!providers.to_string().contains("sk-tenant-secret"));
    let openai = providers["items"].as_array().unwrap().iter().find(|p| p["name"] == "openai").unwrap();
    assert_eq!(openai["tenant_key"], true);
    assert_eq!(openai["installation_key"], true);
    let conv = mia.conversation().await;
    let (s, turn) = mia
        .post_idem(&format!("/v1/conversations/{conv}/messages"), "k", json!({ "content": "hi", "model": "mini" }))
        .await;
    assert_eq!(s, 202);
    mia.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await;
    let req = upstream.requests().last().unwrap().clone();
    assert_eq!(req.header("authorization"), Some("Bearer sk-tenant-secret"));
    assert_eq!(req.body["model"], "gpt-4o-mini");
    // Stored encrypted.
    let db = app.db.connect().await;
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT ciphertext FROM provider_keys",
        ))
        .await
        .unwrap()
        .unwrap();
    let sealed: String = row.try_get("", "ciphertext").unwrap();
    assert!(!sealed.contains("sk-tenant-secret"));
    assert!(!app.server_log().contains("sk-tenant-secret"), "never logged");
    // Each change applies to the very next turn (the catalogue a turn reads is cached).
    let send_mini = |key: &'static str| {
        let (mia, conv) = (mia.clone(), conv.clone());
        async move {
            mia.post_idem(
                &format!("/v1/conversations/{conv}/messages"),
                key,
                json!({ "content": "hi", "model": "mini" }),
            )
            .await
        }
    };
    let (s, _) = admin.send(Method::DELETE, "/v1/providers/openai/key", None).await;
    assert_eq!(s, 204);
    let (s, turn) = send_mini("k2").await;
    assert_eq!(s, 202, "{turn}");
    mia.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await;
    let req = upstream.requests().last().unwrap().clone();
    assert_eq!(req.header("authorization"), Some("Bearer sk-test-installation"), "the installation's key again");
    let (s, _) = admin
        .send(Method::PUT, "/v1/models/mini", Some(json!({ "provider": "openai", "upstream_model": "gpt-4.1-mini", "context_window": 128000, "max_output_tokens": 2048, "input_price_per_million": 0.15, "output_price_per_million": 0.6 })))
        .await;
    assert_eq!(s, 200);
    let (s, turn) = send_mini("k3").await;
    assert_eq!(s, 202, "{turn}");
    mia.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(upstream.requests().last().unwrap().body["model"], "gpt-4.1-mini", "the model as changed");
    assert_eq!(admin.send(Method::DELETE, "/v1/models/mini", None).await.0, 204);
    assert_eq!(admin.send(Method::DELETE, "/v1/models/mini", None).await.0, 404);
    let (s, body) = send_mini("k4").await;
    assert_eq!(error_code(s, &body, 422), "validation_failed", "a deleted model is refused at once");
    for (action, n) in [
        ("catalogue.model_set", 2),
        ("catalogue.model_deleted", 1),
        ("provider.key_set", 1),
        ("provider.key_deleted", 1),
    ] {
        assert_eq!(app.audit_count(&admin, action).await, n, "{action}");
    }
}

/// A NUL character in a model's answer (PostgreSQL refuses one in any text) becomes U+FFFD: the
/// answer streams, completes and is stored like any other, on both databases.
async fn a_nul_character_in_an_answer_is_replaced_and_the_answer_is_kept(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let body = json!({ "content": "Hello [upstream nul=1 tokens=3 delay_ms=150]", "model": "gpt-4o" });
    let resp = admin.stream(&format!("/v1/conversations/{conv}/messages"), "nul-1", body).await;
    assert_eq!(resp.status(), 200);
    let events = SseReader::new(resp).rest().await;
    let expected: String = (0..3).map(|i| format!("t{i}\u{FFFD} ")).collect();
    assert_eq!(deltas(&events), expected);
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    let id = last.data["message"]["id"].as_str().unwrap().to_string();
    let stored = admin.get_json(&format!("/v1/messages/{id}")).await;
    assert_eq!(stored["status"], "completed");
    assert_eq!(stored["content"], expected.as_str());
}

async fn provider_keys_need_a_master_key(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    let (s, body) = admin.send(Method::PUT, "/v1/providers/openai/key", Some(json!({ "api_key": "sk-x" }))).await;
    assert_eq!(error_code(s, &body, 409), "conflict");
    let (s, body) = admin.send(Method::PUT, "/v1/providers/nope/key", Some(json!({ "api_key": "sk-x" }))).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
}

/// `chat.delta_interval_ms` spaces a live answer's deltas: the text between them goes out in one
/// event, whole and in order, and the answer ends as it would without it.
async fn deltas_can_be_spaced_into_fewer_events(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let count = |events: &[SseEvent]| events.iter().filter(|e| e.event == "message.delta").count();
    let run = |app: TestApp| async move {
        let admin = app.admin().await;
        let conv = admin.conversation().await;
        let body = json!({ "content": "[upstream tokens=20 delay_ms=15] go", "model": "gpt-4o" });
        let resp = admin.stream(&format!("/v1/conversations/{conv}/messages"), "k1", body).await;
        assert_eq!(resp.status(), 200);
        let events = SseReader::new(resp).rest().await;
        let last = events.last().unwrap().clone();
        (events, last, app)
    };
    let spaced = Options::default().upstream(&upstream).env("CONFAB_CHAT__DELTA_INTERVAL_MS", "150");
    let (events, last, _app) = run(TestApp::spawn_with(b, spaced).await).await;
    assert_eq!(last.event, "message.completed");
    assert_eq!(deltas(&events), expected_tokens(20), "every token, once, in order");
    assert_eq!(last.data["message"]["content"], expected_tokens(20).as_str());
    // 20 tokens 15 ms apart (300 ms) in deltas at least 150 ms apart: the first, then two or three.
    assert!((2..=5).contains(&count(&events)), "{} deltas", count(&events));
    let mut prev = 0u64;
    for e in events.iter().filter(|e| e.event == "message.delta") {
        let id: u64 = e.id.as_deref().unwrap().parse().unwrap();
        assert!(id > prev && id == e.data["offset"].as_u64().unwrap(), "ids are still the length so far");
        prev = id;
    }
    // At 0, each token goes out as it arrives.
    let each = Options::default().upstream(&upstream).env("CONFAB_CHAT__DELTA_INTERVAL_MS", "0");
    let (events, last, _app) = run(TestApp::spawn_with(b, each).await).await;
    assert_eq!(last.event, "message.completed");
    assert_eq!(deltas(&events), expected_tokens(20));
    assert!(count(&events) >= 10, "{} deltas", count(&events));
}

both_backends!(
    a_streamed_turn_sends_created_deltas_and_completed_in_order,
    a_json_send_answers_at_once_and_the_stream_can_be_attached,
    reattaching_mid_stream_gives_the_rest_with_no_gap_or_duplicate,
    closing_the_connection_does_not_stop_the_answer,
    heartbeats_keep_a_silent_stream_open,
    a_killed_server_leaves_a_partial_answer_that_can_be_continued,
    upstream_failures_end_turns_with_clear_states,
    cancel_stops_the_answer_and_keeps_the_text,
    idempotent_sends_never_duplicate_work,
    edits_and_regenerations_are_branches,
    a_long_history_sends_the_newest_turns_that_fit,
    the_anthropic_and_azure_adapters_speak_their_protocols,
    the_demo_model_works_without_any_provider,
    other_users_and_tenants_get_404_and_change_nothing,
    bad_chat_input_is_refused_and_writes_nothing,
    too_many_turns_get_429_before_anything_goes_upstream,
    conversations_list_rename_archive_and_delete,
    tenant_admins_manage_models_and_provider_keys,
    provider_keys_need_a_master_key,
    a_nul_character_in_an_answer_is_replaced_and_the_answer_is_kept,
    deltas_can_be_spaced_into_fewer_events,
);

/// A model provider's HTTPS endpoint offers HTTP/2, which would carry every concurrent answer on
/// one connection, and an HTTP/2 server takes only so many streams at once per connection
/// (`SETTINGS_MAX_CONCURRENT_STREAMS`, often 100 to 256): the turns beyond that would wait for
/// another answer to end before even reaching the provider. Confab speaks HTTP/1.1 to providers,
/// a connection per answer in flight. Here the provider takes two streams per connection and
/// three answers of two seconds run at once: all three reach it at once, over HTTP/1.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_turns_to_an_https_provider_do_not_wait_behind_its_stream_limit() {
    let dir = std::env::temp_dir().join(format!("confab-provider-tls-{}", uuid::Uuid::new_v4().simple()));
    let certs = confab_tests::tls::ca_and_server(&dir);
    let upstream = ScriptedUpstream::start_tls(&certs, 2).await;
    let ca = certs.ca_cert.to_str().unwrap();
    // The provider's certificate is trusted as a system root would be.
    let app =
        TestApp::spawn_with(Backend::Sqlite, Options::default().upstream(&upstream).env("SSL_CERT_FILE", ca)).await;
    let admin = app.admin().await;
    let mut turns = Vec::new();
    for i in 0..3 {
        let (admin, conv) = (admin.clone(), admin.conversation().await);
        turns.push(tokio::spawn(async move {
            let content = format!("[upstream tokens=4 delay_ms=500] answer {i}");
            let resp = admin
                .stream(
                    &format!("/v1/conversations/{conv}/messages"),
                    &format!("k{i}"),
                    json!({ "content": content, "model": "gpt-4o" }),
                )
                .await;
            assert_eq!(resp.status(), 200);
            SseReader::new(resp).rest().await
        }));
    }
    // Each answer takes 2 s; the third, queued behind the stream limit, would arrive after one.
    let started = std::time::Instant::now();
    while upstream.calls() < 3 && started.elapsed() < Duration::from_millis(1500) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(upstream.calls(), 3, "all three turns reached the provider within 1.5 s");
    for turn in turns {
        let events = turn.await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(last.event, "message.completed", "{:?}", last.data);
        assert_eq!(deltas(&events), expected_tokens(4));
    }
    let versions: Vec<String> = upstream.requests().iter().map(|r| r.version.clone()).collect();
    assert_eq!(versions, ["HTTP/1.1"; 3]);
    let _ = std::fs::remove_dir_all(&dir);
}

//! Upgrades without downtime: a replica drains on SIGTERM (not ready at once, new answers refused
//! with 503 `draining`, running answers finish, the rest kept `partial` at the deadline), two
//! replicas are replaced one by one under load behind a Service-like proxy with no failed turn,
//! and the migrations keep to the expand/contract rule.
use confab_tests::proxy::Proxy;
use confab_tests::redis::RedisServer;
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn messages_path(conv: &str) -> String {
    format!("/v1/conversations/{conv}/messages")
}

fn tokens(n: usize) -> String {
    (0..n).map(|i| format!("t{i} ")).collect()
}

async fn readyz(base: &str) -> (StatusCode, Value) {
    let resp = reqwest::get(format!("{base}/readyz")).await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

/// Sends SIGTERM and waits (off the async threads) for the exit code and how long it took.
async fn stop(app: TestApp, limit: Duration) -> (Option<i32>, Duration, TestApp) {
    tokio::task::spawn_blocking(move || {
        let mut app = app;
        let started = Instant::now();
        app.sigterm();
        let code = app.wait_exit(limit);
        (code, started.elapsed(), app)
    })
    .await
    .unwrap()
}

/// SIGTERM during a streamed answer: the replica leaves the load balancer at once, refuses new
/// answers (503 `draining`, `Retry-After`, nothing written), finishes the running answer on the
/// open stream, then exits 0 well within its grace.
async fn a_draining_replica_finishes_running_answers_and_refuses_new_ones(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default().upstream(&upstream).env("CONFAB_SERVER__SHUTDOWN_GRACE_SECS", "8");
    let app = TestApp::spawn_with(b, opts).await;
    let admin = app.admin().await;
    let (token, _) = admin.create_token(json!({ "name": "sdk" })).await;
    let conv = admin.conversation().await;
    let resp = admin
        .stream(
            &messages_path(&conv),
            "k1",
            json!({ "content": "[upstream tokens=30 delay_ms=50] go", "model": "gpt-4o" }),
        )
        .await;
    let mut sse = SseReader::new(resp);
    let mut seen = vec![sse.next().await.unwrap(), sse.next().await.unwrap()];
    let base = app.base.clone();
    let stopping = tokio::spawn(stop(app, Duration::from_secs(10)));

    // Out of the load balancer at once.
    let started = Instant::now();
    let body = loop {
        let (status, body) = readyz(&base).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break body;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "still ready after SIGTERM: {body}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(body["status"], "draining", "{body}");
    // A new answer is refused with the documented code, and nothing is written or sent.
    let calls = upstream.calls();
    let resp = admin
        .request(Method::POST, &messages_path(&conv))
        .header("Idempotency-Key", "k2")
        .json(&json!({ "content": "another", "model": "gpt-4o" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert_eq!(resp.headers().get("connection").and_then(|v| v.to_str().ok()), Some("close"));
    let status = resp.status();
    let refused: Value = resp.json().await.unwrap();
    assert_eq!(error_code(status, &refused, 503), "draining");
    // The OpenAI-compatible endpoint too (OpenAI's SDKs retry a 503 by themselves).
    let resp = reqwest::Client::new()
        .post(format!("{base}/openai/v1/chat/completions"))
        .bearer_auth(&token)
        .json(&json!({ "model": "gpt-4o", "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "draining", "{body}");
    // Reads still work while the replica drains.
    let listed = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(listed["messages"].as_array().unwrap().len(), 2, "the refused send wrote nothing: {listed}");

    // The running answer finishes on its open stream.
    seen.extend(sse.rest().await);
    let last = seen.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    assert_eq!(deltas(&seen), tokens(30));
    assert_eq!(upstream.calls(), calls, "the refused answers never reached the provider");
    let (code, took, app) = stopping.await.unwrap();
    assert_eq!(code, Some(0), "{}", app.server_log());
    assert!(took < Duration::from_secs(6), "exits once its answers are done, not at the deadline: {took:?}");
    eprintln!("drained and exited {took:?} after SIGTERM");
}

/// An answer still running at the drain deadline is kept `partial` with every token it streamed
/// (its readers get the end), and continues after a restart, on the same message.
async fn at_the_deadline_a_running_answer_is_kept_partial_and_can_be_continued(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default().upstream(&upstream).env("CONFAB_SERVER__SHUTDOWN_GRACE_SECS", "3");
    let app = TestApp::spawn_with(b, opts).await;
    let admin = app.admin().await;
    let conv = admin.conversation().await;
    let resp = admin
        .stream(
            &messages_path(&conv),
            "long",
            json!({ "content": "[upstream tokens=400 delay_ms=30] long", "model": "gpt-4o" }),
        )
        .await;
    let mut sse = SseReader::new(resp);
    let created = sse.next().await.unwrap();
    let id = created.data["assistant_message_id"].as_str().unwrap().to_string();
    let stopping = tokio::spawn(stop(app, Duration::from_secs(10)));
    let events = sse.rest().await;
    let end = events.last().unwrap();
    assert_eq!(end.event, "message.failed", "{:?}", end.data);
    assert_eq!(end.data["message"]["status"], "partial");
    assert_eq!(end.data["message"]["error"]["code"], "interrupted");
    let streamed = deltas(&events);
    assert!(streamed.len() > 40, "it ran until the deadline: {streamed:?}");
    assert_eq!(end.data["message"]["content"].as_str().unwrap(), streamed, "every streamed token is kept");
    let (code, took, app) = stopping.await.unwrap();
    assert_eq!(code, Some(0), "{}", app.server_log());
    assert!(took < Duration::from_secs(4), "exits within its grace of 3 s: {took:?}");

    // After the restart (or on another replica) the answer is stored as it ended, and goes on.
    let (db, opts) = app.kill();
    let app = TestApp::start(db, opts);
    let admin = app.admin().await;
    let stored = admin.get_json(&format!("/v1/messages/{id}")).await;
    assert_eq!(stored["status"], "partial");
    assert_eq!(stored["content"], streamed.as_str());
    let resp = admin.stream(&format!("/v1/messages/{id}/continue"), "more", json!(null)).await;
    assert_eq!(resp.status(), 200);
    let more = SseReader::new(resp).rest().await;
    assert_eq!(more.last().unwrap().event, "message.completed");
    let done = admin.get_json(&format!("/v1/messages/{id}")).await;
    assert!(done["content"].as_str().unwrap().starts_with(&streamed), "{done}");
}

/// What the clients of the rolling upgrade saw.
#[derive(Default)]
struct Seen {
    turns: AtomicUsize,
    draining_retries: AtomicUsize,
    transport_retries: AtomicUsize,
    reattaches: AtomicUsize,
    /// Any other 5xx, or a 503 without the documented body and `Retry-After`.
    bad: std::sync::Mutex<Vec<String>>,
}

/// A client as an SDK would write it: a send is retried with the same `Idempotency-Key` on a
/// 503 `draining` (after `Retry-After`) or when the connection failed; a stream that ends before
/// its final event is resumed with `Last-Event-ID`. Half the clients stream the send itself,
/// half send, then attach (so their reader may be on the other replica, through Redis).
async fn client_turn(api: &Api, conv: &str, key: &str, content: &str, stream_send: bool, seen: &Seen) -> Value {
    let body = json!({ "content": content, "model": "gpt-4o" });
    let mut attempts = 0;
    let (id, mut events) = loop {
        attempts += 1;
        assert!(attempts < 50, "send {key} never accepted");
        let mut req = api.request(Method::POST, &messages_path(conv)).header("Idempotency-Key", key).json(&body);
        if stream_send {
            req = req.header("Accept", "text/event-stream");
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(_) => {
                seen.transport_retries.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let status = resp.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if body["error"]["code"] != "draining" || retry_after.as_deref() != Some("1") {
                seen.bad.lock().unwrap().push(format!("503 {retry_after:?} {body}"));
            }
            seen.draining_retries.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        if stream_send && status == StatusCode::OK {
            let mut sse = SseReader::new(resp);
            let Some(created) = sse.next().await else {
                seen.transport_retries.fetch_add(1, Ordering::SeqCst);
                continue;
            };
            let id = created.data["assistant_message_id"].as_str().unwrap().to_string();
            let mut events = vec![created];
            read_until_end(&mut sse, &mut events).await;
            break (id, events);
        }
        if !stream_send && status == StatusCode::ACCEPTED {
            let body: Value = resp.json().await.unwrap();
            break (body["assistant_message"]["id"].as_str().unwrap().to_string(), Vec::new());
        }
        let text = resp.text().await.unwrap_or_default();
        seen.bad.lock().unwrap().push(format!("send {key}: {status} {text}"));
        panic!("send {key}: {status} {text}");
    };
    // Resume until the final event.
    let mut first_attach = !stream_send;
    while !events.last().is_some_and(|e| is_final(&e.event)) {
        if !first_attach {
            seen.reattaches.fetch_add(1, Ordering::SeqCst);
        }
        first_attach = false;
        let resp = match resume(api, &id, &events).send().await {
            Ok(resp) => resp,
            Err(_) => {
                seen.transport_retries.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if resp.status() != StatusCode::OK {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            seen.bad.lock().unwrap().push(format!("attach {id}: {status} {text}"));
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let mut sse = SseReader::new(resp);
        read_until_end(&mut sse, &mut events).await;
    }
    seen.turns.fetch_add(1, Ordering::SeqCst);
    check_stream(&events, content)
}

/// The request that attaches to message `id`'s events after the last of `events` that has an id.
fn resume(api: &Api, id: &str, events: &[SseEvent]) -> reqwest::RequestBuilder {
    let req = api.request(Method::GET, &format!("/v1/messages/{id}/events"));
    match events.iter().rev().find_map(|e| e.id.as_deref()) {
        Some(last) => req.header("Last-Event-ID", last),
        None => req,
    }
}

fn is_final(event: &str) -> bool {
    matches!(event, "message.completed" | "message.failed" | "message.cancelled")
}

async fn read_until_end(sse: &mut SseReader, events: &mut Vec<SseEvent>) {
    while let Some(e) = tokio::time::timeout(Duration::from_secs(30), sse.next()).await.expect("a stream went quiet") {
        let last = is_final(&e.event);
        events.push(e);
        if last {
            break;
        }
    }
}

/// No gap, no duplicate: each delta starts where the previous one ended (its id is the length
/// after it), the text is the whole answer, and the final event is `completed` with that text.
fn check_stream(events: &[SseEvent], content: &str) -> Value {
    let n: usize = content.split("tokens=").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    let mut offset = 0usize;
    let mut text = String::new();
    for e in events.iter().filter(|e| e.event == "message.delta") {
        let piece = e.data["content"].as_str().unwrap();
        assert_eq!(e.data["offset"].as_u64().unwrap() as usize, offset + piece.len(), "gap or duplicate: {events:?}");
        offset += piece.len();
        text.push_str(piece);
    }
    assert_eq!(text, tokens(n));
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    assert_eq!(last.data["message"]["content"].as_str().unwrap(), text);
    last.data["message"].clone()
}

/// Starts an answer on the replica at `writer` and follows it from the one at `reader`, resuming
/// through the load balancer whenever the stream ends before the answer: returns every event read
/// and how many times it resumed. Started just before `reader` is told to stop, a 12 s answer
/// outlasts its drain (which waits for its own answers, 6 s at most) and ends well within the
/// other replica's 15 s drain grace, so the reader must resume and the answer still completes.
async fn follow_across(
    admin: &Api,
    conv: &str,
    writer: &str,
    reader: &str,
    content: &'static str,
) -> tokio::task::JoinHandle<(Vec<SseEvent>, usize)> {
    let on_writer = Api { app_base: writer.to_string(), ..admin.clone() };
    let (s, turn) =
        on_writer.post_idem(&messages_path(conv), "cross", json!({ "content": content, "model": "gpt-4o" })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{turn}");
    let id = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    let (on_reader, via_proxy) = (Api { app_base: reader.to_string(), ..admin.clone() }, admin.clone());
    let mut sse = on_reader.attach(&id, None).await;
    tokio::spawn(async move {
        let mut events = Vec::new();
        read_until_end(&mut sse, &mut events).await;
        let mut resumed = 0;
        let mut dropped = 0;
        while !events.last().is_some_and(|e| is_final(&e.event)) {
            resumed += 1;
            // The load balancer can still hand the resume to the replica that is closing its
            // connections (it leaves the pool only once it has exited): a client retries a
            // connection that drops before any answer, as `client_turn` does.
            let resp = match resume(&via_proxy, &id, &events).send().await {
                Ok(resp) => resp,
                Err(e) => {
                    dropped += 1;
                    assert!(dropped < 50, "the resume kept failing: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            assert_eq!(resp.status(), StatusCode::OK, "resume of {id}");
            let mut sse = SseReader::new(resp);
            read_until_end(&mut sse, &mut events).await;
        }
        (events, resumed)
    })
}

/// Replaces both replicas of a two-replica deployment (PostgreSQL + Redis) one by one, the way
/// the chart's rolling update does (a new pod first, `maxSurge: 1`, `maxUnavailable: 0`; then the
/// old one gets SIGTERM), while 50 clients keep chatting through a Service-like proxy. The "new
/// version" is the same binary (no second build exists here), after the new release's
/// migration job expanded the schema (a nullable column and a table the old release ignores).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_upgrade_under_load_fails_no_turn_and_loses_no_token() {
    let upstream = ScriptedUpstream::start().await;
    let redis = RedisServer::start();
    let opts = Options::default()
        .upstream(&upstream)
        .env("CONFAB_REDIS__URL", &redis.url())
        // Four replicas and 50 clients on a machine the rest of the suite also loads: a Redis
        // answer can take over the default 1 s there, and this test is about the upgrade.
        .env("CONFAB_REDIS__TIMEOUT_MS", "5000")
        .env("CONFAB_SERVER__SHUTDOWN_GRACE_SECS", "15")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "100000")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_TENANT", "100000")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_IP", "100000");
    let a = TestApp::spawn_with(Backend::Postgres, opts).await;
    let b = a.replica(&[]);
    let proxy = Proxy::start().await;
    proxy.add(&a.base);
    proxy.add(&b.base);
    proxy.wait_ready(&a.base, Duration::from_secs(10)).await;
    proxy.wait_ready(&b.base, Duration::from_secs(10)).await;
    let admin = Api { app_base: proxy.base(), ..a.admin().await };
    let mut convs = Vec::new();
    for _ in 0..50 {
        convs.push(admin.conversation().await);
    }

    // One reader is pinned to the first replica to go while the answer it follows is written on
    // the other (`follow_across`, started just before that replica is told to stop).
    let cross_content = "[upstream tokens=120 delay_ms=100] cross";
    let cross_conv = admin.conversation().await;
    let (a_base, b_base) = (a.base.clone(), b.base.clone());
    let mut cross = None;

    // Each client chats in its own conversation until the upgrade is over (and at least twice).
    let seen = Arc::new(Seen::default());
    let upgrading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let clients: Vec<_> = convs
        .iter()
        .enumerate()
        .map(|(i, conv)| {
            let (api, conv, seen, upgrading) = (admin.clone(), conv.clone(), seen.clone(), upgrading.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while n < 2 || upgrading.load(Ordering::SeqCst) {
                    // Answers of 1.5–3 s (streamed sends) and 3–6 s (attached readers), so some
                    // always span a replica's drain, and a reader on a draining replica often
                    // follows an answer another replica writes longer than the drain lasts.
                    let delay = if i % 2 == 0 { 60 } else { 120 };
                    let content = format!("[upstream tokens={} delay_ms={delay}] c{i} n{n}", 25 + (i + n) % 25);
                    client_turn(&api, &conv, &format!("c{i}-n{n}"), &content, i % 2 == 0, &seen).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The new release's migration job (a pre-upgrade hook) expands the schema first; the old
    // replicas run on (and stay ready).
    let db = a.db.connect().await;
    use sea_orm::ConnectionTrait;
    for sql in [
        "ALTER TABLE messages ADD COLUMN next_release_note TEXT NULL",
        "CREATE TABLE next_release_things (id UUID PRIMARY KEY, note TEXT NOT NULL DEFAULT '')",
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_next_release_expand', 0)",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    let (status, body) = readyz(&a.base).await;
    assert_eq!(status, StatusCode::OK, "the old release stays ready on the expanded schema: {body}");
    assert!(body["checks"]["schema"].as_str().unwrap().starts_with("newer"), "{body}");

    let upgrade_started = Instant::now();
    let mut stopped = Vec::new();
    for old in [a, b] {
        // A new pod starts and becomes ready…
        let new = tokio::task::block_in_place(|| old.replica(&[]));
        proxy.add(&new.base);
        proxy.wait_ready(&new.base, Duration::from_secs(20)).await;
        // …then the old one is told to stop, drains and exits.
        let base = old.base.clone();
        if cross.is_none() {
            cross = Some(follow_across(&admin, &cross_conv, &b_base, &a_base, cross_content).await);
        }
        let (code, took, old) = stop(old, Duration::from_secs(20)).await;
        assert_eq!(code, Some(0), "{}", old.server_log());
        assert!(took < Duration::from_secs(15), "drained within its grace: {took:?}");
        eprintln!("replaced {base} (drained in {took:?})");
        proxy.remove(&base);
        stopped.push(old);
        stopped.push(new);
    }
    let upgrade_took = upgrade_started.elapsed();
    upgrading.store(false, Ordering::SeqCst);
    let mut per_client = Vec::new();
    for c in clients {
        per_client.push(c.await.expect("a client's turn failed"));
    }
    let bad = seen.bad.lock().unwrap().clone();
    assert!(bad.is_empty(), "5xx other than the documented draining 503: {bad:?}");
    assert_eq!(proxy.unrouted.load(Ordering::SeqCst), 0, "a connection found no ready replica");
    assert!(
        seen.draining_retries.load(Ordering::SeqCst) > 0,
        "sends reached draining replicas (the load balancer lags behind readiness) and were retried"
    );
    let (cross_events, cross_resumed) = cross.expect("started").await.unwrap();
    check_stream(&cross_events, cross_content);
    assert!(cross_resumed >= 1, "the reader on the drained replica resumed elsewhere");
    let turns = seen.turns.load(Ordering::SeqCst);
    assert_eq!(turns, per_client.iter().sum::<usize>());
    eprintln!(
        "rolling upgrade: {turns} turns by 50 clients, upgrade took {upgrade_took:?}; {} sends retried after 503 draining, {} after a dropped connection, {} client streams and the pinned reader's {cross_resumed} resumed",
        seen.draining_retries.load(Ordering::SeqCst),
        seen.transport_retries.load(Ordering::SeqCst),
        seen.reattaches.load(Ordering::SeqCst),
    );
    // Every answer is stored completed, once: no turn was lost, duplicated or settled partial.
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT status, count(*) AS n FROM messages WHERE role = 'assistant' GROUP BY status",
        ))
        .await
        .unwrap();
    let counts: Vec<(String, i64)> =
        rows.iter().map(|r| (r.try_get::<String>("", "status").unwrap(), r.try_get::<i64>("", "n").unwrap())).collect();
    assert_eq!(counts, vec![("completed".to_string(), turns as i64 + 1)], "{counts:?}");
    assert_eq!(upstream.calls(), turns + 1, "each turn called the provider once (retries replayed)");
    drop(stopped);
}

/// One column as the database describes it: (type, NOT NULL, has a default).
type Columns = std::collections::BTreeMap<(String, String), (String, bool, bool)>;

/// Every column of every table (SQLite: `pragma_table_info`; PostgreSQL: `information_schema`).
async fn columns(db: &sea_orm::DatabaseConnection, b: Backend) -> Columns {
    use sea_orm::{ConnectionTrait, Statement};
    let (backend, sql) = match b {
        Backend::Sqlite => (
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT m.name AS t, p.name AS c, p.type AS ty, p.\"notnull\" <> 0 AS nn, p.dflt_value IS NOT NULL AS d \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'seaql_migrations'",
        ),
        Backend::Postgres => (
            sea_orm::DatabaseBackend::Postgres,
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, \
             is_nullable = 'NO' AS nn, column_default IS NOT NULL AS d \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'seaql_migrations'",
        ),
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter()
        .map(|r| {
            let t: String = r.try_get("", "t").unwrap();
            let c: String = r.try_get("", "c").unwrap();
            let ty: String = r.try_get("", "ty").unwrap();
            let nn: bool = r.try_get("", "nn").unwrap();
            let d: bool = r.try_get("", "d").unwrap();
            ((t, c), (ty.to_lowercase(), nn, d))
        })
        .collect()
}

/// What a migration changed that the previous release could not run on: (table, column, why).
fn contractions(before: &Columns, after: &Columns) -> Vec<(String, Option<String>, String)> {
    let tables = |cols: &Columns| cols.keys().map(|(t, _)| t.clone()).collect::<std::collections::BTreeSet<_>>();
    let (tables_before, tables_after) = (tables(before), tables(after));
    let mut found = Vec::new();
    for t in tables_before.difference(&tables_after) {
        found.push((t.clone(), None, "drops or renames the table".to_string()));
    }
    for ((t, c), (ty, nn, _)) in before {
        if !tables_after.contains(t) {
            continue;
        }
        match after.get(&(t.clone(), c.clone())) {
            None => found.push((t.clone(), Some(c.clone()), "drops or renames the column".into())),
            Some((ty2, _, _)) if ty2 != ty => {
                found.push((t.clone(), Some(c.clone()), format!("changes its type from {ty} to {ty2}")))
            }
            Some((_, nn2, _)) if *nn2 && !nn => found.push((t.clone(), Some(c.clone()), "makes it NOT NULL".into())),
            Some(_) => {}
        }
    }
    for ((t, c), (_, nn, default)) in after {
        if tables_before.contains(t) && !before.contains_key(&(t.clone(), c.clone())) && *nn && !default {
            found.push((
                t.clone(),
                Some(c.clone()),
                "adds a NOT NULL column without a default (the previous release's inserts fail)".into(),
            ));
        }
    }
    found
}

/// The expand/contract rule, checked on the schema itself (whatever SQL a migration runs): each
/// migration, applied one at a time, may add tables, nullable or defaulted columns and indexes;
/// anything that would break the previous release must be listed in `confab_migrations::CONTRACTS`
/// with the release that stopped using it. And the check catches what it is for: a dropped column
/// and a NOT NULL column without default, made by hand after the last migration, are reported.
async fn migrations_only_expand_unless_listed_as_contracts(b: Backend) {
    use confab_migrations::{CONTRACTS, Migrator, MigratorTrait};
    let db = TestDb::new(b).await;
    let url = match b {
        Backend::Sqlite => format!("{}?mode=rwc", db.url),
        Backend::Postgres => db.url.clone(),
    };
    let conn = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_string()).collect();
    for c in CONTRACTS {
        assert!(names.iter().any(|n| n == c.migration), "CONTRACTS names an unknown migration {}", c.migration);
        assert!(!c.unused_since.is_empty(), "{}: say which release stopped using it", c.migration);
    }
    let mut before = columns(&conn, b).await;
    let mut refused = Vec::new();
    for name in &names {
        Migrator::up(&conn, Some(1)).await.unwrap();
        let after = columns(&conn, b).await;
        for (table, column, why) in contractions(&before, &after) {
            let listed =
                CONTRACTS.iter().any(|c| c.migration == name && c.table == table && c.column == column.as_deref());
            if !listed {
                refused.push(format!("{name}: {table}.{} {why}", column.as_deref().unwrap_or("*")));
            }
        }
        before = after;
    }
    assert!(
        refused.is_empty(),
        "these migrations break the previous release (expand/contract, README \"Upgrades without downtime\"); \
         expand first, and contract in a later release listed in confab_migrations::CONTRACTS:\n{}",
        refused.join("\n")
    );

    use sea_orm::ConnectionTrait;
    conn.execute_unprepared("ALTER TABLE api_tokens DROP COLUMN keep").await.unwrap();
    conn.execute_unprepared("ALTER TABLE tenants ADD COLUMN region TEXT NOT NULL").await.ok();
    let after = columns(&conn, b).await;
    let found = contractions(&before, &after);
    assert!(found.iter().any(|(t, c, _)| t == "api_tokens" && c.as_deref() == Some("keep")), "{found:?}");
    if b == Backend::Postgres {
        // (SQLite refuses to add a NOT NULL column without a default at all.)
        assert!(found.iter().any(|(t, c, _)| t == "tenants" && c.as_deref() == Some("region")), "{found:?}");
    }
    conn.close().await.ok();
    let _ = std::fs::remove_dir_all(&db.dir);
}

both_backends!(
    a_draining_replica_finishes_running_answers_and_refuses_new_ones,
    at_the_deadline_a_running_answer_is_kept_partial_and_can_be_continued,
    migrations_only_expand_unless_listed_as_contracts,
);

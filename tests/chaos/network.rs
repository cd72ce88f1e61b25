//! Network faults between Confab and its dependencies, through [`FaultProxy`]: the provider
//! (latency, bandwidth, a reset mid-answer, a blackhole, a half-open connection, a slow close),
//! PostgreSQL (a blackhole, every connection reset, latency) and Redis (a blackhole, latency,
//! every connection reset mid-answer); OpenSearch's are in the API suite (`tests/api/opensearch.rs`).
//! Each has its documented behaviour, checked while the fault lasts; once it clears, new turns
//! work and the invariants hold.

use crate::invariants::{self, answer, stored};
use confab_tests::faults::{Fault, FaultProxy};
use confab_tests::redis::RedisServer;
use confab_tests::reliability::{Check, record, record_variant};
use confab_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A server whose provider is the scripted upstream behind a fault proxy.
async fn behind_proxy(b: Backend) -> (ScriptedUpstream, FaultProxy, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let proxy = FaultProxy::start(upstream.base_url().trim_start_matches("http://")).await;
    let app = TestApp::spawn_with(b, Options::default().upstream_at(&format!("http://{}", proxy.addr()))).await;
    let api = app.admin().await;
    (upstream, proxy, app, api)
}

/// Sends a turn (JSON) and waits for its end; returns (the final message, how long it took).
async fn turn(api: &Api, content: &str) -> (Value, Duration) {
    let conv = api.conversation().await;
    let started = Instant::now();
    let key = uuid::Uuid::new_v4().to_string();
    let (s, t) = api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            &key,
            json!({ "content": content, "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{t}");
    let done = api.wait_final(t["assistant_message"]["id"].as_str().unwrap()).await;
    (done, started.elapsed())
}

/// After the fault: a new turn completes and the invariants hold.
async fn recovered(app: &TestApp, api: &Api) {
    let (done, _) = turn(api, "[upstream tokens=5] after the fault").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["content"], answer(5).as_str());
    invariants::hold(app).await;
}

static PROVIDER_LATENCY: Check = Check {
    id: "2.01",
    fault: "provider: 300 ms latency on every packet",
    expected: "answers complete, whole and in order (slower)",
    how: "fault proxy `Latency(300ms)` in front of the scripted provider; a turn of 8 tokens",
};

static PROVIDER_BANDWIDTH: Check = Check {
    id: "2.02",
    fault: "provider: bandwidth limited to 2 KB/s",
    expected: "answers complete, whole and in order",
    how: "fault proxy `Bandwidth(2000)`; a turn of 20 tokens",
};

static PROVIDER_RESET: Check = Check {
    id: "2.03",
    fault: "provider: connection reset mid-answer",
    expected: "`partial` (`upstream_stream_broken`) with the text received; no retry after the first byte (one provider call)",
    how: "fault proxy `ResetAfter(1500 bytes)`; provider call count",
};

static PROVIDER_RETRY: Check = Check {
    id: "2.04",
    fault: "provider: 503 before the first byte (twice)",
    expected: "retried before the first byte only (`max_retries`), then `completed`",
    how: "`fail_first=2` through the fault proxy; three provider calls",
};

static PROVIDER_BLACKHOLE: Check = Check {
    id: "2.05",
    fault: "provider: blackhole (nothing comes back, connection open)",
    expected: "`failed` (`upstream_timeout`) at the first-byte deadline (2 s in the test config), not hanging",
    how: "fault proxy `Blackhole`; time to the final state < 6 s",
};

static PROVIDER_HALF_OPEN: Check = Check {
    id: "2.06",
    fault: "provider: half-open mid-answer (requests go out, nothing comes back)",
    expected: "`partial` (`upstream_timeout`) with the text so far at the idle deadline (1 s in the test config)",
    how: "fault proxy switched to `HalfOpen` after the first tokens arrived",
};

static PROVIDER_SLOW_CLOSE: Check = Check {
    id: "2.07",
    fault: "provider: slow close (the connection's end comes 10 s after an answer that has no `[DONE]`)",
    expected: "`completed` once the provider said it finished (`finish_reason`), whole; not a timeout",
    how: "a provider that closes after each answer, behind the fault proxy with `SlowClose(10s)`",
};

async fn provider_faults_have_their_documented_outcomes(b: Backend) {
    let (upstream, proxy, app, api) = behind_proxy(b).await;

    let r = record(&PROVIDER_LATENCY, b);
    proxy.set(Fault::Latency(Duration::from_millis(300)));
    let (done, took) = turn(&api, "[upstream tokens=8] latency").await;
    assert_eq!((done["status"].as_str(), done["content"].as_str()), (Some("completed"), Some(answer(8).as_str())));
    assert!(took >= Duration::from_millis(300), "{took:?}");
    proxy.clear();
    drop(r);

    let r = record(&PROVIDER_BANDWIDTH, b);
    proxy.set(Fault::Bandwidth(2000));
    let (done, _) = turn(&api, "[upstream tokens=20] bandwidth").await;
    assert_eq!((done["status"].as_str(), done["content"].as_str()), (Some("completed"), Some(answer(20).as_str())));
    proxy.clear();
    drop(r);

    let r = record(&PROVIDER_RESET, b);
    // A fresh connection: the byte count is per connection.
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.set(Fault::ResetAfter(1500));
    let calls = upstream.calls();
    let (done, _) = turn(&api, "[upstream tokens=40 delay_ms=10] reset").await;
    assert_eq!(done["status"], "partial", "{done}");
    assert_eq!(done["error"]["code"], "upstream_stream_broken");
    let text = done["content"].as_str().unwrap();
    assert!(!text.is_empty() && answer(40).starts_with(text), "{text:?}");
    assert_eq!(upstream.calls(), calls + 1, "no retry after the first byte");
    proxy.clear();
    drop(r);

    let r = record(&PROVIDER_RETRY, b);
    let calls = upstream.calls();
    let (done, _) = turn(&api, "[upstream fail_first=2] retried").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(upstream.calls(), calls + 3);
    drop(r);

    let r = record(&PROVIDER_BLACKHOLE, b);
    proxy.set(Fault::Blackhole);
    let (done, took) = turn(&api, "[upstream tokens=5] blackhole").await;
    assert_eq!((done["status"].as_str(), done["error"]["code"].as_str()), (Some("failed"), Some("upstream_timeout")));
    assert!(took < Duration::from_secs(6), "ended after {took:?}");
    proxy.clear();
    proxy.cut();
    // Let the server's HTTP client notice its pooled connections were reset.
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(r);

    let r = record(&PROVIDER_HALF_OPEN, b);
    let conv = api.conversation().await;
    let (s, t) = api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "half-open",
            json!({ "content": "[upstream tokens=60 delay_ms=50] half open", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let id = t["assistant_message"]["id"].as_str().unwrap().to_string();
    let mut sse = api.attach(&id, None).await;
    let mut seen = String::new();
    while let Some(e) = sse.next().await {
        if e.event == "message.delta" {
            seen.push_str(e.data["content"].as_str().unwrap());
            if seen.len() > 20 {
                break;
            }
        }
    }
    proxy.set(Fault::HalfOpen);
    let started = Instant::now();
    let done = api.wait_final(&id).await;
    assert_eq!((done["status"].as_str(), done["error"]["code"].as_str()), (Some("partial"), Some("upstream_timeout")));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(done["content"].as_str().unwrap().starts_with(&seen));
    proxy.clear();
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(r);

    recovered(&app, &api).await;
}

async fn a_slow_close_after_a_finished_answer_completes_it(b: Backend) {
    let _r = record(&PROVIDER_SLOW_CLOSE, b);
    let provider = crate::fuzz::FuzzedProvider::start().await;
    let proxy = FaultProxy::start(&format!("127.0.0.1:{}", provider.port)).await;
    let app = TestApp::spawn_with(b, Options::default().upstream_at(&format!("http://{}", proxy.addr()))).await;
    let api = app.admin().await;
    let mut body = String::new();
    for i in 0..5 {
        body.push_str(&format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {"content": format!("t{i} ")}}]})
        ));
    }
    body.push_str(&format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})));
    provider.push(body.into_bytes());
    proxy.set(Fault::SlowClose(Duration::from_secs(10)));
    let (done, took) = turn(&api, "slow close").await;
    assert_eq!(
        (done["status"].as_str(), done["content"].as_str()),
        (Some("completed"), Some(answer(5).as_str())),
        "{done}"
    );
    // Well under the 10 s close, whatever the machine's load: it did not wait for the close.
    assert!(took < Duration::from_secs(8), "{took:?}");
    invariants::hold(&app).await;
}

/// A PostgreSQL server behind a fault proxy: (proxy, the database, options reaching it through
/// the proxy).
async fn postgres_behind_proxy(upstream: &ScriptedUpstream) -> (FaultProxy, TestApp) {
    let db = TestDb::new(Backend::Postgres).await;
    let rest = db.url.strip_prefix("postgres://").unwrap();
    let (auth, after) = rest.split_once('@').unwrap();
    let (hostport, name) = after.split_once('/').unwrap();
    let proxy = FaultProxy::start(hostport).await;
    let url = format!("postgres://{auth}@{}/{name}", proxy.addr());
    let app = TestApp::spawn_on(db, Options::default().upstream(upstream).env("CONFAB_DATABASE__URL", &url)).await;
    (proxy, app)
}

async fn readyz(app: &TestApp) -> Result<(StatusCode, Value), String> {
    let resp = reqwest::Client::new()
        .get(app.url("/readyz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    Ok((status, resp.json().await.unwrap_or(Value::Null)))
}

static DB_BLACKHOLE: Check = Check {
    id: "2.10",
    fault: "PostgreSQL: blackhole (packets dropped, connections open)",
    expected: "`/readyz` 503 with `database: unreachable` within its deadline; API calls 503 `unavailable` within the pool's 10 s acquire deadline, none hangs; all works again when it clears",
    how: "fault proxy between Confab and PostgreSQL; `/readyz`, a read and a send during the fault; invariants after",
};

static DB_RESET: Check = Check {
    id: "2.11",
    fault: "PostgreSQL: every connection reset at once",
    expected: "at most the requests in flight fail (503); the pool reconnects; nothing lost",
    how: "fault proxy `cut`, then 20 reads and a turn",
};

static DB_DURING_TURN: Check = Check {
    id: "2.12",
    fault: "PostgreSQL: 3 s outage while an answer streams",
    expected: "the answer keeps streaming to the client; flushes resume and the final write retries until it lands: `completed`, usage once",
    how: "fault proxy `Blackhole` for 3 s mid-answer, then `cut` (the stuck connections reset)",
};

static DB_LATENCY: Check = Check {
    id: "2.13",
    fault: "PostgreSQL: 50 ms latency on every packet",
    expected: "everything works, slower",
    how: "fault proxy `Latency(50ms)`; sign-in, a turn, a list",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_faults_have_their_documented_outcomes() {
    let upstream = ScriptedUpstream::start().await;
    let (proxy, app) = postgres_behind_proxy(&upstream).await;
    let api = app.admin().await;
    let pg = "PostgreSQL";

    let r = record_variant(&DB_LATENCY, pg);
    proxy.set(Fault::Latency(Duration::from_millis(50)));
    let (done, _) = turn(&api, "[upstream tokens=5] db latency").await;
    assert_eq!(done["status"], "completed");
    api.get_json("/v1/conversations").await;
    proxy.clear();
    drop(r);

    let r = record_variant(&DB_RESET, pg);
    proxy.cut();
    let mut failures = 0;
    for _ in 0..20 {
        let (s, body) = api.send(reqwest::Method::GET, "/v1/conversations", None).await;
        match s.as_u16() {
            200 => {}
            503 => failures += 1,
            other => panic!("{other}: {body}"),
        }
    }
    assert!(failures <= 2, "{failures} of 20 reads failed after a reset");
    let (done, _) = turn(&api, "[upstream tokens=5] after reset").await;
    assert_eq!(done["status"], "completed");
    drop(r);

    let r = record_variant(&DB_DURING_TURN, pg);
    let conv = api.conversation().await;
    let (s, t) = api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "db-outage",
            json!({ "content": "[upstream tokens=60 delay_ms=50] db outage", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let id = t["assistant_message"]["id"].as_str().unwrap().to_string();
    let mut sse = api.attach(&id, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.set(Fault::Blackhole);
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.clear();
    proxy.cut();
    let events = sse.rest().await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    let done = api.wait_final(&id).await;
    assert_eq!((done["status"].as_str(), done["content"].as_str()), (Some("completed"), Some(answer(60).as_str())));
    let db = app.db.connect().await;
    assert_eq!(stored(&db, &id).await.usage_events, 1);
    drop(r);

    let r = record_variant(&DB_BLACKHOLE, pg);
    proxy.set(Fault::Blackhole);
    proxy.cut();
    let started = Instant::now();
    let (status, body) = readyz(&app).await.expect("/readyz answers during a database blackhole");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["database"], "unreachable", "{body}");
    assert!(started.elapsed() < Duration::from_secs(5), "/readyz took {:?}", started.elapsed());
    let started = Instant::now();
    let resp = api
        .request(reqwest::Method::GET, "/v1/conversations")
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("a read during a database blackhole gets an answer");
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(error_code(status, &body, 503), "unavailable");
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    proxy.clear();
    for _ in 0..50 {
        if readyz(&app).await.is_ok_and(|(s, _)| s == StatusCode::OK) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(readyz(&app).await.unwrap().0, StatusCode::OK);
    recovered(&app, &api).await;
    drop(r);
}

static REDIS_BLACKHOLE: Check = Check {
    id: "2.20",
    fault: "Redis (two replicas): blackhole",
    expected: "`/readyz` stays 200 with `redis: unreachable` (reads are served); new turns 503 `unavailable` within the Redis timeout; all works again when it clears",
    how: "fault proxy between both replicas and Redis; a read, a send and `/readyz` during the fault; invariants after",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_blackhole_refuses_turns_quickly_and_recovers() {
    let _r = record_variant(&REDIS_BLACKHOLE, "PostgreSQL, Redis");
    let upstream = ScriptedUpstream::start().await;
    let redis = RedisServer::start();
    let proxy = FaultProxy::start(&format!("127.0.0.1:{}", redis.port)).await;
    let opts = Options::default().upstream(&upstream).env("CONFAB_REDIS__URL", &format!("redis://{}", proxy.addr()));
    let a = TestApp::spawn_with(Backend::Postgres, opts).await;
    let b = a.replica(&[]);
    let api = a.admin().await;
    let conv = api.conversation().await;
    proxy.set(Fault::Blackhole);
    proxy.cut();
    let started = Instant::now();
    let (s, body) = api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "redis-down",
            json!({ "content": "[upstream tokens=3] hi", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(error_code(s, &body, 503), "unavailable");
    assert!(started.elapsed() < Duration::from_secs(5), "refused after {:?}", started.elapsed());
    api.get_json("/v1/conversations").await;
    api.on(&b).get_json("/v1/conversations").await;
    let (status, ready) = readyz(&a).await.expect("/readyz answers during a Redis blackhole");
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["checks"]["redis"], "unreachable", "{ready}");
    proxy.clear();
    let mut ok = false;
    for _ in 0..50 {
        let key = uuid::Uuid::new_v4().to_string();
        let (s, t) = api
            .post_idem(
                &format!("/v1/conversations/{conv}/messages"),
                &key,
                json!({ "content": "[upstream tokens=3] back", "model": "gpt-4o" }),
            )
            .await;
        if s == StatusCode::ACCEPTED {
            let done = api.wait_final(t["assistant_message"]["id"].as_str().unwrap()).await;
            assert_eq!(done["status"], "completed");
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ok, "turns are admitted again after Redis comes back");
    invariants::hold(&a).await;
}

static REDIS_LATENCY: Check = Check {
    id: "2.22",
    fault: "Redis (two replicas): 50 ms latency on every packet",
    expected: "turns are admitted and complete; a reader on the other replica gets the whole answer, in order",
    how: "fault proxy `Latency(50ms)` between both replicas and Redis; a turn on A read live from B",
};

static REDIS_RESET: Check = Check {
    id: "2.23",
    fault: "Redis (two replicas): every connection reset mid-answer",
    expected: "the answer completes whole; the reader on the other replica gets all of it, no gap or duplicate (from Redis or the database); new turns are admitted after",
    how: "fault proxy `cut` after the B reader's fifth delta; then another turn",
};

/// A turn sent to A and read live on B; `during` runs after the reader's fifth delta. Returns the
/// stored answer and what B's reader got.
async fn turn_read_on_b(api: &Api, b: &TestApp, conv: &str, during: impl FnOnce()) -> (Value, String) {
    let key = uuid::Uuid::new_v4().to_string();
    let (s, t) = api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            &key,
            json!({ "content": "[upstream tokens=30 delay_ms=30] tell me", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{t}");
    let id = t["assistant_message"]["id"].as_str().unwrap().to_string();
    let mut sse = api.on(b).attach(&id, None).await;
    let mut events = Vec::new();
    let mut during = Some(during);
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(e) = sse.next().await {
            let last = !matches!(e.event.as_str(), "message.delta" | "message.created");
            events.push(e);
            if events.iter().filter(|e| e.event == "message.delta").count() == 5
                && let Some(f) = during.take()
            {
                f();
            }
            if last {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "B's reader got the end");
    let done = api.wait_final(&id).await;
    (done, deltas(&events))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_latency_and_resets_leave_answers_whole_on_both_replicas() {
    let upstream = ScriptedUpstream::start().await;
    let redis = RedisServer::start();
    let proxy = FaultProxy::start(&format!("127.0.0.1:{}", redis.port)).await;
    let opts = Options::default().upstream(&upstream).env("CONFAB_REDIS__URL", &format!("redis://{}", proxy.addr()));
    let a = TestApp::spawn_with(Backend::Postgres, opts).await;
    let b = a.replica(&[]);
    let api = a.admin().await;
    let conv = api.conversation().await;

    let r = record_variant(&REDIS_LATENCY, "PostgreSQL, Redis");
    proxy.set(Fault::Latency(Duration::from_millis(50)));
    let (done, seen) = turn_read_on_b(&api, &b, &conv, || {}).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["content"], answer(30).as_str());
    assert_eq!(seen, answer(30), "B's reader got all of it, in order");
    proxy.clear();
    drop(r);

    let r = record_variant(&REDIS_RESET, "PostgreSQL, Redis");
    let (done, seen) = turn_read_on_b(&api, &b, &conv, || proxy.cut()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["content"], answer(30).as_str());
    assert_eq!(seen, answer(30), "no gap or duplicate after the reset");
    let (done, seen) = turn_read_on_b(&api, &b, &conv, || {}).await;
    assert_eq!((done["status"].as_str(), seen.as_str()), (Some("completed"), answer(30).as_str()));
    drop(r);
    invariants::hold(&a).await;
}

both_backends!(provider_faults_have_their_documented_outcomes, a_slow_close_after_a_finished_answer_completes_it);

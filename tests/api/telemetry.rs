//! Per-stage metrics, `/metrics` protection (its own listener, a bearer token), the timings
//! browsers report, and the chart's dashboard and alerts checked against what a real server
//! exports after a turn.
use confab_tests::redis::RedisServer;
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

async fn setup(b: Backend, opts: Options) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, opts.upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

async fn scrape(app: &TestApp) -> String {
    let resp = app.anonymous().get("/metrics").await;
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

/// The value of one exposition line, e.g. `name{labels}` → its number.
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).map(|v| v.parse().unwrap()))
}

/// A streamed turn through a fail-open plugin: every stage of it shows in `/metrics`.
async fn a_streamed_turn_records_every_stage(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    // A plugin that fails, open: it runs (and is timed) and the turn goes on without it.
    let crasher = crate::plugins::request_fixture("unreachable");
    let manifest = json!({ "name": "crasher", "version": "0.0.1", "hooks": ["transform_request"],
                           "failure_policy": "fail_open" });
    let (s, body) = crate::plugins::upload(&admin, &manifest, &crasher).await;
    assert_eq!(s, 201, "{body}");
    crate::plugins::enable(&admin, "crasher", json!({ "version": "0.0.1", "enabled": true })).await;

    let conv = admin.conversation().await;
    let resp = admin
        .stream(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=8 delay_ms=30] hi", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let events = SseReader::new(resp).rest().await;
    assert_eq!(events.last().unwrap().event, "message.completed", "{events:?}");

    let m = scrape(&app).await;
    for family in [
        "confab_admission_duration_seconds histogram",
        "confab_persistence_duration_seconds histogram",
        "confab_plugin_duration_seconds histogram",
        "confab_provider_connect_seconds histogram",
        "confab_provider_first_byte_seconds histogram",
        "confab_chat_time_to_first_token_seconds histogram",
        "confab_chat_first_delta_written_seconds histogram",
        "confab_chat_turn_duration_seconds histogram",
        "confab_chat_output_tokens_per_second histogram",
        "confab_chat_flush_batch_streams histogram",
        "confab_chat_flush_duration_seconds histogram",
        "confab_database_latency_seconds histogram",
        "confab_chat_turns_total counter",
        "confab_provider_errors_total counter",
        "confab_chat_flush_failures_total counter",
        "confab_chat_open_streams gauge",
    ] {
        let name = family.split(' ').next().unwrap();
        assert!(m.contains(&format!("# TYPE {family}\n")), "no TYPE line for {family}:\n{m}");
        assert!(m.contains(&format!("# HELP {name} ")), "no HELP line for {name}");
    }
    for (series, expected) in [
        ("confab_admission_duration_seconds_count{stage=\"limits\"}", 1.0),
        ("confab_admission_duration_seconds_count{stage=\"quota\"}", 1.0),
        ("confab_persistence_duration_seconds_count{stage=\"turn_commit\"}", 1.0),
        ("confab_persistence_duration_seconds_count{stage=\"final_write\"}", 1.0),
        ("confab_plugin_duration_seconds_count{plugin=\"crasher\",hook=\"request\"}", 1.0),
        ("confab_provider_connect_seconds_count{provider=\"openai\"}", 1.0),
        ("confab_provider_first_byte_seconds_count{provider=\"openai\"}", 1.0),
        ("confab_chat_time_to_first_token_seconds_count", 1.0),
        ("confab_chat_first_delta_written_seconds_count", 1.0),
        ("confab_chat_turn_duration_seconds_count{outcome=\"completed\"}", 1.0),
        ("confab_chat_output_tokens_per_second_count", 1.0),
        ("confab_chat_turns_total{outcome=\"completed\"}", 1.0),
        ("confab_chat_open_streams", 0.0),
        ("confab_database_up", 1.0),
        ("confab_database_latency_seconds_count{op=\"ping\"}", 1.0),
    ] {
        assert_eq!(value(&m, series), Some(expected), "{series} in:\n{m}");
    }
    // Every authenticated request so far (sign-in excepted) passed the auth stage.
    assert!(value(&m, "confab_admission_duration_seconds_count{stage=\"auth\"}").unwrap() >= 4.0, "{m}");
    // 8 tokens 30 ms apart: the text was flushed in batches of one stream.
    assert!(value(&m, "confab_chat_flush_batch_streams_count").unwrap() >= 1.0, "{m}");
    assert!(value(&m, "confab_chat_flush_batch_streams_bucket{le=\"1\"}").unwrap() >= 1.0, "{m}");
    assert_eq!(value(&m, "confab_chat_flush_failures_total"), None, "no failed flush: no series");
    // The turn's duration covers the whole stream (8 × 30 ms), the first token came earlier.
    assert!(value(&m, "confab_chat_turn_duration_seconds_sum{outcome=\"completed\"}").unwrap() >= 0.2, "{m}");
    let ttft = value(&m, "confab_chat_time_to_first_token_seconds_sum").unwrap();
    assert!(ttft < value(&m, "confab_chat_turn_duration_seconds_sum{outcome=\"completed\"}").unwrap());
    // Bounded labels: no tenant, user, conversation or message ids anywhere by default.
    let tenant = admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    assert!(!m.contains(&tenant) && !m.contains(&conv), "an id leaked into a label");
}

/// `metrics.tenant_label = true` adds the tenant to the per-turn series.
async fn the_tenant_label_is_opt_in(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default().env("CONFAB_METRICS__TENANT_LABEL", "true")).await;
    let conv = admin.conversation().await;
    let (s, body) = admin
        .post_idem(&format!("/v1/conversations/{conv}/messages"), "k1", json!({ "content": "hi", "model": "gpt-4o" }))
        .await;
    assert_eq!(s, 202, "{body}");
    admin.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    let tenant = admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let m = scrape(&app).await;
    let series = format!("confab_chat_turn_duration_seconds_count{{outcome=\"completed\",tenant=\"{tenant}\"}}");
    assert_eq!(value(&m, &series), Some(1.0), "{series} in:\n{m}");
}

/// With `metrics.token` (here from a `_FILE`), `/metrics` needs it, on every listener.
async fn the_metrics_token_is_required_when_set(b: Backend) {
    let dir = std::env::temp_dir().join(format!("confab-metrics-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("token-{b:?}"));
    std::fs::write(&file, "scrape-token-0123456789\n").unwrap();
    let app =
        TestApp::spawn_with(b, Options::default().env("CONFAB_METRICS__TOKEN_FILE", file.to_str().unwrap())).await;
    let client = reqwest::Client::new();
    let admin_base = app.admin_base.clone().unwrap();
    for base in [app.base.clone(), admin_base] {
        let url = format!("{base}/metrics");
        for auth in [
            None,
            Some("Bearer wrong-token-0123456789"),
            Some("Bearer scrape-token-012345678"),
            Some("scrape-token-0123456789"),
        ] {
            let mut req = client.get(&url);
            if let Some(auth) = auth {
                req = req.header("Authorization", auth);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{url} with {auth:?}");
            assert_eq!(resp.headers()["www-authenticate"], "Bearer");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthenticated", "{body}");
            assert!(body["error"]["request_id"].is_string(), "{body}");
        }
        let resp = client.get(&url).bearer_auth("scrape-token-0123456789").send().await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        assert!(resp.text().await.unwrap().contains("confab_database_up 1"));
    }
    // The rest of the API is untouched by it.
    assert_eq!(app.anonymous().get_json("/healthz").await["status"], "ok");
    std::fs::remove_dir_all(&dir).ok();
}

/// With `metrics.listen`, `/metrics` moves to its own listener: the API and console ports stop
/// serving it.
async fn metrics_on_their_own_listener(b: Backend) {
    let app = TestApp::spawn_with(b, Options::default().env("CONFAB_METRICS__LISTEN", "127.0.0.1:0")).await;
    let url = app
        .stdout_lines
        .iter()
        .find_map(|l| l.strip_prefix("confab: metrics on "))
        .unwrap_or_else(|| panic!("no metrics listener announced: {:?}", app.stdout_lines))
        .to_string();
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert!(resp.text().await.unwrap().contains("# TYPE confab_database_up gauge"));
    // Only /metrics there.
    let other = url.replace("/metrics", "/v1/me");
    assert_eq!(reqwest::get(&other).await.unwrap().status(), 404);
    for base in [app.base.clone(), app.admin_base.clone().unwrap()] {
        let resp = reqwest::get(format!("{base}/metrics")).await.unwrap();
        assert_eq!(resp.status(), 404, "{base}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
}

/// Browsers report what their users waited; it lands in the `confab_client_…` histograms.
async fn client_timings_are_validated_and_aggregated(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let conv = admin.conversation().await;
    let (s, body) = admin
        .post_idem(&format!("/v1/conversations/{conv}/messages"), "k1", json!({ "content": "hi", "model": "gpt-4o" }))
        .await;
    assert_eq!(s, 202, "{body}");
    let answer = body["assistant_message"]["id"].as_str().unwrap().to_string();
    let question = body["user_message"]["id"].as_str().unwrap().to_string();
    admin.wait_final(&answer).await;
    let path = "/v1/telemetry/turn-timings";

    let (s, body) = admin
        .send(
            Method::POST,
            path,
            Some(json!({ "message_id": answer, "send_to_first_token_ms": 420, "send_to_complete_ms": 1800 })),
        )
        .await;
    assert_eq!(s, 204, "{body}");
    // Only one of the two (the answer failed before its first token, or was left early).
    let (s, _) =
        admin.send(Method::POST, path, Some(json!({ "message_id": answer, "send_to_complete_ms": 700 }))).await;
    assert_eq!(s, 204);
    let m = scrape(&app).await;
    assert_eq!(value(&m, "confab_client_time_to_first_token_seconds_count"), Some(1.0), "{m}");
    assert_eq!(value(&m, "confab_client_time_to_first_token_seconds_sum"), Some(0.42), "{m}");
    assert_eq!(value(&m, "confab_client_time_to_first_token_seconds_bucket{le=\"0.5\"}"), Some(1.0), "{m}");
    assert_eq!(value(&m, "confab_client_turn_duration_seconds_count"), Some(2.0), "{m}");
    assert_eq!(value(&m, "confab_client_turn_duration_seconds_bucket{le=\"1\"}"), Some(1.0), "{m}");

    // Signed out: 401.
    let (s, body) =
        app.anonymous().send(Method::POST, path, Some(json!({ "message_id": answer, "send_to_complete_ms": 1 }))).await;
    assert_eq!(error_code(s, &body, 401), "unauthenticated");
    // Out of range, inconsistent or empty: 422 naming the field.
    for (bad, field) in [
        (
            json!({ "message_id": answer, "send_to_first_token_ms": 3_600_001, "send_to_complete_ms": 3_600_002 }),
            "send_to_first_token_ms",
        ),
        (json!({ "message_id": answer, "send_to_complete_ms": 3_600_001 }), "send_to_complete_ms"),
        (
            json!({ "message_id": answer, "send_to_first_token_ms": 900, "send_to_complete_ms": 800 }),
            "send_to_first_token_ms",
        ),
        (json!({ "message_id": answer }), "send_to_complete_ms"),
        (json!({ "message_id": question, "send_to_complete_ms": 5 }), "message_id"),
    ] {
        let (s, body) = admin.send(Method::POST, path, Some(bad.clone())).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{bad}");
        assert!(body["error"]["message"].as_str().unwrap().contains(field), "{bad}: {body}");
    }
    // Someone else's answer, or none at all: 404.
    app.create_user(&admin, "ann@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let (s, body) = ann.send(Method::POST, path, Some(json!({ "message_id": answer, "send_to_complete_ms": 5 }))).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let (s, body) = admin
        .send(Method::POST, path, Some(json!({ "message_id": uuid::Uuid::new_v4(), "send_to_complete_ms": 5 })))
        .await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    // Nothing refused moved a histogram.
    let m = scrape(&app).await;
    assert_eq!(value(&m, "confab_client_turn_duration_seconds_count"), Some(2.0), "{m}");
    // Rate-limited per user.
    let mut limited = false;
    for _ in 0..70 {
        let (s, body) =
            ann.send(Method::POST, path, Some(json!({ "message_id": answer, "send_to_complete_ms": 5 }))).await;
        if s == 429 {
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
            limited = true;
            break;
        }
    }
    assert!(limited, "60 reports a minute, then 429");
}

fn chart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../helm/confab")
}

/// The metric names an expression text uses (histogram series reduced to their family).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("confab_") {
        let start = i + at;
        let before_ok = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let end =
            text[start..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(text.len(), |n| start + n);
        if before_ok {
            let name = &text[start..end];
            let family = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
            names.insert(family.to_string());
        }
        i = end;
    }
    names
}

/// Every metric the chart's Grafana dashboard and PrometheusRule alerts use is exported by a real
/// server (with Redis, and OpenSearch configured but unreachable, so its gauges show) after a
/// turn and a client report.
async fn the_dashboard_and_alerts_use_only_exported_metrics(b: Backend) {
    let redis = RedisServer::start();
    let opts = Options::default()
        .env("CONFAB_REDIS__URL", &redis.url())
        .env("CONFAB_SEARCH__BACKEND", "opensearch")
        .env("CONFAB_OPENSEARCH__URL", "http://127.0.0.1:9")
        .env("CONFAB_OPENSEARCH__TIMEOUT_MS", "500");
    let (_upstream, app, admin) = setup(b, opts).await;
    let conv = admin.conversation().await;
    let (s, body) = admin
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "[upstream tokens=8 delay_ms=20] hi", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, 202, "{body}");
    let answer = body["assistant_message"]["id"].as_str().unwrap().to_string();
    admin.wait_final(&answer).await;
    let (s, _) = admin
        .send(
            Method::POST,
            "/v1/telemetry/turn-timings",
            Some(json!({ "message_id": answer, "send_to_first_token_ms": 300, "send_to_complete_ms": 900 })),
        )
        .await;
    assert_eq!(s, 204);
    let m = scrape(&app).await;
    assert_eq!(value(&m, "confab_redis_up"), Some(1.0), "{m}");
    assert_eq!(value(&m, "confab_search_up"), Some(0.0), "{m}");
    assert!(value(&m, "confab_search_outbox_backlog").unwrap() >= 1.0, "the turn waits to be indexed:\n{m}");
    assert!(value(&m, "confab_redis_latency_seconds_count{op=\"ping\"}").is_some(), "{m}");
    assert!(value(&m, "confab_redis_latency_seconds_count{op=\"stream_append\"}").unwrap() >= 1.0, "{m}");
    let exported: BTreeSet<String> = m
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();

    let mut used = BTreeSet::new();
    let dashboards = chart().join("dashboards");
    let mut panels = 0;
    for entry in std::fs::read_dir(&dashboards).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let dashboard: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(dashboard["uid"].is_string() && dashboard["title"].is_string(), "{}", path.display());
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap();
                let names = metric_names(expr);
                assert!(!names.is_empty(), "{}: a panel without a Confab metric: {expr}", path.display());
                used.extend(names);
                panels += 1;
            }
        }
    }
    assert!(panels >= 10, "{panels} panel queries");
    let rules = std::fs::read_to_string(chart().join("templates/prometheusrule.yaml")).unwrap();
    let alerts = rules.matches("- alert: ").count();
    assert!(alerts >= 5, "{alerts} alerts");
    used.extend(metric_names(&rules));
    let missing: Vec<_> = used.difference(&exported).collect();
    assert!(missing.is_empty(), "the dashboard or alerts use metrics the server does not export: {missing:?}");
    for expected in ["confab_chat_time_to_first_token_seconds", "confab_search_outbox_backlog", "confab_redis_up"] {
        assert!(used.contains(expected), "the dashboard and alerts do not use {expected}");
    }
}

both_backends!(
    a_streamed_turn_records_every_stage,
    the_tenant_label_is_opt_in,
    the_metrics_token_is_required_when_set,
    metrics_on_their_own_listener,
    client_timings_are_validated_and_aggregated,
    the_dashboard_and_alerts_use_only_exported_metrics,
);

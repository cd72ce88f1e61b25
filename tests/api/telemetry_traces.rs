//! OpenTelemetry traces end to end: a turn against the scripted upstream becomes one trace, with
//! a span per stage under the turn's span, received by a real OTLP/HTTP receiver decoding the
//! protobuf the way a collector does; the caller's `traceparent` is continued and passed on to
//! the model provider; nothing of the conversation's content is in any span; with traces off
//! nothing is exported or propagated; and a collector that is down costs a turn nothing.
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The caller's trace context: trace id, parent span id.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// Every stage of a turn, each a direct child of the `turn` span.
const STAGES: &[&str] = &[
    "turn.admission.limits",
    "turn.plan",
    "turn.admission.quota",
    "turn.persist.user_message",
    "turn.plugin",
    "turn.provider.connect",
    "turn.provider.first_byte",
    "turn.first_delta",
    "turn.completion",
    "turn.persist.final",
];

async fn setup(b: Backend, env: &[(&str, &str)]) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let mut opts = Options::default().upstream(&upstream);
    for (k, v) in env {
        opts = opts.env(k, v);
    }
    let app = TestApp::spawn_with(b, opts).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// A request transform that leaves the request as it is (its outcome, at address 16, is zeros).
async fn enable_a_plugin(admin: &Api) {
    let component = super::plugins::request_fixture("(i32.const 16)");
    let manifest = json!({ "name": "passer", "version": "0.0.1", "hooks": ["transform_request"],
                           "failure_policy": "fail_open" });
    let (s, body) = super::plugins::upload(admin, &manifest, &component).await;
    assert_eq!(s, 201, "{body}");
    super::plugins::enable(admin, "passer", json!({ "version": "0.0.1", "enabled": true })).await;
}

/// Streams one turn, with the caller's `traceparent` when given; returns its events.
async fn streamed_turn(admin: &Api, key: &str, content: &str, traceparent: Option<&str>) -> Vec<SseEvent> {
    let conv = admin.conversation().await;
    let mut req = admin
        .request(Method::POST, &format!("/v1/conversations/{conv}/messages"))
        .header("Idempotency-Key", key)
        .header("Accept", "text/event-stream")
        .json(&json!({ "content": content, "model": "gpt-4o" }));
    if let Some(tp) = traceparent {
        req = req.header("traceparent", tp);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    SseReader::new(resp).rest().await
}

fn one<'a>(spans: &'a [otlp::RecordedSpan], name: &str) -> &'a otlp::RecordedSpan {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "exactly one `{name}` span: {found:#?}");
    found[0]
}

async fn a_turn_is_one_trace_with_a_span_per_stage(b: Backend) {
    let receiver = OtlpReceiver::start().await;
    let endpoint = receiver.endpoint();
    let (upstream, app, admin) = setup(
        b,
        &[
            ("CONFAB_TELEMETRY__OTLP_ENDPOINT", endpoint.as_str()),
            ("CONFAB_TELEMETRY__SERVICE_NAME", "confab-test"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;
    enable_a_plugin(&admin).await;
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let content = "[upstream tokens=3 text=zebracanary] the secret plan is bluecanary";
    let events = streamed_turn(&admin, "k1", content, Some(&traceparent)).await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "message.completed", "{:?}", last.data);
    let message = &last.data["message"];
    let assistant = message["id"].as_str().unwrap();
    let user = events[0].data["user_message_id"].as_str().unwrap();
    let conversation = events[0].data["conversation_id"].as_str().unwrap();

    let spans = receiver.wait_for("turn", 20).await;
    // Give the stages that end with the turn a moment to be exported with it.
    let spans = if STAGES.iter().all(|n| spans.iter().any(|s| s.name == *n)) {
        spans
    } else {
        receiver.wait_for("turn.persist.final", 10).await
    };
    let names: BTreeSet<&str> = spans.iter().map(|s| s.name.as_str()).collect();

    // One trace: the caller's, with the turn under the request and every stage under the turn.
    let turn = one(&spans, "turn");
    assert_eq!(turn.trace_id, CALLER_TRACE, "the incoming traceparent is continued");
    let turn_traces: BTreeSet<&str> =
        spans.iter().filter(|s| s.name.starts_with("turn")).map(|s| s.trace_id.as_str()).collect();
    assert_eq!(turn_traces.len(), 1, "one trace for the whole turn: {turn_traces:?}");
    let request = spans
        .iter()
        .find(|s| s.span_id == turn.parent_span_id)
        .unwrap_or_else(|| panic!("the turn's parent was exported: {names:?}"));
    assert_eq!(request.name, "request");
    assert_eq!(request.parent_span_id, CALLER_SPAN, "the request span is the caller's child");
    assert_eq!(request.attr("http.response.status_code"), Some("200"));
    let auth = spans.iter().find(|s| s.name == "auth" && s.parent_span_id == request.span_id);
    assert!(auth.is_some(), "authentication is a span of the request: {names:?}");
    for stage in STAGES {
        let span = one(&spans, stage);
        assert_eq!(span.trace_id, CALLER_TRACE, "{stage}");
        assert_eq!(span.parent_span_id, turn.span_id, "{stage} is a child of the turn");
        // (Ends are not compared with the turn's: a database driver's worker may still hold a
        // persistence span a moment after the turn's last step.)
        assert!(span.start_unix_nano >= turn.start_unix_nano && span.start_unix_nano <= turn.end_unix_nano, "{stage}");
    }
    // The stages come in order (the first delta's reader attaches once the turn is written).
    let start = |n: &str| one(&spans, n).start_unix_nano;
    let end = |n: &str| one(&spans, n).end_unix_nano;
    for pair in STAGES.windows(2).filter(|p| p[1] != "turn.first_delta" && p[0] != "turn.first_delta") {
        assert!(start(pair[0]) <= start(pair[1]), "{} starts before {}", pair[0], pair[1]);
    }
    assert!(start("turn.persist.user_message") <= start("turn.first_delta"));
    assert!(start("turn.provider.first_byte") <= end("turn.first_delta"), "a delta needs the provider's first byte");
    assert!(end("turn.provider.connect") <= start("turn.provider.first_byte"));
    assert!(end("turn.provider.first_byte") <= start("turn.completion"));
    assert!(end("turn.completion") <= start("turn.persist.final"));

    // The attributes: ids, model, provider, outcome and counts.
    assert_eq!(turn.resource.get("service.name").map(String::as_str), Some("confab-test"));
    assert!(turn.attr("tenant.id").is_some_and(|t| t.len() == 36), "{:?}", turn.attributes);
    assert_eq!(turn.attr("conversation.id"), Some(conversation));
    assert_eq!(turn.attr("message.id"), Some(assistant));
    assert_eq!(turn.attr("user_message.id"), Some(user));
    assert_eq!(turn.attr("action"), Some("send"));
    assert_eq!(turn.attr("model"), Some("gpt-4o"));
    assert_eq!(turn.attr("provider"), Some("openai"));
    assert_eq!(turn.attr("outcome"), Some("completed"));
    assert_eq!(turn.attr("tokens.output"), Some("3"));
    assert_eq!(turn.attr("tokens.input").map(|t| t.parse::<u64>().unwrap() > 0), Some(true));
    let plugin = one(&spans, "turn.plugin");
    assert_eq!(plugin.attr("plugin"), Some("passer"));
    assert_eq!(plugin.attr("plugin.version"), Some("0.0.1"));
    assert_eq!(plugin.attr("hook"), Some("transform_request"));
    assert!(plugin.attr("outcome").is_some(), "{:?}", plugin.attributes);
    assert_eq!(one(&spans, "turn.provider.connect").attr("outcome"), Some("ok"));

    // Never content, never secrets: not the question, not the answer, not the provider's key.
    for span in &spans {
        for (key, value) in span.attributes.iter().chain(span.resource.iter()) {
            for secret in ["canary", "secret plan", "sk-test-installation", "Bearer"] {
                assert!(!value.contains(secret), "{}: {key} = {value}", span.name);
            }
        }
    }

    // The model provider got the trace context: the same trace, the connect span as parent.
    let sent = upstream.requests();
    assert_eq!(sent.len(), 1);
    let upstream_tp = sent[0].header("traceparent").expect("a traceparent goes to the provider");
    let parts: Vec<&str> = upstream_tp.split('-').collect();
    assert_eq!(parts.len(), 4, "{upstream_tp}");
    assert_eq!(parts[1], CALLER_TRACE);
    assert_eq!(parts[2], one(&spans, "turn.provider.connect").span_id);
    assert_eq!(parts[3], "01", "sampled");

    // The histograms link to the trace: an OpenMetrics scrape carries the turn's trace id as the
    // exemplar of its time-to-first-token and duration buckets; the 0.0.4 format carries none.
    let scrape = |accept: &'static str| {
        let url = app.url("/metrics");
        async move {
            let resp = reqwest::Client::new().get(url).header("Accept", accept).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
            (content_type, resp.text().await.unwrap())
        }
    };
    let (content_type, om) = scrape("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5").await;
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let exemplar = format!(" # {{trace_id=\"{CALLER_TRACE}\"}} ");
    for family in ["confab_chat_time_to_first_token_seconds_bucket", "confab_chat_turn_duration_seconds_bucket"] {
        assert!(
            om.lines().any(|l| l.starts_with(family) && l.contains(&exemplar)),
            "{family} has the turn's trace as an exemplar:\n{om}"
        );
    }
    assert!(om.ends_with("# EOF\n"));
    let (content_type, plain) = scrape("text/plain").await;
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(!plain.contains("trace_id"), "{plain}");

    // A refused turn is traced too, saying why by kind only.
    let (s, _) = admin
        .post_idem(
            "/v1/conversations/00000000-0000-4000-8000-000000000000/messages",
            "k2",
            json!({ "content": "bluecanary", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, 404);
    let deadline = Instant::now() + Duration::from_secs(20);
    let refused = loop {
        let spans = receiver.spans();
        if let Some(turn) = spans.iter().find(|s| s.name == "turn" && s.trace_id != CALLER_TRACE) {
            break turn.clone();
        }
        assert!(Instant::now() < deadline, "the refused turn's span never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(refused.attr("outcome"), Some("refused"));
    assert_eq!(refused.attr("refusal"), Some("not_found"));
    assert_eq!(refused.attr("message.id"), None);
    assert!(refused.attributes.values().all(|v| !v.contains("canary")));
    assert_eq!(upstream.calls(), 1, "nothing more went upstream");
}

async fn without_telemetry_nothing_is_exported_or_propagated(b: Backend) {
    let receiver = OtlpReceiver::start().await;
    // The receiver runs, but nothing names it.
    let (upstream, _app, admin) = setup(b, &[]).await;
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let events = streamed_turn(&admin, "k1", "hello", Some(&traceparent)).await;
    assert_eq!(events.last().unwrap().event, "message.completed");
    let events = streamed_turn(&admin, "k2", "hello again", None).await;
    assert_eq!(events.last().unwrap().event, "message.completed");
    let sent = upstream.requests();
    assert_eq!(sent.len(), 2);
    for request in &sent {
        assert_eq!(request.header("traceparent"), None, "no trace context leaves with traces off");
        assert_eq!(request.header("tracestate"), None);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.exports(), 0);
}

async fn a_collector_that_is_down_never_slows_or_fails_a_turn(b: Backend) {
    // A port nothing listens on (bound, then released), named the standard way.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let (upstream, _app, admin) =
        setup(b, &[("OTEL_EXPORTER_OTLP_ENDPOINT", closed.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "50")]).await;
    let started = Instant::now();
    for i in 0..3 {
        let events = streamed_turn(&admin, &format!("k{i}"), "[upstream tokens=4] hello", None).await;
        let last: &Value = &events.last().unwrap().data;
        assert_eq!(events.last().unwrap().event, "message.completed", "{last}");
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "three turns took {elapsed:?}");
    // Traces are on (the environment named a collector): the context still goes upstream.
    let sent = upstream.requests();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r.header("traceparent").is_some()));
    // And the server keeps answering.
    assert!(admin.get_json("/v1/me").await["id"].is_string());
}

/// The OpenAI-compatible endpoint: one `completion` span (in the caller's trace) with its stages,
/// and the provider gets the trace context there too.
async fn an_openai_compatible_completion_is_traced_too(b: Backend) {
    let receiver = OtlpReceiver::start().await;
    let endpoint = receiver.endpoint();
    let (upstream, app, admin) =
        setup(b, &[("CONFAB_TELEMETRY__OTLP_ENDPOINT", endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "100")]).await;
    let (secret, _) = admin.create_token(json!({ "name": "traced" })).await;
    let client = app.with_token(&secret);
    let resp = client
        .request(Method::POST, "/openai/v1/chat/completions")
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .json(&json!({ "model": "gpt-4o", "messages": [{ "role": "user", "content": "[upstream tokens=2] hush canary" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body["choices"][0]["message"]["content"].is_string(), "{body}");
    let spans = receiver.wait_for("turn.persist.final", 20).await;
    let completion = one(&spans, "completion");
    assert_eq!(completion.trace_id, CALLER_TRACE);
    assert_eq!(completion.attr("model"), Some("gpt-4o"));
    assert_eq!(completion.attr("outcome"), Some("completed"));
    assert_eq!(completion.attr("tokens.output"), Some("2"));
    for stage in ["turn.admission.limits", "turn.admission.quota", "turn.provider.connect", "turn.persist.final"] {
        assert_eq!(one(&spans, stage).parent_span_id, completion.span_id, "{stage} is a child of the completion");
    }
    for span in &spans {
        assert!(span.attributes.values().all(|v| !v.contains("canary") && !v.contains(&secret)), "{span:?}");
    }
    let tp = upstream.requests()[0].header("traceparent").map(str::to_string).expect("a traceparent upstream");
    assert_eq!(tp.split('-').nth(1), Some(CALLER_TRACE));
    assert_eq!(tp.split('-').nth(2), Some(one(&spans, "turn.provider.connect").span_id.as_str()));
}

/// Spans still queued when the server stops are exported on the way out (SIGTERM).
async fn the_last_spans_are_flushed_at_exit(b: Backend) {
    let receiver = OtlpReceiver::start().await;
    let endpoint = receiver.endpoint();
    // Exports would wait a minute: only the flush at exit can deliver the spans.
    let (_upstream, mut app, admin) =
        setup(b, &[("CONFAB_TELEMETRY__OTLP_ENDPOINT", endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "60000")]).await;
    let events = streamed_turn(&admin, "k1", "[upstream tokens=2] hello", None).await;
    assert_eq!(events.last().unwrap().event, "message.completed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.spans().iter().all(|s| s.name != "turn"), "not exported before the exit");
    let started = Instant::now();
    let code = tokio::task::spawn_blocking(move || app.terminate()).await.unwrap();
    assert_eq!(code, Some(0), "a clean exit");
    let stopped = started.elapsed();
    let spans = receiver.spans();
    let turn = one(&spans, "turn");
    assert_eq!(turn.attr("outcome"), Some("completed"));
    assert!(spans.iter().any(|s| s.name == "turn.persist.final" && s.parent_span_id == turn.span_id));
    assert!(stopped < Duration::from_secs(10), "stopping took {stopped:?}");
}

both_backends!(
    a_turn_is_one_trace_with_a_span_per_stage,
    without_telemetry_nothing_is_exported_or_propagated,
    a_collector_that_is_down_never_slows_or_fails_a_turn,
    an_openai_compatible_completion_is_traced_too,
    the_last_spans_are_flushed_at_exit,
);

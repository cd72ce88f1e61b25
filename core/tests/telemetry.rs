//! The trace context helpers with the OpenTelemetry layer installed: inside a Confab span the
//! current trace id (the exemplar for histograms) and the `traceparent` sent to providers name
//! the same trace. (A test binary of its own: installing the layer turns traces on process-wide.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use confab_core::config::TelemetryConfig;
use confab_core::telemetry;
use tracing_subscriber::layer::SubscriberExt;

#[test]
fn the_current_trace_id_and_the_traceparent_name_the_same_trace() {
    assert_eq!(telemetry::current_trace_id(), None, "off until the layer is set up");
    // Nothing listens there: spans are dropped, which is all this test needs.
    let config = TelemetryConfig { otlp_endpoint: Some("http://127.0.0.1:9".into()), ..Default::default() };
    let (layer, traces) = telemetry::layer(&config).unwrap().expect("an endpoint turns traces on");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let turn = tracing::info_span!(target: "confab_core::chat", "turn");
        let _entered = turn.enter();
        let trace_id = telemetry::current_trace_id().expect("a sampled trace inside a span");
        assert_eq!(trace_id.len(), 32);
        assert!(trace_id.chars().all(|c| c.is_ascii_hexdigit()));
        let headers = telemetry::trace_headers();
        let traceparent = headers.get("traceparent").unwrap().to_str().unwrap();
        assert_eq!(traceparent.split('-').nth(1), Some(trace_id.as_str()), "{traceparent}");
        // A library's span, which is not traced, does not hide the turn's context.
        let other = tracing::info_span!(target: "hyper", "connect");
        let _inner = other.enter();
        assert_eq!(telemetry::current_trace_id().as_deref(), Some(trace_id.as_str()));
        assert_eq!(telemetry::trace_id(&turn).as_deref(), Some(trace_id.as_str()));
    });
    assert_eq!(telemetry::current_trace_id(), None, "outside any span");
    traces.shutdown();
}

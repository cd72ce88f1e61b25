//! OpenTelemetry traces: the OTLP/HTTP exporter and the `tracing` layer that feeds it, the W3C
//! trace context read from requests and sent to model providers, and the current trace id for
//! metric exemplars. Off unless an OTLP endpoint is configured: then nothing is exported, no
//! `traceparent` leaves, and every function here is a cheap no-op.
//!
//! Spans carry ids, names, counts and outcomes only — never message content, prompts, plugin
//! output or credentials.

use crate::config::TelemetryConfig;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

/// Whether traces are being exported (set once, by [`layer`]).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The standard variables that turn the exporter on when `telemetry.otlp_endpoint` is unset.
const ENV_ENDPOINTS: [&str; 2] = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"];

/// Whether traces are exported.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The exporter's tracer provider, kept by `main` to flush the last spans on exit.
pub struct Tracing {
    provider: SdkTracerProvider,
}

impl Tracing {
    /// Exports what is still queued and stops the exporter (blocks up to the export timeout; call
    /// outside the async runtime or from a blocking task).
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("confab: could not flush the last traces: {e}");
        }
    }
}

/// Where spans go: the configured endpoint (with `/v1/traces` appended to a base URL), or
/// `Some(None)` when only the standard environment variables name one (the exporter reads them
/// itself), or `None` when traces are off.
fn endpoint(config: &TelemetryConfig, env: impl Fn(&str) -> Option<String>) -> Option<Option<String>> {
    match config.otlp_endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(url) => {
            let url = url.trim_end_matches('/');
            Some(Some(if url.ends_with("/v1/traces") { url.to_string() } else { format!("{url}/v1/traces") }))
        }
        None => ENV_ENDPOINTS.iter().any(|v| env(v).is_some_and(|e| !e.trim().is_empty())).then_some(None),
    }
}

/// The `tracing` layer that exports Confab's spans, when traces are configured. Only Confab's
/// own spans are exported (not those of the libraries under it), whatever `log.level` says.
pub type BoxedLayer<S> = Box<dyn Layer<S> + Send + Sync + 'static>;

pub fn layer<S>(config: &TelemetryConfig) -> anyhow::Result<Option<(BoxedLayer<S>, Tracing)>>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let Some(endpoint) = endpoint(config, |v| std::env::var(v).ok()) else { return Ok(None) };
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_timeout(Duration::from_millis(config.export_timeout_ms.max(1)));
    if let Some(endpoint) = endpoint {
        exporter = exporter.with_endpoint(endpoint);
    }
    // Headers for the collector come from the standard `OTEL_EXPORTER_OTLP_HEADERS`.
    let exporter = exporter.build()?;
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(config.sample_ratio)));
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(config.service_name.clone()).build();
    // The batch processor exports from its own thread and drops spans when its queue is full:
    // a slow or absent collector never holds up a turn.
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("confab");
    let only_confab = Targets::new()
        .with_target("confab_core", tracing::Level::INFO)
        .with_target("confab_server", tracing::Level::INFO);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_level(false)
        .with_target(false)
        .with_filter(only_confab)
        .boxed();
    ENABLED.store(true, Ordering::Relaxed);
    Ok(Some((layer, Tracing { provider })))
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(key.as_bytes()), HeaderValue::from_str(&value)) {
            self.0.insert(name, value);
        }
    }
}

/// Marks `span` (an incoming request's, just created, before any child; it declares an empty
/// `otel.kind`) as a server span, continuing the caller's trace when the request carries a W3C
/// `traceparent`. Nothing when traces are off (the log stays as it was).
pub fn server_span(span: &tracing::Span, headers: &HeaderMap) {
    if !enabled() {
        return;
    }
    span.record("otel.kind", "server");
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// The W3C trace context of the current span (`traceparent`, and `tracestate` when there is one),
/// for an outgoing request; empty when traces are off.
pub fn trace_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    if enabled() {
        let cx = tracing::Span::current().context();
        TraceContextPropagator::new().inject_context(&cx, &mut HeadersMut(&mut headers));
    }
    headers
}

/// The current span's trace id (32 hex digits) when traces are on and this trace is sampled: the
/// exemplar to attach to a histogram observation made inside a turn (e.g. time to first token,
/// observed in the engine's relay, where the turn's span is current).
pub fn current_trace_id() -> Option<String> {
    trace_id(&tracing::Span::current())
}

/// The trace id of `span` (see [`current_trace_id`]), for an observation made outside it.
pub fn trace_id(span: &tracing::Span) -> Option<String> {
    if !enabled() {
        return None;
    }
    let cx = span.context();
    let otel_span = cx.span();
    let sc = otel_span.span_context();
    (sc.is_valid() && sc.is_sampled()).then(|| sc.trace_id().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_from_config_or_environment() {
        let none = |_: &str| None;
        let off = TelemetryConfig::default();
        assert_eq!(endpoint(&off, none), None);
        let base = TelemetryConfig { otlp_endpoint: Some("http://collector:4318/".into()), ..off.clone() };
        assert_eq!(endpoint(&base, none), Some(Some("http://collector:4318/v1/traces".into())));
        let full = TelemetryConfig { otlp_endpoint: Some("http://c:4318/v1/traces".into()), ..off.clone() };
        assert_eq!(endpoint(&full, none), Some(Some("http://c:4318/v1/traces".into())));
        let env = |v: &str| (v == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://c:4318".to_string());
        assert_eq!(endpoint(&off, env), Some(None));
        let blank = |_: &str| Some(" ".to_string());
        assert_eq!(endpoint(&off, blank), None);
    }

    #[test]
    fn nothing_propagates_when_off() {
        assert!(trace_headers().is_empty());
        assert_eq!(current_trace_id(), None);
    }
}

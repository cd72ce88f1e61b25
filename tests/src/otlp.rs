//! A small OTLP/HTTP trace receiver for end-to-end tests: serves `POST /v1/traces` on
//! 127.0.0.1, decodes each `ExportTraceServiceRequest` (protobuf, as the OpenTelemetry Collector
//! does) with the `opentelemetry-proto` types, and records every span it receives.

use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener};
use poem::{Body, Request, Response, Server};
use prost::Message;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// One received span: ids in lower-case hex (the parent's empty for a root span), its name, and
/// its attributes (and its resource's) as text.
#[derive(Debug, Clone)]
pub struct RecordedSpan {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub resource: BTreeMap<String, String>,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
}

impl RecordedSpan {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

#[derive(Default)]
struct Received {
    exports: usize,
    spans: Vec<RecordedSpan>,
}

pub struct OtlpReceiver {
    addr: SocketAddr,
    received: Arc<Mutex<Received>>,
    shutdown: Option<oneshot::Sender<()>>,
}

fn text(value: Option<&opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter().map(|kv| (kv.key.clone(), text(kv.value.as_ref()))).collect()
}

impl OtlpReceiver {
    /// Binds 127.0.0.1:0 and serves in a background task until dropped.
    pub async fn start() -> OtlpReceiver {
        let received = Arc::new(Mutex::new(Received::default()));
        let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let store = received.clone();
        let endpoint = poem::endpoint::make(move |req: Request| {
            let store = store.clone();
            async move { receive(req, store).await }
        });
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(endpoint, async move { drop(rx.await) }, None)
                .await;
        });
        OtlpReceiver { addr, received, shutdown: Some(tx) }
    }

    /// The base URL, as `telemetry.otlp_endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` takes it.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Export requests received so far.
    pub fn exports(&self) -> usize {
        self.received.lock().unwrap_or_else(PoisonError::into_inner).exports
    }

    pub fn spans(&self) -> Vec<RecordedSpan> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner).spans.clone()
    }

    /// Waits (up to `secs`) until a span named `name` has arrived; returns every span so far.
    pub async fn wait_for(&self, name: &str, secs: u64) -> Vec<RecordedSpan> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let spans = self.spans();
            if spans.iter().any(|s| s.name == name) || std::time::Instant::now() > deadline {
                return spans;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn receive(req: Request, store: Arc<Mutex<Received>>) -> Response {
    if req.method() != poem::http::Method::POST || req.uri().path() != "/v1/traces" {
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    }
    let is_protobuf = req.content_type().is_some_and(|t| t.starts_with("application/x-protobuf"));
    let bytes = match req.into_body().into_bytes().await {
        Ok(b) => b,
        Err(_) => return Response::builder().status(StatusCode::BAD_REQUEST).finish(),
    };
    let Ok(export) = ExportTraceServiceRequest::decode(bytes.as_ref()) else {
        return Response::builder().status(StatusCode::BAD_REQUEST).body("not an ExportTraceServiceRequest");
    };
    if !is_protobuf {
        return Response::builder().status(StatusCode::UNSUPPORTED_MEDIA_TYPE).finish();
    }
    let mut received = store.lock().unwrap_or_else(PoisonError::into_inner);
    received.exports += 1;
    for rs in export.resource_spans {
        let resource = rs.resource.as_ref().map(|r| attributes(&r.attributes)).unwrap_or_default();
        for ss in rs.scope_spans {
            for span in ss.spans {
                received.spans.push(RecordedSpan {
                    trace_id: hex::encode(&span.trace_id),
                    span_id: hex::encode(&span.span_id),
                    parent_span_id: hex::encode(&span.parent_span_id),
                    name: span.name.clone(),
                    attributes: attributes(&span.attributes),
                    resource: resource.clone(),
                    start_unix_nano: span.start_time_unix_nano,
                    end_unix_nano: span.end_time_unix_nano,
                });
            }
        }
    }
    drop(received);
    Response::builder()
        .content_type("application/x-protobuf")
        .body(Body::from(ExportTraceServiceResponse::default().encode_to_vec()))
}

//! What every request passes through: a request id, the client address, a tracing span,
//! metrics, security headers and the body limit.

use crate::state::AppState;
use base64::Engine;
use confab_core::context::{self, RequestContext};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// Wraps the server's routes in what every request passes, outermost last: the request context
/// (id, address, span, metrics), the state, panics as 500s, uniform error bodies, body limits
/// and cookies.
pub fn stack(routes: impl Endpoint + 'static, state: Arc<AppState>) -> impl Endpoint {
    let max_body = state.config.server.max_body_bytes;
    let max_file = usize::try_from(state.config.files.max_file_bytes).unwrap_or(usize::MAX);
    routes
        .with(poem::middleware::CookieJarManager::new())
        .around(move |ep, req| {
            // Plugin uploads carry a component and file uploads a file; everything else keeps the
            // configured limit.
            let max = match req.uri().path() {
                "/v1/plugins" => max_body.max(super::plugins::MAX_UPLOAD_BODY_BYTES),
                "/v1/files" => max_body.max(max_file),
                _ => max_body,
            };
            limit_body(ep, req, max)
        })
        .around(super::error::uniform_errors)
        .with(poem::middleware::CatchPanic::new())
        .data(state.clone())
        .around(move |ep, req| request_context(ep, req, state.clone()))
}

pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// The default policy: nothing inline, nothing from elsewhere, never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

fn client_ip(req: &Request, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for
        && let Some(ip) = req
            .headers()
            .get("X-Forwarded-For")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return Some(ip.to_string());
    }
    req.remote_addr().as_socket_addr().map(|a| a.ip().to_string())
}

/// The path as logged: a share link's token is a credential, so it never reaches the logs.
fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/v1/public/snapshots/") {
        Some(_) => "/v1/public/snapshots/{token}".to_string(),
        None => path.to_string(),
    }
}

/// When the request arrived (request data), for stages measured from there.
#[derive(Clone, Copy)]
pub struct Arrived(pub Instant);

pub async fn request_context<E: Endpoint>(next: E, mut req: Request, state: Arc<AppState>) -> poem::Result<Response> {
    let started = Instant::now();
    req.set_data(Arrived(started));
    let ctx = RequestContext {
        request_id: request_id(&req),
        ip: client_ip(&req, state.config.server.trust_forwarded_for),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect()),
    };
    let method = req.method().clone();
    let path = loggable_path(req.uri().path());
    let span = tracing::info_span!("request", request_id = %ctx.request_id, %method, path = %path,
        otel.kind = tracing::field::Empty, http.response.status_code = tracing::field::Empty);
    // When traces are on: a caller's W3C `traceparent` makes this request a part of its trace.
    confab_core::telemetry::server_span(&span, req.headers());
    let id = ctx.request_id.clone();
    let result = context::scope(
        ctx,
        async move { next.call(req).await.map(IntoResponse::into_response) }.instrument(span.clone()),
    )
    .await;
    let mut resp = match result {
        Ok(resp) => resp,
        Err(err) => err.into_response(),
    };
    let status = resp.status();
    let elapsed = started.elapsed();
    state.metrics.observe_request(method.as_str(), status.as_u16(), elapsed);
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), ms = elapsed.as_millis() as u64, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), ms = elapsed.as_millis() as u64, "request");
        }
    });
    span.record("http.response.status_code", status.as_u16());
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("Cross-Origin-Opener-Policy", HeaderValue::from_static("same-origin"));
    headers.insert("Permissions-Policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    if path.starts_with("/v1/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.is_tls() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    Ok(resp)
}

/// Refuses bodies over the limit with 413, whether or not they declare their length.
pub async fn limit_body<E: Endpoint>(next: E, mut req: Request, max: usize) -> poem::Result<Response> {
    let too_large = || poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE);
    // A client still sending an oversized body gets the 413 reliably only if we read (and drop)
    // what it sends; beyond this bound we stop reading and the connection is closed.
    let drain = max.saturating_mul(4).max(64 * 1024);
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > max as u64 => {
            if len <= drain as u64 {
                // Read and dropped, never kept: the answer is 413 whatever it holds.
                let _ = read_limited(req.take_body(), 0, drain).await;
            }
            return Err(too_large());
        }
        Some(_) => {}
        // Chunked bodies declare no length: count as they arrive.
        None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
            let body = read_limited(req.take_body(), max, drain).await.ok_or_else(too_large)?;
            req.set_body(body);
        }
        None => {}
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// The body if it is at most `max` bytes; reads no further than `drain` bytes either way.
async fn read_limited(body: poem::Body, max: usize, drain: usize) -> Option<Vec<u8>> {
    use futures::StreamExt;
    let mut stream = body.into_bytes_stream();
    let mut collected = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        seen += chunk.len();
        if seen > drain {
            return None;
        }
        if seen <= max {
            collected.extend_from_slice(&chunk);
        }
    }
    (seen <= max).then_some(collected)
}

/// The interactive docs page inlines its scripts; rather than allow inline scripts, the policy
/// names the exact ones by hash. (Swagger UI sets inline styles, which the policy permits there.)
pub fn docs_csp(html: &str) -> String {
    let mut hashes = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after_tag = &rest[start..];
        let Some(open_end) = after_tag.find('>') else { break };
        let body_start = &after_tag[open_end + 1..];
        let Some(close) = body_start.find("</script>") else { break };
        let body = &body_start[..close];
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
        hashes.push_str(&format!(" 'sha256-{digest}'"));
        rest = &body_start[close..];
    }
    format!(
        "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

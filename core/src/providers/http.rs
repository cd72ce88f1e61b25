//! What the HTTP adapters share: sending with timeouts and retries before the first byte, mapping
//! error statuses, and turning a response body into SSE events with first-byte and idle timeouts.

use super::{ProviderError, ProviderStream, StreamItem};
use crate::config::ProviderConfig;
use confab_sse::Event as SseEvent;
use futures::stream::{BoxStream, StreamExt};
use std::collections::VecDeque;
use std::time::Duration;

/// The provider's HTTP client. HTTP/1.1 only, a connection per answer in flight (kept for
/// reuse): over HTTP/2, which providers' HTTPS endpoints offer, every concurrent answer would
/// share one connection, and an HTTP/2 server takes only so many streams per connection at once
/// (`SETTINGS_MAX_CONCURRENT_STREAMS`, often 100 to 256); the client queues the requests beyond
/// that until another answer ends, so a busy replica's turns would wait seconds before even
/// reaching the provider (reqwest opens no second HTTP/2 connection).
pub fn client(config: &ProviderConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .unwrap_or_default()
}

fn retry_after(resp: &reqwest::Response) -> Option<u64> {
    resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// Sends the request; retries connection failures and 502/503/504 (never once a byte of the
/// answer arrived, so nothing is generated — or billed — twice).
/// `error_message` picks the provider's own message out of an error body.
pub async fn send(
    config: &ProviderConfig,
    build: impl Fn() -> reqwest::RequestBuilder,
    error_message: impl Fn(&str) -> Option<String>,
) -> Result<reqwest::Response, ProviderError> {
    let first_byte = Duration::from_millis(config.first_byte_timeout_ms);
    let mut attempt = 0;
    loop {
        // With traces on, the request carries the turn's W3C `traceparent`.
        let request = build().headers(crate::telemetry::trace_headers());
        let err = match tokio::time::timeout(first_byte, request.send()).await {
            Err(_) => {
                return Err(ProviderError::Timeout {
                    phase: "waiting for the response",
                    secs: first_byte.as_secs().max(1),
                });
            }
            Ok(Err(e)) if e.is_connect() => ProviderError::Connect(e.without_url().to_string()),
            Ok(Err(e)) if e.is_timeout() => {
                return Err(ProviderError::Timeout {
                    phase: "connecting",
                    secs: (config.connect_timeout_ms / 1000).max(1),
                });
            }
            Ok(Err(e)) => return Err(ProviderError::Connect(e.without_url().to_string())),
            Ok(Ok(resp)) if resp.status().is_success() => return Ok(resp),
            Ok(Ok(resp)) => {
                let status = resp.status().as_u16();
                let retry = retry_after(&resp);
                let body = resp.text().await.unwrap_or_default();
                let message = error_message(&body).unwrap_or_else(|| body.chars().take(300).collect());
                let err = match status {
                    429 => ProviderError::RateLimited { retry_after: retry },
                    401 | 403 => ProviderError::Unauthorized,
                    _ => ProviderError::Upstream { status, message, retry_after: retry },
                };
                if !matches!(status, 502..=504) {
                    return Err(err);
                }
                err
            }
        };
        if attempt >= config.max_retries {
            return Err(err);
        }
        attempt += 1;
        tracing::info!(attempt, error = %err, "retrying the model provider before the first byte");
        tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt - 1))).await;
    }
}

struct EventState {
    body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    parser: confab_sse::Parser,
    pending: VecDeque<SseEvent>,
    first: bool,
    first_byte: Duration,
    idle: Duration,
}

/// The response body as SSE events. The first chunk must come within the first-byte timeout,
/// every later one within the idle timeout.
pub fn events(config: &ProviderConfig, resp: reqwest::Response) -> BoxStream<'static, Result<SseEvent, ProviderError>> {
    let state = EventState {
        body: resp.bytes_stream().boxed(),
        parser: confab_sse::Parser::new(),
        pending: VecDeque::new(),
        first: true,
        first_byte: Duration::from_millis(config.first_byte_timeout_ms),
        idle: Duration::from_millis(config.idle_timeout_ms),
    };
    futures::stream::unfold(Some(state), |state| async move {
        let mut s = state?;
        loop {
            if let Some(event) = s.pending.pop_front() {
                return Some((Ok(event), Some(s)));
            }
            let wait = if s.first { s.first_byte } else { s.idle };
            match tokio::time::timeout(wait, s.body.next()).await {
                Err(_) => {
                    let phase = if s.first { "waiting for the first token" } else { "between tokens" };
                    return Some((Err(ProviderError::Timeout { phase, secs: wait.as_secs().max(1) }), None));
                }
                Ok(None) => return None,
                Ok(Some(Err(e))) => return Some((Err(ProviderError::Broken(e.without_url().to_string())), None)),
                Ok(Some(Ok(bytes))) => {
                    s.first = false;
                    s.pending.extend(s.parser.push(&bytes));
                }
            }
        }
    })
    .boxed()
}

/// What an adapter made of one SSE event.
#[derive(Default)]
pub struct Parsed {
    pub items: Vec<Result<StreamItem, ProviderError>>,
    /// The provider said the answer is complete (a finish reason).
    pub finished: bool,
    /// The protocol's end marker: stop reading.
    pub end: bool,
    /// Choices that ended, and why (OpenAI's words); become [`StreamItem::Finish`] items.
    pub finishes: Vec<(u32, String)>,
}

/// A [`Parsed`] that tests can compare: errors become their message.
#[cfg(test)]
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub items: Vec<Result<StreamItem, String>>,
    pub finished: bool,
    pub end: bool,
}

#[cfg(test)]
impl Outcome {
    pub fn of(parsed: Vec<Parsed>) -> Outcome {
        let mut outcome = Outcome { items: Vec::new(), finished: false, end: false };
        for p in parsed {
            outcome.items.extend(p.items.into_iter().map(|item| item.map_err(|e| e.to_string())));
            outcome.finished |= p.finished;
            outcome.end |= p.end;
        }
        outcome
    }
}

/// A provider's text with any NUL character (a JSON `\u0000`) replaced by U+FFFD: no text
/// Confab stores may hold one (PostgreSQL refuses it in any text, and would refuse the answer's
/// every write), and no reader needs one.
fn without_nul(item: StreamItem) -> StreamItem {
    fn clean(text: String) -> String {
        if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text }
    }
    match item {
        StreamItem::Delta(text) => StreamItem::Delta(clean(text)),
        StreamItem::ChoiceDelta { choice, text } => StreamItem::ChoiceDelta { choice, text: clean(text) },
        StreamItem::ToolCall { choice, index, id, name, arguments } => StreamItem::ToolCall {
            choice,
            index,
            id: id.map(clean),
            name: name.map(clean),
            arguments: clean(arguments),
        },
        other => other,
    }
}

struct AdaptState<F> {
    events: BoxStream<'static, Result<SseEvent, ProviderError>>,
    parse: F,
    pending: VecDeque<Result<StreamItem, ProviderError>>,
    finished: bool,
    over: bool,
}

/// Turns SSE events into stream items with `parse`. A body that ends before the provider said
/// it finished is a broken stream, not a complete answer.
pub fn adapt<F>(events: BoxStream<'static, Result<SseEvent, ProviderError>>, parse: F) -> ProviderStream
where
    F: FnMut(SseEvent) -> Parsed + Send + 'static,
{
    let state = AdaptState { events, parse, pending: VecDeque::new(), finished: false, over: false };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(item) = s.pending.pop_front() {
                if item.is_err() {
                    s.over = true;
                    s.pending.clear();
                }
                return Some((item, s));
            }
            if s.over {
                return None;
            }
            match s.events.next().await {
                Some(Ok(event)) => {
                    let parsed = (s.parse)(event);
                    s.finished |= parsed.finished || parsed.end;
                    s.pending.extend(parsed.items.into_iter().map(|item| item.map(without_nul)));
                    s.pending.extend(
                        parsed.finishes.into_iter().map(|(choice, reason)| Ok(StreamItem::Finish { choice, reason })),
                    );
                    s.over = parsed.end;
                }
                // The provider already said the answer is finished: a connection that then stalls
                // or breaks before its end marker (a slow close) loses nothing.
                Some(Err(_)) if s.finished => return None,
                Some(Err(e)) => {
                    s.over = true;
                    return Some((Err(e), s));
                }
                None if s.finished => return None,
                None => {
                    s.over = true;
                    return Some((
                        Err(ProviderError::Broken("the connection closed before the answer was finished".into())),
                        s,
                    ));
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A NUL character in a provider's text (any kind of item) reaches no one: it becomes U+FFFD.
    #[tokio::test]
    async fn a_nul_character_from_the_provider_is_replaced() {
        let event = SseEvent { id: None, event: confab_sse::DEFAULT_EVENT.into(), data: "x".into(), retry: None };
        let events = futures::stream::iter(vec![Ok(event)]).boxed();
        let stream = adapt(events, |_| Parsed {
            items: vec![
                Ok(StreamItem::Delta("a\0b".into())),
                Ok(StreamItem::ChoiceDelta { choice: 1, text: "\0".into() }),
                Ok(StreamItem::ToolCall {
                    choice: 0,
                    index: 0,
                    id: Some("c\0".into()),
                    name: Some("f\0".into()),
                    arguments: "{\"q\":\"\0\"}".into(),
                }),
            ],
            finished: true,
            end: true,
            finishes: vec![],
        });
        let items: Vec<StreamItem> = stream.map(|item| item.unwrap()).collect().await;
        assert_eq!(
            items,
            vec![
                StreamItem::Delta("a\u{FFFD}b".into()),
                StreamItem::ChoiceDelta { choice: 1, text: "\u{FFFD}".into() },
                StreamItem::ToolCall {
                    choice: 0,
                    index: 0,
                    id: Some("c\u{FFFD}".into()),
                    name: Some("f\u{FFFD}".into()),
                    arguments: "{\"q\":\"\u{FFFD}\"}".into(),
                },
            ]
        );
    }
}

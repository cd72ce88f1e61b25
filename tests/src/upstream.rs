//! A scripted upstream model provider for end-to-end tests and benchmarks: an in-process HTTP server
//! that speaks the OpenAI Chat Completions wire format (also on Azure's deployment path) and the
//! Anthropic Messages wire format, streaming or not, and records every request it receives.
//!
//! Replies are deterministic: a reply has 8 tokens and token `i` is `t{i} `. The last user message
//! can script the reply with a directive anywhere in its text, `[upstream key=value key=value …]`;
//! so can the system prompt (a preset's), whose keys the user message's override — answers to one
//! message that use different presets can so be scripted differently:
//!
//! | key | effect |
//! |---|---|
//! | `tokens=N` | emit N tokens |
//! | `delay_ms=N` | sleep N ms before each token (non-streaming: N ms per token before the headers) |
//! | `text=WORD` | every token is `WORD ` |
//! | `status=CODE` | answer at once with this status and the provider's error body |
//! | `retry_after=SECS` | with `status` (or `fail_first`), also send `Retry-After` |
//! | `fail_first=N` | the first N requests with this exact last user message get a 503 |
//! | `drop_after=N` | abort the connection after N tokens (non-streaming: halfway through the body) |
//! | `hang_after=N` | go silent after N tokens, connection open (non-streaming: after the headers) |
//! | `hang_before_headers=1` | never send the response headers |
//! | `malformed_at=N` | send a line that is not JSON in place of token N (non-streaming: a truncated body) |
//! | `usage=0` | leave usage out, even when asked for |
//! | `corpus=xss` | reply with [`XSS_CORPUS`], cut into 5-character tokens (`tokens` is ignored) |
//! | `nul=1` | every token carries a NUL character (`t{i}\u0000 ` on the wire) |
//! | `tool_call=NAME` | answer with a call of tool NAME (OpenAI `tool_calls`, streamed in argument pieces, finish `tool_calls`; Anthropic a `tool_use` block with `input_json_delta`s, stop `tool_use`). Its arguments: each property of the tool's JSON schema in the request (strings `"t0"`, `"t1"`…, numbers their position, booleans `true`), else `{"q":"t0"}` |
//!
//! A request that carries a tool result (an OpenAI `tool` message, an Anthropic `tool_result` block)
//! is answered with text that echoes the last one, `tool said: <result>`, whatever the directives
//! say, so a tool round trip is observable. `GET /_recorded` returns the recorded requests as JSON
//! (`[{"path", "body"}]`) for test suites outside this process.
//!
//! Unknown keys and unparsable values are ignored. Prompt tokens are the whitespace-separated words of
//! every message (and of Anthropic's `system`); completion tokens are the tokens emitted.
//! `max_tokens` / `max_completion_tokens` cap the reply, which then finishes with `length` /
//! `max_tokens`.

use futures::stream;
use poem::http::uri::Scheme;
use poem::http::{Method, StatusCode, header};
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Body, Endpoint, IntoResponse, Request, Response, Server};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Hostile model output: payloads that stored-XSS bugs in chat apps have let through (raw HTML,
/// event handlers, SVG, `srcdoc`, `javascript:` and `data:` links, markdown link and image
/// tricks, mutation-XSS). A renderer must show all of it as inert text or safe markup.
pub const XSS_CORPUS: &str = r#"# Hostile output
<script>window.__xss = 'script'; alert('script')</script>
<img src=x onerror="window.__xss='img'; alert('img')">
<svg onload="window.__xss='svg'; alert('svg')"><script>alert('svg-script')</script></svg>
<iframe srcdoc="<script>parent.alert('srcdoc')</script>"></iframe>
<details open ontoggle="alert('details')">toggle</details>
<div style="background:url(javascript:alert('css'))">styled</div>
<a href="javascript:alert('raw-a')">raw anchor</a>
<form action="javascript:alert('form')"><button>go</button></form>
<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>

[click me](javascript:alert('link')) and [entity](jav&#x61;script:alert('entity')) and [spaced]( javascript:alert('spaced'))
[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) and [vb](vbscript:msgbox(1))
[ref link][evil] and <javascript:alert('autolink')>

[evil]: javascript:alert('reference')

![image](x" onerror="alert('md-img')) ![pixel](https://evil.example/pixel.png)

| cell | payload |
|---|---|
| one | <img src=x onerror=alert('table')> |

```html
<script>alert('in code')</script>
```

A safe link: [Confab](https://example.com/docs).
"#;

/// Tokens in a reply unless `tokens=N` says otherwise.
const DEFAULT_TOKENS: usize = 8;
/// How long a "hanging" response stays silent: far longer than any client timeout in a test.
const HANG: Duration = Duration::from_secs(3600);

/// A running scripted upstream on `127.0.0.1:<random port>`. Dropping it stops the server and
/// closes every connection it holds open.
pub struct ScriptedUpstream {
    addr: SocketAddr,
    /// `http`, or `https` for [`ScriptedUpstream::start_tls`].
    scheme: &'static str,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
}

/// One request received on a model endpoint.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Path and query, e.g. `/v1/chat/completions` or
    /// `/openai/deployments/gpt/chat/completions?api-version=2024-06-01`.
    pub path: String,
    /// Every header, names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The protocol the request came over: `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
    /// The JSON body (`Null` when the body was not JSON).
    pub body: serde_json::Value,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl ScriptedUpstream {
    /// Binds 127.0.0.1:0 and serves in a background tokio task until dropped.
    pub async fn start() -> ScriptedUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the scripted upstream");
        let addr = listener.local_addr().expect("scripted upstream address");
        let state = Arc::new(State::default());
        let acceptor = CuttableAcceptor { listener, local: LocalAddr(addr.into()), state: state.clone() };
        Self::serve(Server::new_with_acceptor(acceptor), addr, "http", state)
    }

    /// Runs `server` in a background task until the returned upstream is dropped.
    fn serve<A: Acceptor + 'static>(
        server: Server<std::convert::Infallible, A>,
        addr: SocketAddr,
        scheme: &'static str,
        state: Arc<State>,
    ) -> ScriptedUpstream {
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = server.run_with_graceful_shutdown(
            Upstream(state.clone()),
            async move {
                // Fires when the sender is used or dropped.
                let _ = stopped.await;
            },
            // No grace: open connections (hanging streams included) are dropped at once.
            Some(Duration::ZERO),
        );
        tokio::spawn(async move {
            let _ = server.await;
        });
        ScriptedUpstream { addr, scheme, state, shutdown: Some(shutdown) }
    }

    /// As [`ScriptedUpstream::start`], over TLS with the server certificate of `certs`, offering
    /// HTTP/2 and HTTP/1.1 by ALPN as model providers' endpoints do; an HTTP/2 connection takes
    /// at most `http2_max_streams` requests at once (`SETTINGS_MAX_CONCURRENT_STREAMS`). Clients
    /// must trust `certs.ca_cert`. Connections cannot be cut (`drop_after` ends a body cleanly).
    pub async fn start_tls(certs: &crate::tls::Certs, http2_max_streams: u32) -> ScriptedUpstream {
        let mut config = certs.server_config();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the scripted upstream");
        let addr = listener.local_addr().expect("scripted upstream address");
        let state = Arc::new(State::default());
        let acceptor =
            TlsAcceptor::new(listener, tokio_rustls::TlsAcceptor::from(Arc::new(config))).expect("the TLS listener");
        let server = Server::new_with_acceptor(acceptor).http2_max_concurrent_streams(http2_max_streams);
        Self::serve(server, addr, "https", state)
    }

    /// e.g. `http://127.0.0.1:41234` (no trailing slash; `https` from [`ScriptedUpstream::start_tls`]).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Number of requests received on the model endpoints (all of them, including ones answered
    /// with errors).
    pub fn calls(&self) -> usize {
        self.state.requests().len()
    }

    /// Every request received on the model endpoints, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests().clone()
    }
}

impl Drop for ScriptedUpstream {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<RecordedRequest>>,
    /// `fail_first` counters, per distinct last user message.
    attempts: Mutex<HashMap<String, usize>>,
    /// The "cut" switch of each open connection, by the client's address.
    connections: Mutex<HashMap<SocketAddr, Arc<AtomicBool>>>,
}

impl State {
    fn requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one more attempt with this last user message; returns the new count.
    fn attempt(&self, message: &str) -> usize {
        let mut attempts = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = attempts.entry(message.to_owned()).or_default();
        *count += 1;
        *count
    }

    fn connections(&self) -> MutexGuard<'_, HashMap<SocketAddr, Arc<AtomicBool>>> {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Accepts TCP connections that a response can cut (see [`Connection`]).
struct CuttableAcceptor {
    listener: TcpListener,
    local: LocalAddr,
    state: Arc<State>,
}

impl Acceptor for CuttableAcceptor {
    type Io = Connection;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![self.local.clone()]
    }

    async fn accept(&mut self) -> io::Result<(Connection, LocalAddr, RemoteAddr, Scheme)> {
        let (stream, peer) = self.listener.accept().await?;
        // Tokens are small writes: do not hold them back for the peer's delayed ACK.
        stream.set_nodelay(true)?;
        let cut = Arc::new(AtomicBool::new(false));
        self.state.connections().insert(peer, cut.clone());
        let connection = Connection { stream, peer, cut, state: self.state.clone() };
        Ok((connection, self.local.clone(), RemoteAddr(peer.into()), Scheme::HTTP))
    }
}

/// Accepts TLS connections, each handshake in a task of its own (the server's key signs one per
/// connection: done one after another in the accept loop, a burst of connections would wait for
/// each other's).
struct TlsAcceptor {
    local: LocalAddr,
    handshaken: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsAcceptor {
    fn new(listener: TcpListener, tls: tokio_rustls::TlsAcceptor) -> io::Result<TlsAcceptor> {
        let local = LocalAddr(listener.local_addr()?.into());
        let (ready, handshaken) = tokio::sync::mpsc::channel(1024);
        tokio::spawn(async move {
            // Until the server (and with it the receiver) is gone.
            while let Ok((stream, peer)) = listener.accept().await {
                if ready.is_closed() {
                    break;
                }
                let (tls, ready) = (tls.clone(), ready.clone());
                tokio::spawn(async move {
                    if stream.set_nodelay(true).is_err() {
                        return;
                    }
                    // A failed handshake is that client's problem, not the listener's.
                    if let Ok(stream) = tls.accept(stream).await {
                        let _ = ready.send((stream, peer)).await;
                    }
                });
            }
        });
        Ok(TlsAcceptor { local, handshaken })
    }
}

impl Acceptor for TlsAcceptor {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![self.local.clone()]
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (stream, peer) =
            self.handshaken.recv().await.ok_or_else(|| io::Error::other("the TLS listener stopped"))?;
        Ok((stream, self.local.clone(), RemoteAddr(peer.into()), Scheme::HTTPS))
    }
}

/// A TCP connection that fails every read and write once cut. A body stream ending with an error is
/// not enough to break a response on the wire: poem polls the hyper connection again after that
/// error, and hyper then ends the chunked body cleanly. Cutting the connection first leaves the
/// client with a body that stops mid-stream.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    cut: Arc<AtomicBool>,
    state: Arc<State>,
}

impl Connection {
    fn check(&self) -> io::Result<()> {
        if self.cut.load(Ordering::SeqCst) { Err(cut_error()) } else { Ok(()) }
    }
}

fn cut_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "scripted upstream cut the connection")
}

impl Drop for Connection {
    fn drop(&mut self) {
        let mut connections = self.state.connections();
        if connections.get(&self.peer).is_some_and(|cut| Arc::ptr_eq(cut, &self.cut)) {
            connections.remove(&self.peer);
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    OpenAi,
    Anthropic,
}

/// The model endpoint a request is for: the provider, and the Azure deployment if any.
fn route(method: &Method, path: &str) -> Option<(Provider, Option<String>)> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/v1/chat/completions" => Some((Provider::OpenAi, None)),
        "/v1/messages" => Some((Provider::Anthropic, None)),
        _ => {
            let deployment = path.strip_prefix("/openai/deployments/")?.strip_suffix("/chat/completions")?;
            (!deployment.is_empty() && !deployment.contains('/'))
                .then(|| (Provider::OpenAi, Some(deployment.to_owned())))
        }
    }
}

struct Upstream(Arc<State>);

impl Endpoint for Upstream {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        Ok(handle(&self.0, req).await)
    }
}

async fn handle(state: &State, mut req: Request) -> Response {
    if req.method() == Method::GET && req.uri().path() == "/_recorded" {
        let recorded: Vec<Value> = state.requests().iter().map(|r| json!({ "path": r.path, "body": r.body })).collect();
        return Response::builder().content_type("application/json").body(Value::Array(recorded).to_string());
    }
    let Some((provider, deployment)) = route(req.method(), req.uri().path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cut = req.remote_addr().as_socket_addr().and_then(|peer| state.connections().get(peer).cloned());
    let path = req.uri().path_and_query().map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| {
            (name.as_str().to_ascii_lowercase(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })
        .collect();
    let version = format!("{:?}", req.version());
    let raw = req.take_body().into_bytes().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    state.requests().push(RecordedRequest { path, headers, version, body: body.clone() });

    let prompt = match Prompt::parse(provider, deployment, &body) {
        Ok(prompt) => prompt,
        Err(message) => return error_response(provider, StatusCode::BAD_REQUEST, &message, None),
    };
    let knobs = Knobs::parse(&format!("{}\n{}", prompt.system, prompt.last_user));
    if let Some(code) = knobs.status {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error_response(provider, status, "scripted upstream failure", knobs.retry_after);
    }
    if let Some(failures) = knobs.fail_first
        && state.attempt(&prompt.last_user) <= failures
    {
        let message = "scripted transient failure";
        return error_response(provider, StatusCode::SERVICE_UNAVAILABLE, message, knobs.retry_after);
    }
    if knobs.hang_before_headers {
        tokio::time::sleep(HANG).await;
        return error_response(provider, StatusCode::GATEWAY_TIMEOUT, "scripted hang ended", None);
    }

    let corpus = knobs.corpus.then(|| {
        let chars: Vec<char> = XSS_CORPUS.chars().collect();
        chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>()
    });
    let wanted = corpus.as_ref().map_or(knobs.tokens.unwrap_or(DEFAULT_TOKENS), Vec::len);
    let count = prompt.max_tokens.map_or(wanted, |cap| cap.min(wanted));
    let reply = Reply {
        tokens: (0..count)
            .map(|i| match (&corpus, &knobs.text) {
                (Some(pieces), _) => pieces[i].clone(),
                (None, Some(word)) => format!("{word} "),
                (None, None) if knobs.nul => format!("t{i}\u{0} "),
                (None, None) => format!("t{i} "),
            })
            .collect(),
        capped: count < wanted,
    };
    if !prompt.stream && !knobs.delay.is_zero() {
        tokio::time::sleep(knobs.delay.saturating_mul(u32::try_from(count).unwrap_or(u32::MAX))).await;
    }
    if let Some(result) = &prompt.tool_result {
        let text = format!("tool said: {result}");
        let reply = Reply { tokens: text.split_inclusive(' ').map(str::to_owned).collect(), capped: false };
        return match provider {
            Provider::OpenAi => openai(&prompt, &knobs, reply, cut),
            Provider::Anthropic => anthropic(&prompt, &knobs, reply, cut),
        };
    }
    if let Some(name) = &knobs.tool_call {
        let call = ToolCallReply {
            id: format!("call_{}", uuid::Uuid::new_v4().simple()),
            name: name.clone(),
            arguments: tool_arguments(&body, provider, name).to_string(),
        };
        return match provider {
            Provider::OpenAi => openai_tool_call(&prompt, &knobs, &call),
            Provider::Anthropic => anthropic_tool_call(&prompt, &knobs, &call),
        };
    }
    match provider {
        Provider::OpenAi => openai(&prompt, &knobs, reply, cut),
        Provider::Anthropic => anthropic(&prompt, &knobs, reply, cut),
    }
}

/// What the reply depends on, taken from the request body.
struct Prompt {
    model: String,
    stream: bool,
    include_usage: bool,
    max_tokens: Option<usize>,
    /// Whitespace-separated words across all messages (and the system prompt).
    prompt_tokens: usize,
    /// Text of the last user message: where the knobs are read from.
    last_user: String,
    /// The system prompt (Anthropic's `system`, OpenAI's `system` messages): knobs too.
    system: String,
    /// The last tool result in the conversation, if any.
    tool_result: Option<String>,
}

impl Prompt {
    fn parse(provider: Provider, deployment: Option<String>, body: &Value) -> Result<Prompt, String> {
        if !body.is_object() {
            return Err("the request body must be a JSON object".into());
        }
        let Some(messages) = body["messages"].as_array() else {
            return Err("`messages` must be an array".into());
        };
        let model = match (body["model"].as_str(), deployment) {
            (Some(model), _) => model.to_owned(),
            (None, Some(deployment)) => deployment,
            (None, None) => return Err("`model` is required".into()),
        };
        let max_tokens = match provider {
            Provider::OpenAi => body["max_completion_tokens"].as_u64().or_else(|| body["max_tokens"].as_u64()),
            Provider::Anthropic => match body["max_tokens"].as_u64() {
                Some(max) => Some(max),
                None => return Err("`max_tokens` is required".into()),
            },
        };
        let mut system = text_of(&body["system"]);
        let mut prompt_tokens = words(&system);
        let mut last_user = String::new();
        let mut tool_result = None;
        for message in messages {
            let text = text_of(&message["content"]);
            prompt_tokens += words(&text);
            if message["role"] == "user" {
                last_user = text.clone();
            }
            if message["role"] == "system" {
                system.push('\n');
                system.push_str(&text);
            }
            if message["role"] == "tool" {
                tool_result = Some(text);
            }
            for block in message["content"].as_array().into_iter().flatten() {
                if block["type"] == "tool_result" {
                    tool_result = Some(text_of(&block["content"]));
                }
            }
        }
        Ok(Prompt {
            model,
            stream: body["stream"].as_bool().unwrap_or(false),
            include_usage: body["stream_options"]["include_usage"].as_bool().unwrap_or(false),
            max_tokens: max_tokens.map(|max| usize::try_from(max).unwrap_or(usize::MAX)),
            prompt_tokens,
            last_user,
            system,
            tool_result,
        })
    }
}

/// A message content (or system prompt) as text: a string, or its text blocks joined by newlines.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks.iter().filter_map(|block| block["text"].as_str()).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The per-request script, read from `[upstream key=value …]` directives.
#[derive(Debug, Default)]
struct Knobs {
    tokens: Option<usize>,
    delay: Duration,
    text: Option<String>,
    status: Option<u16>,
    retry_after: Option<u64>,
    fail_first: Option<usize>,
    drop_after: Option<usize>,
    hang_after: Option<usize>,
    hang_before_headers: bool,
    malformed_at: Option<usize>,
    no_usage: bool,
    corpus: bool,
    nul: bool,
    tool_call: Option<String>,
}

impl Knobs {
    /// Reads every `[upstream …]` directive in `text`; later keys override earlier ones.
    fn parse(text: &str) -> Knobs {
        const OPEN: &str = "[upstream";
        let mut knobs = Knobs::default();
        let mut rest = text;
        while let Some(start) = rest.find(OPEN) {
            let after = &rest[start + OPEN.len()..];
            let Some(end) = after.find(']') else { break };
            let inner = &after[..end];
            rest = &after[end + 1..];
            if inner.starts_with(|c: char| !c.is_whitespace()) {
                continue; // e.g. `[upstreamish]`
            }
            for (key, value) in inner.split_whitespace().filter_map(|pair| pair.split_once('=')) {
                knobs.set(key, value);
            }
        }
        knobs
    }

    fn set(&mut self, key: &str, value: &str) {
        let number = value.parse::<usize>().ok();
        match key {
            "tokens" => self.tokens = number.or(self.tokens),
            "delay_ms" => {
                if let Ok(ms) = value.parse() {
                    self.delay = Duration::from_millis(ms);
                }
            }
            "text" if !value.is_empty() => self.text = Some(value.to_owned()),
            "status" => self.status = value.parse().ok().or(self.status),
            "retry_after" => self.retry_after = value.parse().ok().or(self.retry_after),
            "fail_first" => self.fail_first = number.or(self.fail_first),
            "drop_after" => self.drop_after = number.or(self.drop_after),
            "hang_after" => self.hang_after = number.or(self.hang_after),
            "hang_before_headers" => self.hang_before_headers = number.is_some_and(|n| n != 0),
            "malformed_at" => self.malformed_at = number.or(self.malformed_at),
            "usage" => self.no_usage = number == Some(0),
            "corpus" => self.corpus = value == "xss",
            "nul" => self.nul = value == "1",
            "tool_call" if !value.is_empty() => self.tool_call = Some(value.to_owned()),
            _ => {}
        }
    }
}

/// The tokens to emit, and whether `max_tokens` cut them short.
struct Reply {
    tokens: Vec<String>,
    capped: bool,
}

/// One step of a response body as it goes on the wire.
enum Step {
    Send(String),
    Sleep(Duration),
    /// Cut the connection mid-body.
    Drop,
}

/// Stay silent with the connection open (until the client gives up or the upstream is dropped).
fn hang() -> [Step; 2] {
    [Step::Sleep(HANG), Step::Drop]
}

/// The wire script of a streamed reply: the preamble, each token event (after the delay, or replaced
/// by `malformed`), and the epilogue — unless `hang_after` / `drop_after` cut in first.
fn script(
    knobs: &Knobs,
    preamble: Vec<String>,
    tokens: Vec<String>,
    malformed: &str,
    epilogue: Vec<String>,
) -> Vec<Step> {
    let n = tokens.len();
    // A cut at N ≥ n happens after the last token, before the epilogue.
    let cuts_at = |knob: Option<usize>, i: usize| knob.is_some_and(|k| k == i || (i == n && k > n));
    let mut steps: Vec<Step> = preamble.into_iter().map(Step::Send).collect();
    let mut tokens = tokens.into_iter();
    for i in 0..=n {
        if cuts_at(knobs.hang_after, i) {
            steps.extend(hang());
            return steps;
        }
        if cuts_at(knobs.drop_after, i) {
            steps.push(Step::Drop);
            return steps;
        }
        let Some(event) = tokens.next() else { break };
        if !knobs.delay.is_zero() {
            steps.push(Step::Sleep(knobs.delay));
        }
        steps.push(Step::Send(if knobs.malformed_at == Some(i) { malformed.to_owned() } else { event }));
    }
    steps.extend(epilogue.into_iter().map(Step::Send));
    steps
}

/// A body that plays `steps`, each `Send` as its own chunk. Breaking off cuts `cut`, the switch of
/// the connection the response goes out on, then ends the stream with an error.
fn body_of(steps: Vec<Step>, cut: Option<Arc<AtomicBool>>) -> Body {
    Body::from_bytes_stream(stream::unfold((steps.into_iter(), cut), |(mut steps, cut)| async move {
        loop {
            match steps.next()? {
                Step::Send(chunk) => return Some((Ok(chunk), (steps, cut))),
                Step::Sleep(delay) => tokio::time::sleep(delay).await,
                Step::Drop => {
                    // Pending once, so that hyper flushes the chunks it holds before the cut.
                    tokio::task::yield_now().await;
                    if let Some(cut) = &cut {
                        cut.store(true, Ordering::SeqCst);
                    }
                    return Some((Err(cut_error()), (Vec::new().into_iter(), cut)));
                }
            }
        }
    }))
}

fn event_stream(steps: Vec<Step>, cut: Option<Arc<AtomicBool>>) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body_of(steps, cut))
}

/// A non-streaming JSON reply, or its scripted breakage: `hang_after` sends the headers and nothing
/// more, `drop_after` aborts halfway through the body, `malformed_at` sends only its first half.
fn json_reply(knobs: &Knobs, reply: &Value, cut: Option<Arc<AtomicBool>>) -> Response {
    let text = reply.to_string();
    let half = text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i);
    let steps = if knobs.hang_after.is_some() {
        hang().into()
    } else if knobs.drop_after.is_some() {
        vec![Step::Send(text[..half].to_owned()), Step::Drop]
    } else if knobs.malformed_at.is_some() {
        vec![Step::Send(text[..half].to_owned())]
    } else {
        return Response::builder().status(StatusCode::OK).content_type("application/json").body(text);
    };
    Response::builder().status(StatusCode::OK).content_type("application/json").body(body_of(steps, cut))
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn openai(prompt: &Prompt, knobs: &Knobs, reply: Reply, cut: Option<Arc<AtomicBool>>) -> Response {
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = unix_now();
    let finish_reason = if reply.capped { "length" } else { "stop" };
    let completion_tokens = reply.tokens.len();
    let usage = json!({
        "prompt_tokens": prompt.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt.prompt_tokens + completion_tokens,
    });
    if !prompt.stream {
        let mut body = json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": prompt.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply.tokens.concat()},
                "finish_reason": finish_reason,
            }],
        });
        if !knobs.no_usage {
            body["usage"] = usage;
        }
        return json_reply(knobs, &body, cut);
    }
    let chunk = |choices: Value| {
        json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": prompt.model,
            "choices": choices,
        })
    };
    let data = |chunk: Value| format!("data: {chunk}\n\n");
    let preamble =
        vec![data(chunk(json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}])))];
    let tokens = reply
        .tokens
        .iter()
        .map(|token| data(chunk(json!([{"index": 0, "delta": {"content": token}, "finish_reason": null}]))))
        .collect();
    let mut epilogue = vec![data(chunk(json!([{"index": 0, "delta": {}, "finish_reason": finish_reason}])))];
    if prompt.include_usage && !knobs.no_usage {
        let mut last = chunk(json!([]));
        last["usage"] = usage;
        epilogue.push(data(last));
    }
    epilogue.push("data: [DONE]\n\n".to_owned());
    let malformed = "data: {\"choices\":[{\"delta\":{\"content\":\n\n";
    event_stream(script(knobs, preamble, tokens, malformed, epilogue), cut)
}

fn anthropic(prompt: &Prompt, knobs: &Knobs, reply: Reply, cut: Option<Arc<AtomicBool>>) -> Response {
    let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let stop_reason = if reply.capped { "max_tokens" } else { "end_turn" };
    let output_tokens = reply.tokens.len();
    if !prompt.stream {
        let mut body = json!({
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": prompt.model,
            "content": [{"type": "text", "text": reply.tokens.concat()}],
            "stop_reason": stop_reason,
            "stop_sequence": null,
        });
        if !knobs.no_usage {
            body["usage"] = json!({"input_tokens": prompt.prompt_tokens, "output_tokens": output_tokens});
        }
        return json_reply(knobs, &body, cut);
    }
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut message = json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": prompt.model,
        "content": [],
        "stop_reason": null,
        "stop_sequence": null,
    });
    let mut delta = json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
    });
    if !knobs.no_usage {
        message["usage"] = json!({"input_tokens": prompt.prompt_tokens, "output_tokens": 1});
        delta["usage"] = json!({"output_tokens": output_tokens});
    }
    let preamble = vec![
        event("message_start", json!({"type": "message_start", "message": message})),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        event("ping", json!({"type": "ping"})),
    ];
    let tokens = reply
        .tokens
        .iter()
        .map(|token| {
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": token}}),
            )
        })
        .collect();
    let epilogue = vec![
        event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
        event("message_delta", delta),
        event("message_stop", json!({"type": "message_stop"})),
    ];
    let malformed = "event: content_block_delta\ndata: {not json\n\n";
    event_stream(script(knobs, preamble, tokens, malformed, epilogue), cut)
}

/// A scripted tool call.
struct ToolCallReply {
    id: String,
    name: String,
    /// JSON text.
    arguments: String,
}

/// Deterministic arguments for tool `name`: each property of its schema in the request, in key
/// order (strings `t0`, `t1`…, numbers their position, booleans `true`), else `{"q":"t0"}`.
fn tool_arguments(body: &Value, provider: Provider, name: &str) -> Value {
    let schema = body["tools"].as_array().into_iter().flatten().find_map(|tool| match provider {
        Provider::OpenAi if tool["function"]["name"] == name => Some(&tool["function"]["parameters"]),
        Provider::Anthropic if tool["name"] == name => Some(&tool["input_schema"]),
        _ => None,
    });
    let Some(properties) = schema.and_then(|s| s["properties"].as_object()).filter(|p| !p.is_empty()) else {
        return json!({"q": "t0"});
    };
    let mut keys: Vec<&String> = properties.keys().collect();
    keys.sort();
    let args: serde_json::Map<String, Value> = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let value = match properties[key]["type"].as_str() {
                Some("integer" | "number") => json!(i),
                Some("boolean") => json!(true),
                _ => json!(format!("t{i}")),
            };
            (key.clone(), value)
        })
        .collect();
    Value::Object(args)
}

/// The arguments' JSON text in two pieces, as providers stream them.
fn halves(text: &str) -> [&str; 2] {
    let mid = text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i);
    [&text[..mid], &text[mid..]]
}

fn openai_tool_call(prompt: &Prompt, knobs: &Knobs, call: &ToolCallReply) -> Response {
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = unix_now();
    let completion_tokens = 5;
    let usage = json!({
        "prompt_tokens": prompt.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt.prompt_tokens + completion_tokens,
    });
    if !prompt.stream {
        let mut body = json!({
            "id": id, "object": "chat.completion", "created": created, "model": prompt.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": null, "tool_calls": [
                    {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                ]},
                "finish_reason": "tool_calls",
            }],
        });
        if !knobs.no_usage {
            body["usage"] = usage;
        }
        return json_reply(knobs, &body, None);
    }
    let chunk = |choices: Value| json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": prompt.model, "choices": choices});
    let data = |chunk: Value| format!("data: {chunk}\n\n");
    let mut steps =
        vec![data(chunk(json!([{"index": 0, "delta": {"role": "assistant", "content": null, "tool_calls": [
            {"index": 0, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        ]}, "finish_reason": null}])))];
    for piece in halves(&call.arguments) {
        steps.push(data(chunk(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, "finish_reason": null}]),
        )));
    }
    steps.push(data(chunk(json!([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]))));
    if prompt.include_usage && !knobs.no_usage {
        let mut last = chunk(json!([]));
        last["usage"] = usage;
        steps.push(data(last));
    }
    steps.push("data: [DONE]\n\n".to_owned());
    event_stream(steps.into_iter().map(Step::Send).collect(), None)
}

fn anthropic_tool_call(prompt: &Prompt, knobs: &Knobs, call: &ToolCallReply) -> Response {
    let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let input: Value = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
    if !prompt.stream {
        let mut body = json!({
            "id": id, "type": "message", "role": "assistant", "model": prompt.model,
            "content": [{"type": "tool_use", "id": call.id, "name": call.name, "input": input}],
            "stop_reason": "tool_use", "stop_sequence": null,
        });
        if !knobs.no_usage {
            body["usage"] = json!({"input_tokens": prompt.prompt_tokens, "output_tokens": 5});
        }
        return json_reply(knobs, &body, None);
    }
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut steps = vec![
        event(
            "message_start",
            json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": prompt.model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": prompt.prompt_tokens, "output_tokens": 1}}}),
        ),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}}),
        ),
    ];
    for piece in halves(&call.arguments) {
        steps.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": piece}}),
        ));
    }
    steps.push(event("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
    steps.push(event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 5}}),
    ));
    steps.push(event("message_stop", json!({"type": "message_stop"})));
    event_stream(steps.into_iter().map(Step::Send).collect(), None)
}

/// The provider's error response for `status`, with `Retry-After` when given.
fn error_response(provider: Provider, status: StatusCode, message: &str, retry_after: Option<u64>) -> Response {
    let code = status.as_u16();
    let body = match provider {
        Provider::OpenAi => {
            let (kind, code) = match code {
                401 => ("invalid_request_error", json!("invalid_api_key")),
                403 => ("permission_error", Value::Null),
                404 => ("invalid_request_error", json!("model_not_found")),
                429 => ("requests", json!("rate_limit_exceeded")),
                500.. => ("server_error", Value::Null),
                _ => ("invalid_request_error", Value::Null),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        Provider::Anthropic => {
            let kind = match code {
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                503 | 529 => "overloaded_error",
                500.. => "api_error",
                _ => "invalid_request_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
    };
    let mut response = Response::builder().status(status).content_type("application/json");
    if let Some(seconds) = retry_after {
        response = response.header(header::RETRY_AFTER, seconds.to_string());
    }
    response.body(body.to_string())
}

//! Anthropic Messages (streaming).
use super::http;
use super::{
    ChatMessage, ChatRequest, Provider, ProviderError, ProviderStream, Role, StreamItem, ToolChoice, ToolTurn,
};
use crate::config::ProviderConfig;
use serde::{Deserialize, Serialize};

const API_VERSION: &str = "2023-06-01";

pub struct Anthropic {
    config: ProviderConfig,
    client: reqwest::Client,
}

impl Anthropic {
    pub fn new(config: ProviderConfig) -> Self {
        Self { client: http::client(&config), config }
    }
}

/// The Messages request, exactly the fields we send.
#[derive(Debug, Serialize)]
pub struct MessagesRequest<'a> {
    model: &'a str,
    messages: Vec<RequestMessage>,
    max_tokens: u32,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    /// The request's `f32` widened exactly, the number this field has always carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<RequestTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct RequestMessage {
    role: Role,
    content: Content,
}

/// Plain text, or content blocks once tools are involved.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

impl Content {
    fn into_blocks(self) -> Vec<Block> {
        match self {
            Content::Text(text) if text.is_empty() => Vec::new(),
            Content::Text(text) => vec![Block::Text { text }],
            Content::Blocks(blocks) => blocks,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text { text: String },
    ToolUse { id: String, name: String, input: serde_json::Value },
    ToolResult { tool_use_id: String, content: String },
    Image { source: ImageSource },
}

#[derive(Debug, Serialize)]
struct ImageSource {
    #[serde(rename = "type")]
    kind: &'static str,
    media_type: String,
    data: String,
}

#[derive(Debug, Serialize)]
struct RequestTool<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    input_schema: serde_json::Value,
}

fn content(m: &ChatMessage) -> Content {
    match &m.tool {
        None if m.images.is_empty() => Content::Text(m.content.clone()),
        None => {
            // Images first, then the question about them (as Anthropic advises).
            let mut blocks: Vec<Block> = m
                .images
                .iter()
                .map(|i| Block::Image {
                    source: ImageSource { kind: "base64", media_type: i.media_type.clone(), data: i.base64() },
                })
                .collect();
            blocks.extend(Content::Text(m.content.clone()).into_blocks());
            Content::Blocks(blocks)
        }
        Some(ToolTurn::Result { call_id }) => {
            Content::Blocks(vec![Block::ToolResult { tool_use_id: call_id.clone(), content: m.content.clone() }])
        }
        Some(ToolTurn::Calls(calls)) => {
            let mut blocks = Content::Text(m.content.clone()).into_blocks();
            blocks.extend(calls.iter().map(|c| {
                Block::ToolUse {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    // Anthropic wants the arguments as an object; a model's malformed JSON goes as text.
                    input: serde_json::from_str(&c.arguments)
                        .unwrap_or_else(|_| serde_json::Value::String(c.arguments.clone())),
                }
            }));
            Content::Blocks(blocks)
        }
    }
}

fn tool_choice(choice: &ToolChoice) -> serde_json::Value {
    match choice {
        ToolChoice::Auto => serde_json::json!({ "type": "auto" }),
        ToolChoice::None => serde_json::json!({ "type": "none" }),
        ToolChoice::Required => serde_json::json!({ "type": "any" }),
        ToolChoice::Function(name) => serde_json::json!({ "type": "tool", "name": name }),
    }
}

pub fn body(req: &ChatRequest) -> MessagesRequest<'_> {
    // The Messages API wants alternating roles starting with the user; merge neighbours.
    let mut messages: Vec<RequestMessage> = Vec::new();
    for m in &req.messages {
        let next = content(m);
        match messages.last_mut() {
            Some(last) if last.role == m.role => {
                let merged = match (std::mem::replace(&mut last.content, Content::Blocks(Vec::new())), next) {
                    (Content::Text(mut a), Content::Text(b)) => {
                        a.push_str("\n\n");
                        a.push_str(&b);
                        Content::Text(a)
                    }
                    (a, b) => {
                        let mut blocks = a.into_blocks();
                        blocks.extend(b.into_blocks());
                        Content::Blocks(blocks)
                    }
                };
                last.content = merged;
            }
            _ => messages.push(RequestMessage { role: m.role, content: next }),
        }
    }
    if messages.first().is_some_and(|m| m.role == Role::Assistant) {
        messages
            .insert(0, RequestMessage { role: Role::User, content: Content::Text("(conversation continues)".into()) });
    }
    let o = &req.options;
    MessagesRequest {
        model: &req.model,
        messages,
        max_tokens: req.max_tokens,
        stream: true,
        system: req.system.as_deref(),
        temperature: req.temperature.map(f64::from),
        top_p: o.top_p.map(f64::from),
        stop_sequences: &o.stop,
        tools: o
            .tools
            .iter()
            .map(|t| RequestTool {
                name: &t.name,
                description: t.description.as_deref(),
                input_schema: t.parameters.clone().unwrap_or_else(|| serde_json::json!({ "type": "object" })),
            })
            .collect(),
        tool_choice: o.tool_choice.as_ref().map(tool_choice),
    }
}

/// One event of a Messages stream, told apart by `type`. Anthropic names every SSE event after
/// its `type` too; see [`StreamEvent::decode`].
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart(MessageStart),
    ContentBlockStart(ContentBlockStart),
    ContentBlockDelta(ContentBlockDelta),
    MessageDelta(MessageDelta),
    MessageStop,
    Ping,
    Error(ErrorBody),
    /// `content_block_stop` and whatever comes later: nothing to do.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct MessageStart {
    message: Option<StartedMessage>,
}

#[derive(Debug, Deserialize)]
struct StartedMessage {
    usage: Option<Usage>,
}

/// `message_start` counts the input, `message_delta` the output so far.
#[derive(Debug, Deserialize)]
struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ContentBlockStart {
    index: Option<u32>,
    content_block: Option<StartedBlock>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartedBlock {
    ToolUse {
        id: Option<String>,
        name: Option<String>,
    },
    /// Text (its text comes in deltas), thinking, and later kinds.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct ContentBlockDelta {
    index: Option<u32>,
    delta: Option<ContentDelta>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ContentDelta {
    TextDelta {
        text: Option<String>,
    },
    /// A piece of a tool call's input, as JSON text.
    InputJsonDelta {
        partial_json: Option<String>,
    },
    /// Thinking, signatures, citations: we only ask for text and tool calls.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct MessageDelta {
    delta: Option<MessageDeltaBody>,
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct MessageDeltaBody {
    stop_reason: Option<String>,
}

/// The body of a failed request, and of an `error` event.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
}

impl StreamEvent {
    /// The SSE event name decides, as it always has here; only an unnamed event goes by `type`.
    fn decode(event: &confab_sse::Event) -> serde_json::Result<StreamEvent> {
        use serde_json::from_str;
        let data = event.data.as_str();
        Ok(match event.event.as_str() {
            confab_sse::DEFAULT_EVENT => from_str(data)?,
            "message_start" => StreamEvent::MessageStart(from_str(data)?),
            "content_block_start" => StreamEvent::ContentBlockStart(from_str(data)?),
            "content_block_delta" => StreamEvent::ContentBlockDelta(from_str(data)?),
            "message_delta" => StreamEvent::MessageDelta(from_str(data)?),
            "error" => StreamEvent::Error(from_str(data)?),
            name => {
                // Still JSON, or it is a malformed event.
                from_str::<serde::de::IgnoredAny>(data)?;
                match name {
                    "message_stop" => StreamEvent::MessageStop,
                    "ping" => StreamEvent::Ping,
                    _ => StreamEvent::Other,
                }
            }
        })
    }
}

fn error_message(body: &str) -> Option<String> {
    serde_json::from_str::<ErrorBody>(body).ok()?.error?.message
}

/// Reads one stream: the input token count comes first and is reported with the output's.
#[derive(Default)]
struct StreamReader {
    input_tokens: u64,
    /// The content blocks that are tool calls, in order: their position is OpenAI's tool call
    /// index.
    tool_blocks: Vec<u32>,
}

/// A stop reason in OpenAI's words.
fn finish_reason(stop_reason: &str) -> &str {
    match stop_reason {
        "end_turn" | "stop_sequence" | "pause_turn" => "stop",
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        other => other,
    }
}

impl StreamReader {
    fn parse(&mut self, event: confab_sse::Event) -> http::Parsed {
        let mut parsed = http::Parsed::default();
        let decoded = match StreamEvent::decode(&event) {
            Ok(decoded) => decoded,
            // An error event with a JSON body of another shape is still an error.
            Err(_) if event.event == "error" && serde_json::from_str::<serde::de::IgnoredAny>(&event.data).is_ok() => {
                StreamEvent::Error(ErrorBody::default())
            }
            Err(_) => {
                tracing::warn!("skipping a malformed event from the model provider");
                return parsed;
            }
        };
        match decoded {
            StreamEvent::MessageStart(start) => {
                self.input_tokens = start.message.and_then(|m| m.usage).and_then(|u| u.input_tokens).unwrap_or(0);
            }
            StreamEvent::ContentBlockStart(ContentBlockStart {
                index,
                content_block: Some(StartedBlock::ToolUse { id, name }),
            }) => {
                let block = index.unwrap_or(0);
                parsed.items.push(Ok(StreamItem::ToolCall {
                    choice: 0,
                    index: self.tool_blocks.len() as u32,
                    id,
                    name,
                    arguments: String::new(),
                }));
                self.tool_blocks.push(block);
            }
            StreamEvent::ContentBlockDelta(ContentBlockDelta {
                delta: Some(ContentDelta::TextDelta { text }), ..
            }) => {
                if let Some(text) = text.filter(|t| !t.is_empty()) {
                    parsed.items.push(Ok(StreamItem::Delta(text)));
                }
            }
            StreamEvent::ContentBlockDelta(ContentBlockDelta {
                index,
                delta: Some(ContentDelta::InputJsonDelta { partial_json: Some(json) }),
            }) => {
                // Only the input of a block that started as a tool call.
                if let Some(n) = self.tool_blocks.iter().position(|b| Some(*b) == index)
                    && !json.is_empty()
                {
                    parsed.items.push(Ok(StreamItem::ToolCall {
                        choice: 0,
                        index: n as u32,
                        id: None,
                        name: None,
                        arguments: json,
                    }));
                }
            }
            StreamEvent::MessageDelta(delta) => {
                let stop_reason = delta.delta.and_then(|d| d.stop_reason);
                parsed.finished = stop_reason.is_some();
                if let Some(reason) = stop_reason {
                    parsed.finishes.push((0, finish_reason(&reason).to_string()));
                }
                if let Some(output_tokens) = delta.usage.and_then(|u| u.output_tokens) {
                    parsed.items.push(Ok(StreamItem::Usage { input_tokens: self.input_tokens, output_tokens }));
                }
            }
            StreamEvent::MessageStop => parsed.end = true,
            StreamEvent::Error(body) => {
                let error = body.error.unwrap_or_default();
                let err = if error.kind.as_deref() == Some("rate_limit_error") {
                    ProviderError::RateLimited { retry_after: None }
                } else {
                    ProviderError::Broken(error.message.unwrap_or_else(|| "unknown error".into()))
                };
                parsed.items.push(Err(err));
            }
            StreamEvent::ContentBlockStart(_)
            | StreamEvent::ContentBlockDelta(_)
            | StreamEvent::Ping
            | StreamEvent::Other => {}
        }
        parsed
    }
}

#[async_trait::async_trait]
impl Provider for Anthropic {
    async fn stream(&self, req: ChatRequest, api_key: Option<String>) -> Result<ProviderStream, ProviderError> {
        let url = format!("{}/messages", self.config.base_url.trim_end_matches('/'));
        let body = body(&req);
        let resp = http::send(
            &self.config,
            || {
                let mut r = self.client.post(&url).header("anthropic-version", API_VERSION).json(&body);
                if let Some(key) = &api_key {
                    r = r.header("x-api-key", key);
                }
                r
            },
            error_message,
        )
        .await?;
        let mut reader = StreamReader::default();
        Ok(http::adapt(http::events(&self.config, resp), move |event| reader.parse(event)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::providers::ChatMessage;
    use crate::providers::http::Outcome;
    use serde_json::{Value, json};

    fn request(system: Option<&str>, messages: &[(Role, &str)], temperature: Option<f32>) -> ChatRequest {
        ChatRequest {
            model: "claude-sonnet-4".into(),
            system: system.map(str::to_string),
            messages: messages.iter().map(|(role, content)| ChatMessage::text(*role, *content)).collect(),
            max_tokens: 1024,
            temperature,
            options: Default::default(),
        }
    }

    #[test]
    fn request_bodies() {
        let cases: Vec<(&str, ChatRequest, Value)> = vec![
            (
                "system prompt and temperature",
                request(Some("Be brief."), &[(Role::User, "Hi")], Some(0.5)),
                json!({
                    "model": "claude-sonnet-4",
                    "messages": [{"role": "user", "content": "Hi"}],
                    "max_tokens": 1024,
                    "stream": true,
                    "system": "Be brief.",
                    "temperature": 0.5,
                }),
            ),
            (
                "neighbours of one role merge",
                request(
                    None,
                    &[(Role::User, "a"), (Role::User, "b"), (Role::Assistant, "c"), (Role::Assistant, "d")],
                    None,
                ),
                json!({
                    "model": "claude-sonnet-4",
                    "messages": [{"role": "user", "content": "a\n\nb"}, {"role": "assistant", "content": "c\n\nd"}],
                    "max_tokens": 1024,
                    "stream": true,
                }),
            ),
            (
                "a history opening with the assistant gets a user turn first",
                request(None, &[(Role::Assistant, "x"), (Role::User, "y")], Some(0.1)),
                json!({
                    "model": "claude-sonnet-4",
                    "messages": [
                        {"role": "user", "content": "(conversation continues)"},
                        {"role": "assistant", "content": "x"},
                        {"role": "user", "content": "y"},
                    ],
                    "max_tokens": 1024,
                    "stream": true,
                    "temperature": f64::from(0.1f32),
                }),
            ),
        ];
        for (name, req, expected) in cases {
            assert_eq!(serde_json::to_value(body(&req)).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn tool_calls_and_results_become_blocks() {
        use crate::providers::{RequestOptions, ToolCall, ToolSpec};
        let mut req = request(Some("Be brief."), &[(Role::User, "weather?")], None);
        req.messages.push(ChatMessage {
            role: Role::Assistant,
            content: "Looking.".into(),
            tool: Some(ToolTurn::Calls(vec![ToolCall {
                id: "toolu_1".into(),
                name: "weather".into(),
                arguments: r#"{"city":"Oslo"}"#.into(),
            }])),
            images: Vec::new(),
        });
        req.messages.push(ChatMessage {
            role: Role::User,
            content: "rain".into(),
            tool: Some(ToolTurn::Result { call_id: "toolu_1".into() }),
            images: Vec::new(),
        });
        req.messages.push(ChatMessage::text(Role::User, "and tomorrow?"));
        req.options = RequestOptions {
            tools: vec![ToolSpec { name: "weather".into(), description: None, parameters: None }],
            tool_choice: Some(ToolChoice::Required),
            stop: vec!["END".into()],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(body(&req)).unwrap(),
            json!({
                "model": "claude-sonnet-4",
                "messages": [
                    {"role": "user", "content": "weather?"},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "Looking."},
                        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rain"},
                        {"type": "text", "text": "and tomorrow?"},
                    ]},
                ],
                "max_tokens": 1024,
                "stream": true,
                "system": "Be brief.",
                "stop_sequences": ["END"],
                "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
                "tool_choice": {"type": "any"},
            })
        );
    }

    #[test]
    fn a_tool_use_stream_becomes_tool_call_pieces() {
        let mut reader = StreamReader::default();
        let events = [
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check."}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Oslo\"}"}}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
            ),
        ];
        let parsed: Vec<http::Parsed> = events.iter().map(|(n, d)| reader.parse(event(n, d))).collect();
        let finishes: Vec<(u32, String)> = parsed.iter().flat_map(|p| p.finishes.clone()).collect();
        assert_eq!(finishes, vec![(0, "tool_calls".to_string())]);
        let piece = |id: Option<&str>, name: Option<&str>, arguments: &str| {
            Ok(StreamItem::ToolCall {
                choice: 0,
                index: 0,
                id: id.map(str::to_string),
                name: name.map(str::to_string),
                arguments: arguments.into(),
            })
        };
        assert_eq!(
            Outcome::of(parsed),
            outcome(
                vec![
                    delta("Let me check."),
                    piece(Some("toolu_1"), Some("weather"), ""),
                    piece(None, None, r#"{"city":"#),
                    piece(None, None, r#""Oslo"}"#),
                    usage(0, 9),
                ],
                true,
                false
            )
        );
    }

    fn event(name: &str, data: &str) -> confab_sse::Event {
        confab_sse::Event { id: None, event: name.into(), data: data.into(), retry: None }
    }

    fn outcome(items: Vec<Result<StreamItem, String>>, finished: bool, end: bool) -> Outcome {
        Outcome { items, finished, end }
    }

    fn delta(text: &str) -> Result<StreamItem, String> {
        Ok(StreamItem::Delta(text.into()))
    }

    fn usage(input_tokens: u64, output_tokens: u64) -> Result<StreamItem, String> {
        Ok(StreamItem::Usage { input_tokens, output_tokens })
    }

    fn broke(message: &str) -> Result<StreamItem, String> {
        Err(format!("the model provider's stream broke: {message}"))
    }

    const START: (&str, &str) = (
        "message_start",
        r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#,
    );

    /// A run of `(event name, data)` on one stream, and what they add up to.
    type Case = (&'static str, Vec<(&'static str, &'static str)>, Outcome);

    #[test]
    fn stream_events() {
        let cases: Vec<Case> = vec![
            ("message_start only counts", vec![START], outcome(vec![], false, false)),
            (
                "a text delta",
                vec![(
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
                )],
                outcome(vec![delta("Hello")], false, false),
            ),
            (
                "an empty text delta is nothing",
                vec![(
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#,
                )],
                outcome(vec![], false, false),
            ),
            (
                "other deltas are not text",
                vec![
                    (
                        "content_block_delta",
                        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}"#,
                    ),
                    (
                        "content_block_delta",
                        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me"}}"#,
                    ),
                    (
                        "content_block_delta",
                        r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
                    ),
                ],
                outcome(vec![], false, false),
            ),
            (
                "block start and stop, and pings, do nothing",
                vec![
                    (
                        "content_block_start",
                        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                    ),
                    ("ping", r#"{"type": "ping"}"#),
                    ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
                ],
                outcome(vec![], false, false),
            ),
            (
                "the message delta finishes and reports usage with the input from the start",
                vec![
                    START,
                    (
                        "message_delta",
                        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
                    ),
                ],
                outcome(vec![usage(25, 15)], true, false),
            ),
            (
                "no usage at the start counts as zero input",
                vec![
                    ("message_start", r#"{"type":"message_start","message":{"id":"msg_1","content":[]}}"#),
                    (
                        "message_delta",
                        r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":4}}"#,
                    ),
                ],
                outcome(vec![usage(0, 4)], true, false),
            ),
            (
                "a message delta without usage only finishes",
                vec![(
                    "message_delta",
                    r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null}}"#,
                )],
                outcome(vec![], true, false),
            ),
            (
                "a message delta without a stop reason does not finish",
                vec![(
                    "message_delta",
                    r#"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":2}}"#,
                )],
                outcome(vec![usage(0, 2)], false, false),
            ),
            ("message_stop ends", vec![("message_stop", r#"{"type":"message_stop"}"#)], outcome(vec![], false, true)),
            (
                "an error event breaks the stream",
                vec![("error", r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)],
                outcome(vec![broke("Overloaded")], false, false),
            ),
            (
                "a rate limit error is a rate limit",
                vec![("error", r#"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}"#)],
                outcome(vec![Err("the model provider is rate limiting requests".into())], false, false),
            ),
            (
                "an error without details",
                vec![("error", r#"{"type":"error"}"#)],
                outcome(vec![broke("unknown error")], false, false),
            ),
            (
                "an error of another JSON shape is still an error",
                vec![("error", r#"{"error":"boom"}"#)],
                outcome(vec![broke("unknown error")], false, false),
            ),
            (
                "an error that is not JSON is skipped",
                vec![("error", "Internal Server Error")],
                outcome(vec![], false, false),
            ),
            (
                "unknown events are ignored",
                vec![("future_event", r#"{"type":"future_event","whatever":[1,2]}"#), ("future_event", "null")],
                outcome(vec![], false, false),
            ),
            (
                "unnamed events go by their type (proxies that drop event lines)",
                vec![
                    (
                        confab_sse::DEFAULT_EVENT,
                        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
                    ),
                    (
                        confab_sse::DEFAULT_EVENT,
                        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}"#,
                    ),
                    (confab_sse::DEFAULT_EVENT, r#"{"type":"future_event"}"#),
                    (confab_sse::DEFAULT_EVENT, r#"{"type":"message_stop"}"#),
                ],
                outcome(vec![delta("Hi"), usage(0, 1)], true, true),
            ),
            (
                "the event name wins over the type",
                vec![("ping", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#)],
                outcome(vec![], false, false),
            ),
            (
                "a malformed event is skipped, the next one counts",
                vec![
                    ("content_block_delta", "{not json"),
                    (
                        "content_block_delta",
                        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}"#,
                    ),
                ],
                outcome(vec![delta("ok")], false, false),
            ),
        ];
        for (name, events, expected) in cases {
            let mut reader = StreamReader::default();
            let parsed = events.into_iter().map(|(n, d)| reader.parse(event(n, d))).collect();
            assert_eq!(Outcome::of(parsed), expected, "{name}");
        }
    }

    #[test]
    fn error_bodies() {
        let cases: Vec<(&str, Option<&str>)> = vec![
            (
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}}"#,
                Some("max_tokens: must be positive"),
            ),
            (r#"{"type":"error","error":{"type":"api_error"}}"#, None),
            (r#"{"message":"Forbidden"}"#, None),
            ("upstream connect error", None),
        ];
        for (body, expected) in cases {
            assert_eq!(error_message(body).as_deref(), expected, "{body}");
        }
    }

    /// A whole stream as Anthropic sends it, cut at every byte.
    #[test]
    fn a_whole_stream_split_anywhere() {
        let wire = [
            ("message_start", START.1),
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            ("ping", r#"{"type": "ping"}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Ça va, "}}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"世界 🎉"}}"#),
            ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ]
        .iter()
        .map(|(name, data)| format!("event: {name}\r\ndata: {data}\r\n\r\n"))
        .collect::<String>();
        let wire = wire.as_bytes();
        let expected = outcome(vec![delta("Ça va, "), delta("世界 🎉"), usage(25, 6)], true, true);
        for split in 0..=wire.len() {
            let mut sse = confab_sse::Parser::new();
            let mut events = sse.push(&wire[..split]);
            events.extend(sse.push(&wire[split..]));
            let mut reader = StreamReader::default();
            let parsed = events.into_iter().map(|e| reader.parse(e)).collect();
            assert_eq!(Outcome::of(parsed), expected, "split at {split}");
        }
    }
}

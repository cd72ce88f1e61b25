//! OpenAI Chat Completions (streaming): OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, LiteLLM.
use super::http;
use super::{
    ChatMessage, ChatRequest, Provider, ProviderError, ProviderStream, Role, StreamItem, ToolChoice, ToolTurn,
};
use crate::config::ProviderConfig;
use serde::{Deserialize, Serialize};

pub struct OpenAi {
    config: ProviderConfig,
    client: reqwest::Client,
}

impl OpenAi {
    pub fn new(config: ProviderConfig) -> Self {
        Self { client: http::client(&config), config }
    }

    fn url(&self, model: &str) -> String {
        let base = self.config.base_url.trim_end_matches('/');
        match &self.config.api_version {
            // Azure addresses a deployment, named by the model's upstream name.
            Some(version) => format!("{base}/openai/deployments/{model}/chat/completions?api-version={version}"),
            None => format!("{base}/chat/completions"),
        }
    }
}

/// The Chat Completions request, exactly the fields we send.
#[derive(Debug, Serialize)]
pub struct ChatCompletionRequest<'a> {
    model: &'a str,
    messages: Vec<RequestMessage<'a>>,
    stream: bool,
    stream_options: StreamOptions,
    max_tokens: u32,
    /// The request's `f32` widened exactly, the number this field has always carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<RequestTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct RequestMessage<'a> {
    role: RequestRole,
    /// `null` only for an assistant message that said nothing before calling tools.
    content: Option<MessageContent<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<RequestToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
}

impl<'a> RequestMessage<'a> {
    fn text(role: RequestRole, content: &'a str) -> Self {
        Self { role, content: Some(MessageContent::Text(content)), tool_calls: Vec::new(), tool_call_id: None }
    }
}

/// A message's text, or its parts when it carries images.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum MessageContent<'a> {
    Text(&'a str),
    Parts(Vec<ContentPart<'a>>),
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ContentPart<'a> {
    Text { text: &'a str },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Debug, Serialize)]
struct ImageUrl {
    url: String,
}

#[derive(Debug, Serialize)]
struct RequestToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionCall<'a>,
}

#[derive(Debug, Serialize)]
struct FunctionCall<'a> {
    name: &'a str,
    arguments: &'a str,
}

#[derive(Debug, Serialize)]
struct RequestTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionSpec<'a>,
}

#[derive(Debug, Serialize)]
struct FunctionSpec<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<&'a serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
enum RequestRole {
    System,
    User,
    Assistant,
    Tool,
}

impl From<Role> for RequestRole {
    fn from(role: Role) -> Self {
        match role {
            Role::User => RequestRole::User,
            Role::Assistant => RequestRole::Assistant,
        }
    }
}

#[derive(Debug, Serialize)]
struct StreamOptions {
    /// Asks for a last chunk with the token counts.
    include_usage: bool,
}

const CONTINUE_PROMPT: &str = "Continue your previous answer exactly where it stopped, without repeating anything.";

fn message(m: &ChatMessage) -> RequestMessage<'_> {
    match &m.tool {
        None if m.images.is_empty() => RequestMessage::text(m.role.into(), &m.content),
        None => {
            let mut parts: Vec<ContentPart<'_>> =
                m.images.iter().map(|i| ContentPart::ImageUrl { image_url: ImageUrl { url: i.data_url() } }).collect();
            if !m.content.is_empty() {
                parts.push(ContentPart::Text { text: &m.content });
            }
            RequestMessage {
                role: m.role.into(),
                content: Some(MessageContent::Parts(parts)),
                tool_calls: Vec::new(),
                tool_call_id: None,
            }
        }
        Some(ToolTurn::Result { call_id }) => RequestMessage {
            role: RequestRole::Tool,
            content: Some(MessageContent::Text(&m.content)),
            tool_calls: Vec::new(),
            tool_call_id: Some(call_id),
        },
        Some(ToolTurn::Calls(calls)) => RequestMessage {
            role: RequestRole::Assistant,
            content: (!m.content.is_empty()).then_some(MessageContent::Text(m.content.as_str())),
            tool_calls: calls
                .iter()
                .map(|c| RequestToolCall {
                    id: &c.id,
                    kind: "function",
                    function: FunctionCall { name: &c.name, arguments: &c.arguments },
                })
                .collect(),
            tool_call_id: None,
        },
    }
}

fn tool_choice(choice: &ToolChoice) -> serde_json::Value {
    match choice {
        ToolChoice::Auto => "auto".into(),
        ToolChoice::None => "none".into(),
        ToolChoice::Required => "required".into(),
        ToolChoice::Function(name) => serde_json::json!({ "type": "function", "function": { "name": name } }),
    }
}

pub fn body(req: &ChatRequest) -> ChatCompletionRequest<'_> {
    let mut messages = Vec::with_capacity(req.messages.len() + 2);
    if let Some(system) = &req.system {
        messages.push(RequestMessage::text(RequestRole::System, system));
    }
    messages.extend(req.messages.iter().map(message));
    // OpenAI-compatible servers have no assistant prefill: ask explicitly to go on.
    if req.messages.last().is_some_and(|m| m.role == Role::Assistant && m.tool.is_none()) {
        messages.push(RequestMessage::text(RequestRole::User, CONTINUE_PROMPT));
    }
    let o = &req.options;
    ChatCompletionRequest {
        model: &req.model,
        messages,
        stream: true,
        stream_options: StreamOptions { include_usage: true },
        max_tokens: req.max_tokens,
        temperature: req.temperature.map(f64::from),
        top_p: o.top_p.map(f64::from),
        n: o.n.filter(|n| *n != 1),
        stop: &o.stop,
        tools: o
            .tools
            .iter()
            .map(|t| RequestTool {
                kind: "function",
                function: FunctionSpec {
                    name: &t.name,
                    description: t.description.as_deref(),
                    parameters: t.parameters.as_ref(),
                },
            })
            .collect(),
        tool_choice: o.tool_choice.as_ref().map(tool_choice),
        response_format: o.response_format.as_ref(),
    }
}

/// One `data:` chunk of the stream (everything but the `[DONE]` marker). The first choice's
/// text is the answer; other choices exist only when the caller asked for several. Every field
/// may be absent or null: servers differ.
#[derive(Debug, Deserialize)]
struct ChatCompletionChunk {
    choices: Option<Vec<ChunkChoice>>,
    usage: Option<ChunkUsage>,
    /// How a failure after the first chunk arrives.
    error: Option<ErrorDetail>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    index: Option<u32>,
    delta: Option<ChunkDelta>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkDelta {
    content: Option<String>,
    tool_calls: Option<Vec<ChunkToolCall>>,
}

#[derive(Debug, Deserialize)]
struct ChunkToolCall {
    index: Option<u32>,
    id: Option<String>,
    function: Option<ChunkFunction>,
}

#[derive(Debug, Deserialize)]
struct ChunkFunction {
    name: Option<String>,
    arguments: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

/// The body of a failed request.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

fn error_message(body: &str) -> Option<String> {
    serde_json::from_str::<ErrorBody>(body).ok()?.error?.message
}

#[async_trait::async_trait]
impl Provider for OpenAi {
    async fn stream(&self, req: ChatRequest, api_key: Option<String>) -> Result<ProviderStream, ProviderError> {
        let url = self.url(&req.model);
        let body = body(&req);
        let azure = self.config.api_version.is_some();
        let resp = http::send(
            &self.config,
            || {
                let mut r = self.client.post(&url).json(&body);
                if let Some(key) = &api_key {
                    r = if azure { r.header("api-key", key) } else { r.bearer_auth(key) };
                }
                r
            },
            error_message,
        )
        .await?;
        Ok(http::adapt(http::events(&self.config, resp), parse_chunk))
    }
}

fn parse_chunk(event: confab_sse::Event) -> http::Parsed {
    let mut parsed = http::Parsed::default();
    if event.data.trim() == "[DONE]" {
        parsed.end = true;
        return parsed;
    }
    let Ok(chunk) = serde_json::from_str::<ChatCompletionChunk>(&event.data) else {
        // One bad chunk should not cost the user the whole answer.
        tracing::warn!("skipping a malformed chunk from the model provider");
        return parsed;
    };
    if let Some(message) = chunk.error.and_then(|e| e.message) {
        parsed.items.push(Err(ProviderError::Broken(message)));
        return parsed;
    }
    for (position, choice) in chunk.choices.unwrap_or_default().into_iter().enumerate() {
        let index = choice.index.unwrap_or(position as u32);
        if let Some(delta) = choice.delta {
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                parsed.items.push(Ok(match index {
                    0 => StreamItem::Delta(text),
                    choice => StreamItem::ChoiceDelta { choice, text },
                }));
            }
            for (n, call) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
                let (name, arguments) = call.function.map_or((None, None), |f| (f.name, f.arguments));
                parsed.items.push(Ok(StreamItem::ToolCall {
                    choice: index,
                    index: call.index.unwrap_or(n as u32),
                    id: call.id,
                    name,
                    arguments: arguments.unwrap_or_default(),
                }));
            }
        }
        if let Some(reason) = choice.finish_reason {
            parsed.finished = true;
            parsed.finishes.push((index, reason));
        }
    }
    if let Some(ChunkUsage { prompt_tokens: Some(input), completion_tokens: Some(output) }) = chunk.usage {
        parsed.items.push(Ok(StreamItem::Usage { input_tokens: input, output_tokens: output }));
    }
    parsed
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
            model: "gpt-4o".into(),
            system: system.map(str::to_string),
            messages: messages.iter().map(|(role, content)| ChatMessage::text(*role, *content)).collect(),
            max_tokens: 256,
            temperature,
            options: Default::default(),
        }
    }

    #[test]
    fn request_bodies() {
        let cases: Vec<(&str, ChatRequest, Value)> = vec![
            (
                "system prompt, no temperature",
                request(Some("Be brief."), &[(Role::User, "Hi")], None),
                json!({
                    "model": "gpt-4o",
                    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
                    "stream": true,
                    "stream_options": {"include_usage": true},
                    "max_tokens": 256,
                }),
            ),
            (
                "turns in order, temperature widened exactly",
                request(None, &[(Role::User, "a"), (Role::Assistant, "b"), (Role::User, "c")], Some(0.1)),
                json!({
                    "model": "gpt-4o",
                    "messages": [
                        {"role": "user", "content": "a"},
                        {"role": "assistant", "content": "b"},
                        {"role": "user", "content": "c"},
                    ],
                    "stream": true,
                    "stream_options": {"include_usage": true},
                    "max_tokens": 256,
                    "temperature": f64::from(0.1f32),
                }),
            ),
            (
                "an assistant prefix is continued by asking",
                request(None, &[(Role::User, "a"), (Role::Assistant, "half an ans")], Some(0.25)),
                json!({
                    "model": "gpt-4o",
                    "messages": [
                        {"role": "user", "content": "a"},
                        {"role": "assistant", "content": "half an ans"},
                        {"role": "user", "content": CONTINUE_PROMPT},
                    ],
                    "stream": true,
                    "stream_options": {"include_usage": true},
                    "max_tokens": 256,
                    "temperature": 0.25,
                }),
            ),
        ];
        for (name, req, expected) in cases {
            assert_eq!(serde_json::to_value(body(&req)).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn tools_and_pass_through_options() {
        use crate::providers::{RequestOptions, ToolCall, ToolSpec};
        let mut req = request(None, &[(Role::User, "weather?")], None);
        req.messages.push(ChatMessage {
            role: Role::Assistant,
            content: String::new(),
            tool: Some(ToolTurn::Calls(vec![ToolCall {
                id: "call_1".into(),
                name: "weather".into(),
                arguments: r#"{"city":"Oslo"}"#.into(),
            }])),
            images: Vec::new(),
        });
        req.messages.push(ChatMessage {
            role: Role::User,
            content: "rain".into(),
            tool: Some(ToolTurn::Result { call_id: "call_1".into() }),
            images: Vec::new(),
        });
        req.options = RequestOptions {
            tools: vec![ToolSpec {
                name: "weather".into(),
                description: Some("Weather of a city".into()),
                parameters: Some(json!({"type": "object"})),
            }],
            tool_choice: Some(ToolChoice::Function("weather".into())),
            response_format: Some(json!({"type": "json_object"})),
            stop: vec!["END".into()],
            n: Some(2),
            top_p: Some(0.5),
        };
        assert_eq!(
            serde_json::to_value(body(&req)).unwrap(),
            json!({
                "model": "gpt-4o",
                "messages": [
                    {"role": "user", "content": "weather?"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}
                    ]},
                    {"role": "tool", "content": "rain", "tool_call_id": "call_1"},
                ],
                "stream": true,
                "stream_options": {"include_usage": true},
                "max_tokens": 256,
                "top_p": 0.5,
                "n": 2,
                "stop": ["END"],
                "tools": [{"type": "function", "function": {"name": "weather", "description": "Weather of a city", "parameters": {"type": "object"}}}],
                "tool_choice": {"type": "function", "function": {"name": "weather"}},
                "response_format": {"type": "json_object"},
            })
        );
    }

    fn data(data: &str) -> confab_sse::Event {
        confab_sse::Event { id: None, event: confab_sse::DEFAULT_EVENT.into(), data: data.into(), retry: None }
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

    fn tool_piece(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> Result<StreamItem, String> {
        Ok(StreamItem::ToolCall {
            choice: 0,
            index,
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            arguments: arguments.into(),
        })
    }

    #[test]
    fn finish_reasons_are_kept_per_choice() {
        let cases: Vec<(&str, Vec<(u32, &str)>)> = vec![
            (r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#, vec![(0, "tool_calls")]),
            (r#"{"choices":[{"index":2,"delta":{},"finish_reason":"length"}]}"#, vec![(2, "length")]),
            (r#"{"choices":[{"delta":{"content":"x"},"finish_reason":null}]}"#, vec![]),
        ];
        for (chunk, expected) in cases {
            let parsed = parse_chunk(data(chunk));
            let got: Vec<(u32, &str)> = parsed.finishes.iter().map(|(c, r)| (*c, r.as_str())).collect();
            assert_eq!(got, expected, "{chunk}");
        }
    }

    #[test]
    fn stream_chunks() {
        let broke = |m: &str| Err(format!("the model provider's stream broke: {m}"));
        let cases: Vec<(&str, &str, Outcome)> = vec![
            (
                "the role preamble carries no text",
                r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
                outcome(vec![], false, false),
            ),
            (
                "a token",
                r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
                outcome(vec![delta("Hel")], false, false),
            ),
            (
                "the finish chunk",
                r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
                outcome(vec![], true, false),
            ),
            (
                "text and finish together (Ollama)",
                r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"."},"finish_reason":"length"}]}"#,
                outcome(vec![delta(".")], true, false),
            ),
            (
                "null content with a finish reason (llama.cpp)",
                r#"{"choices":[{"index":0,"delta":{"content":null},"finish_reason":"stop"}]}"#,
                outcome(vec![], true, false),
            ),
            (
                "the usage-only final chunk",
                r#"{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#,
                outcome(vec![usage(12, 5)], false, false),
            ),
            (
                "text, finish and usage in one chunk",
                r#"{"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":9}}"#,
                outcome(vec![delta("!"), usage(3, 9)], true, false),
            ),
            (
                "usage without completion tokens is no usage",
                r#"{"choices":[],"usage":{"prompt_tokens":12}}"#,
                outcome(vec![], false, false),
            ),
            (
                "usage details are ignored",
                r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#,
                outcome(vec![usage(1, 2)], false, false),
            ),
            (
                "no choices at all",
                r#"{"id":"chatcmpl-1","object":"chat.completion.chunk"}"#,
                outcome(vec![], false, false),
            ),
            ("null choices", r#"{"choices":null}"#, outcome(vec![], false, false)),
            (
                "Azure's prompt filter results",
                r#"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}"#,
                outcome(vec![], false, false),
            ),
            (
                "the first choice is the answer, others are told apart",
                r#"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null},{"index":1,"delta":{"content":"b"},"finish_reason":"stop"}]}"#,
                outcome(vec![delta("a"), Ok(StreamItem::ChoiceDelta { choice: 1, text: "b".into() })], true, false),
            ),
            (
                "fields we do not use are ignored; tool call pieces are kept",
                r#"{"choices":[{"index":0,"delta":{"reasoning_content":"hmm","tool_calls":[{"index":0,"function":{"arguments":"{"}}],"content":"x"},"finish_reason":null}]}"#,
                outcome(vec![delta("x"), tool_piece(0, None, None, "{")], false, false),
            ),
            (
                "the first piece of a tool call names it",
                r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"lookup","arguments":""}}]},"finish_reason":null}]}"#,
                outcome(vec![tool_piece(0, Some("call_1"), Some("lookup"), "")], false, false),
            ),
            (
                "a second parallel call",
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"q\":1}"}}]},"finish_reason":null}]}"#,
                outcome(vec![tool_piece(1, None, None, r#"{"q":1}"#)], false, false),
            ),
            (
                "an error chunk breaks the stream",
                r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#,
                outcome(vec![broke("The server had an error while processing your request.")], false, false),
            ),
            (
                "an error wins over choices",
                r#"{"error":{"message":"boom"},"choices":[{"delta":{"content":"x"},"finish_reason":"stop"}]}"#,
                outcome(vec![broke("boom")], false, false),
            ),
            (
                "an error without a message is not an error",
                r#"{"error":{"type":"server_error"},"choices":[{"delta":{"content":"x"}}]}"#,
                outcome(vec![delta("x")], false, false),
            ),
            ("the end marker", "[DONE]", outcome(vec![], false, true)),
            ("the end marker, padded", " [DONE] ", outcome(vec![], false, true)),
            ("a malformed chunk is skipped", r#"{"choices":[{"delta":{"content":"#, outcome(vec![], false, false)),
            ("JSON that is not an object is skipped", "42", outcome(vec![], false, false)),
            ("an empty data field is skipped", "", outcome(vec![], false, false)),
        ];
        for (name, chunk, expected) in cases {
            assert_eq!(Outcome::of(vec![parse_chunk(data(chunk))]), expected, "{name}");
        }
    }

    #[test]
    fn error_bodies() {
        let cases: Vec<(&str, Option<&str>)> = vec![
            (
                r#"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
                Some("Incorrect API key provided."),
            ),
            (r#"{"error":{"code":"429"}}"#, None),
            (r#"{"error":"model not found"}"#, None),
            (r#"{"detail":"Not Found"}"#, None),
            ("<html>Bad Gateway</html>", None),
            ("", None),
        ];
        for (body, expected) in cases {
            assert_eq!(error_message(body).as_deref(), expected, "{body}");
        }
    }

    /// A whole stream as the scripted upstream and OpenAI send it, cut at every byte: the SSE
    /// reader and the chunk parser together give the same answer.
    #[test]
    fn a_whole_stream_split_anywhere() {
        let wire = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße, \"},\"finish_reason\":null}]}\n\n",
            ": keep-alive\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"世界 🎉\"},\"finish_reason\":null}]}\r\n\r\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n",
            "data: [DONE]\n\n",
        )
        .as_bytes();
        let expected = outcome(vec![delta("Grüße, "), delta("世界 🎉"), usage(7, 3)], true, true);
        for split in 0..=wire.len() {
            let mut sse = confab_sse::Parser::new();
            let mut events = sse.push(&wire[..split]);
            events.extend(sse.push(&wire[split..]));
            let parsed = events.into_iter().map(parse_chunk).collect();
            assert_eq!(Outcome::of(parsed), expected, "split at {split}");
        }
    }
}

//! OpenAI Chat Completions (streaming): OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, LiteLLM.
use super::http;
use super::{ChatRequest, Provider, ProviderError, ProviderStream, Role, StreamItem};
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
}

#[derive(Debug, Serialize)]
struct RequestMessage<'a> {
    role: RequestRole,
    content: &'a str,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
enum RequestRole {
    System,
    User,
    Assistant,
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

pub fn body(req: &ChatRequest) -> ChatCompletionRequest<'_> {
    let mut messages = Vec::with_capacity(req.messages.len() + 2);
    if let Some(system) = &req.system {
        messages.push(RequestMessage { role: RequestRole::System, content: system });
    }
    messages.extend(req.messages.iter().map(|m| RequestMessage { role: m.role.into(), content: &m.content }));
    // OpenAI-compatible servers have no assistant prefill: ask explicitly to go on.
    if req.messages.last().is_some_and(|m| m.role == Role::Assistant) {
        messages.push(RequestMessage { role: RequestRole::User, content: CONTINUE_PROMPT });
    }
    ChatCompletionRequest {
        model: &req.model,
        messages,
        stream: true,
        stream_options: StreamOptions { include_usage: true },
        max_tokens: req.max_tokens,
        temperature: req.temperature.map(f64::from),
    }
}

/// One `data:` chunk of the stream (everything but the `[DONE]` marker). Only the first choice
/// matters: we never ask for more than one. Every field may be absent or null: servers differ.
#[derive(Debug, Deserialize)]
struct ChatCompletionChunk {
    choices: Option<Vec<ChunkChoice>>,
    usage: Option<ChunkUsage>,
    /// How a failure after the first chunk arrives.
    error: Option<ErrorDetail>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    delta: Option<ChunkDelta>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkDelta {
    content: Option<String>,
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
    if let Some(choice) = chunk.choices.unwrap_or_default().into_iter().next() {
        if let Some(text) = choice.delta.and_then(|d| d.content).filter(|t| !t.is_empty()) {
            parsed.items.push(Ok(StreamItem::Delta(text)));
        }
        parsed.finished = choice.finish_reason.is_some();
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
            messages: messages
                .iter()
                .map(|(role, content)| ChatMessage { role: *role, content: content.to_string() })
                .collect(),
            max_tokens: 256,
            temperature,
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
                "only the first choice counts",
                r#"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null},{"index":1,"delta":{"content":"b"},"finish_reason":"stop"}]}"#,
                outcome(vec![delta("a")], false, false),
            ),
            (
                "fields we do not use are ignored",
                r#"{"choices":[{"index":0,"delta":{"reasoning_content":"hmm","tool_calls":[{"index":0,"function":{"arguments":"{"}}],"content":"x"},"finish_reason":null}]}"#,
                outcome(vec![delta("x")], false, false),
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

//! OpenAI's Chat Completions format as clients send and read it: the request, parsed into the
//! core's terms (anything it cannot carry is a 400 naming the field), and the response, the
//! stream's chunks and the models list, written with borrowed fields.

use confab_core::chat::completions::CompletionInput;
use confab_core::providers::{ChatMessage, RequestOptions, Role, ToolCall, ToolChoice, ToolSpec, ToolTurn};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A request field the endpoint refuses, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct BadField {
    pub param: String,
    pub message: String,
}

fn bad(param: impl Into<String>, message: impl Into<String>) -> BadField {
    BadField { param: param.into(), message: message.into() }
}

/// The request body. Fields OpenAI defines that Confab does not use (`user`, `seed`,
/// `parallel_tool_calls`, `logit_bias`, …) are accepted and ignored, as other gateways do.
#[derive(Debug, Deserialize)]
pub struct ChatCompletionRequest {
    pub model: String,
    pub messages: Vec<InMessage>,
    #[serde(default)]
    pub stream: Option<bool>,
    pub stream_options: Option<StreamOptions>,
    pub n: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub max_tokens: Option<u32>,
    pub max_completion_tokens: Option<u32>,
    pub stop: Option<StopField>,
    pub tools: Option<Vec<InTool>>,
    pub tool_choice: Option<InToolChoice>,
    pub response_format: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StopField {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
pub struct InMessage {
    pub role: String,
    #[serde(default)]
    pub content: Option<InContent>,
    pub tool_calls: Option<Vec<InToolCall>>,
    pub tool_call_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum InContent {
    Text(String),
    Parts(Vec<InPart>),
}

#[derive(Debug, Deserialize)]
pub struct InPart {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub image_url: Option<InImageUrl>,
}

/// An image part's `image_url`: a `data:` URL (Confab never fetches a remote one).
#[derive(Debug, Deserialize)]
pub struct InImageUrl {
    pub url: String,
    #[allow(dead_code)]
    pub detail: Option<String>,
}

/// A `data:image/…;base64,…` URL's image, sniffed like an upload (the declared type is not
/// trusted; the picture's size is bounded).
fn image_of(url: &str, param: &str) -> Result<confab_core::providers::ImageInput, BadField> {
    use base64::Engine;
    let payload =
        url.strip_prefix("data:").and_then(|rest| rest.split_once(";base64,")).map(|(_, data)| data).ok_or_else(
            || bad(param.to_string(), "must be a data: URL (data:image/png;base64,…); remote images are not fetched"),
        )?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|_| bad(param.to_string(), "is not valid base64"))?;
    match confab_core::files::sniff::sniff(&bytes, "image") {
        Ok(s) if s.kind == confab_core::files::sniff::FileKind::Image => {
            Ok(confab_core::providers::ImageInput { media_type: s.media_type.to_string(), data: bytes.into() })
        }
        Ok(_) => Err(bad(param.to_string(), "is not a PNG, JPEG, GIF or WebP image")),
        Err(e) => Err(bad(param.to_string(), format!("the image {e}"))),
    }
}

/// A user message's text and images.
fn user_message(content: Option<InContent>, param: &str) -> Result<ChatMessage, BadField> {
    match content {
        Some(InContent::Parts(parts)) if parts.iter().any(|p| p.kind == "image_url") => {
            let (mut text, mut images) = (Vec::new(), Vec::new());
            for (i, part) in parts.into_iter().enumerate() {
                let at = format!("{param}[{i}]");
                match (part.kind.as_str(), part.text, part.image_url) {
                    ("text", Some(t), _) => text.push(t),
                    ("image_url", _, Some(image)) => images.push(image_of(&image.url, &format!("{at}.image_url.url"))?),
                    (kind, _, _) => {
                        return Err(bad(
                            at,
                            format!("content parts of type `{kind}` are not supported; send text or image_url"),
                        ));
                    }
                }
            }
            Ok(ChatMessage { images, ..ChatMessage::text(Role::User, text.join("\n")) })
        }
        other => Ok(ChatMessage::text(Role::User, text_of(other, param)?)),
    }
}

#[derive(Debug, Deserialize)]
pub struct InToolCall {
    pub id: String,
    pub function: InFunctionCall,
}

#[derive(Debug, Deserialize)]
pub struct InFunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

#[derive(Debug, Deserialize)]
pub struct InTool {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: InFunction,
}

#[derive(Debug, Deserialize)]
pub struct InFunction {
    pub name: String,
    pub description: Option<String>,
    pub parameters: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum InToolChoice {
    Mode(String),
    Named { function: NamedFunction },
}

#[derive(Debug, Deserialize)]
pub struct NamedFunction {
    pub name: String,
}

/// What the client asked of the response beyond the completion itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub stream: bool,
    pub include_usage: bool,
    pub choices: u32,
}

fn text_of(content: Option<InContent>, param: &str) -> Result<String, BadField> {
    match content {
        None => Ok(String::new()),
        Some(InContent::Text(text)) => Ok(text),
        Some(InContent::Parts(parts)) => {
            let mut out = Vec::with_capacity(parts.len());
            for (i, part) in parts.into_iter().enumerate() {
                match (part.kind.as_str(), part.text) {
                    ("text", Some(text)) => out.push(text),
                    ("image_url", _) => {
                        return Err(bad(format!("{param}[{i}]"), "images are taken in user messages only"));
                    }
                    (kind, _) => {
                        return Err(bad(
                            format!("{param}[{i}]"),
                            format!("content parts of type `{kind}` are not supported; send text"),
                        ));
                    }
                }
            }
            Ok(out.join("\n"))
        }
    }
}

impl ChatCompletionRequest {
    /// The request in the core's terms, and the response shape the client wants.
    pub fn into_input(self) -> Result<(CompletionInput, Shape), BadField> {
        if self.messages.is_empty() {
            return Err(bad("messages", "must contain at least one message"));
        }
        let mut system: Vec<String> = Vec::new();
        let mut messages = Vec::with_capacity(self.messages.len());
        for (i, m) in self.messages.into_iter().enumerate() {
            let param = format!("messages[{i}].content");
            match m.role.as_str() {
                "system" | "developer" => system.push(text_of(m.content, &param)?),
                "user" => messages.push(user_message(m.content, &param)?),
                "assistant" => {
                    let content = text_of(m.content, &param)?;
                    let tool = match m.tool_calls {
                        Some(calls) if !calls.is_empty() => Some(ToolTurn::Calls(
                            calls
                                .into_iter()
                                .map(|c| ToolCall { id: c.id, name: c.function.name, arguments: c.function.arguments })
                                .collect(),
                        )),
                        _ => None,
                    };
                    messages.push(ChatMessage { role: Role::Assistant, content, tool, images: Vec::new() });
                }
                "tool" => {
                    let call_id = m
                        .tool_call_id
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| bad(format!("messages[{i}].tool_call_id"), "is required for tool messages"))?;
                    messages.push(ChatMessage {
                        role: Role::User,
                        content: text_of(m.content, &param)?,
                        tool: Some(ToolTurn::Result { call_id }),
                        images: Vec::new(),
                    });
                }
                other => {
                    return Err(bad(
                        format!("messages[{i}].role"),
                        format!("`{other}` is not one of system, developer, user, assistant, tool"),
                    ));
                }
            }
        }
        let tools = self
            .tools
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                if t.kind != "function" {
                    return Err(bad(format!("tools[{i}].type"), "only `function` tools are supported"));
                }
                if t.function.name.is_empty() {
                    return Err(bad(format!("tools[{i}].function.name"), "is required"));
                }
                Ok(ToolSpec {
                    name: t.function.name,
                    description: t.function.description,
                    parameters: t.function.parameters,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tool_choice = match self.tool_choice {
            None => None,
            Some(InToolChoice::Mode(mode)) => Some(match mode.as_str() {
                "auto" => ToolChoice::Auto,
                "none" => ToolChoice::None,
                "required" => ToolChoice::Required,
                _ => return Err(bad("tool_choice", "must be auto, none, required or a named function")),
            }),
            Some(InToolChoice::Named { function }) => Some(ToolChoice::Function(function.name)),
        };
        if matches!(tool_choice, Some(ToolChoice::Required | ToolChoice::Function(_))) && tools.is_empty() {
            return Err(bad("tool_choice", "names a tool, but no tools were given"));
        }
        let stop = match self.stop {
            None => Vec::new(),
            Some(StopField::One(s)) => vec![s],
            Some(StopField::Many(v)) => v,
        };
        let stream = self.stream.unwrap_or(false);
        let shape = Shape {
            stream,
            include_usage: stream && self.stream_options.and_then(|o| o.include_usage).unwrap_or(false),
            choices: self.n.unwrap_or(1).max(1),
        };
        let input = CompletionInput {
            model: self.model,
            system: (!system.is_empty()).then(|| system.join("\n\n")),
            messages,
            max_tokens: self.max_completion_tokens.or(self.max_tokens),
            temperature: self.temperature,
            options: RequestOptions {
                tools,
                tool_choice,
                response_format: self.response_format,
                stop,
                n: self.n,
                top_p: self.top_p,
            },
            stream,
        };
        Ok((input, shape))
    }
}

/// Usage as OpenAI reports it.
#[derive(Debug, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

impl Usage {
    pub fn new(input: u64, output: u64) -> Self {
        Self { prompt_tokens: input, completion_tokens: output, total_tokens: input + output }
    }
}

#[derive(Debug, Serialize)]
pub struct OutToolCall<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: OutFunction<'a>,
}

#[derive(Debug, Serialize)]
pub struct OutFunction<'a> {
    pub name: &'a str,
    pub arguments: &'a str,
}

/// A non-streamed response.
#[derive(Debug, Serialize)]
pub struct ChatCompletion<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: i64,
    pub model: &'a str,
    pub choices: Vec<Choice<'a>>,
    pub usage: Usage,
}

#[derive(Debug, Serialize)]
pub struct Choice<'a> {
    pub index: u32,
    pub message: OutMessage<'a>,
    pub finish_reason: &'a str,
    pub logprobs: Option<()>,
}

#[derive(Debug, Serialize)]
pub struct OutMessage<'a> {
    pub role: &'static str,
    pub content: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<OutToolCall<'a>>,
    pub refusal: Option<()>,
}

/// One chunk of a stream.
#[derive(Debug, Serialize)]
pub struct Chunk<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: i64,
    pub model: &'a str,
    pub choices: Vec<ChunkChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

#[derive(Debug, Serialize)]
pub struct ChunkChoice<'a> {
    pub index: u32,
    pub delta: Delta<'a>,
    pub finish_reason: Option<&'a str>,
    pub logprobs: Option<()>,
}

#[derive(Debug, Default, Serialize)]
pub struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<DeltaToolCall<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DeltaToolCall<'a> {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: DeltaFunction<'a>,
}

#[derive(Debug, Serialize)]
pub struct DeltaFunction<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    pub arguments: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ModelList {
    pub object: &'static str,
    pub data: Vec<Model>,
}

#[derive(Debug, Serialize)]
pub struct Model {
    pub id: String,
    pub object: &'static str,
    pub created: i64,
    pub owned_by: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<(CompletionInput, Shape), BadField> {
        serde_json::from_value::<ChatCompletionRequest>(body).unwrap().into_input()
    }

    #[test]
    fn requests_become_core_input() {
        let (input, shape) = parse(json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use metric."}]},
                {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": 10,
            "max_completion_tokens": 20,
            "stop": "END",
            "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}],
            "tool_choice": {"type": "function", "function": {"name": "weather"}},
            "seed": 7,
            "user": "ignored",
        }))
        .unwrap();
        assert_eq!(shape, Shape { stream: true, include_usage: true, choices: 1 });
        assert_eq!(input.system.as_deref(), Some("Be brief.\n\nUse metric."));
        assert_eq!(input.max_tokens, Some(20), "max_completion_tokens wins");
        assert_eq!(input.options.stop, vec!["END".to_string()]);
        assert_eq!(input.options.tool_choice, Some(ToolChoice::Function("weather".into())));
        assert_eq!(input.messages.len(), 3);
        assert_eq!(
            input.messages[1].tool,
            Some(ToolTurn::Calls(vec![ToolCall {
                id: "call_1".into(),
                name: "weather".into(),
                arguments: "{}".into()
            }]))
        );
        assert_eq!(input.messages[2].tool, Some(ToolTurn::Result { call_id: "call_1".into() }));
        assert_eq!(input.messages[2].role, Role::User);
    }

    #[test]
    fn what_cannot_be_carried_is_refused_by_field() {
        let cases = [
            (json!({"model": "m", "messages": []}), "messages"),
            (json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]}), "messages[0].role"),
            (json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]}), "messages[0].tool_call_id"),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}),
                "messages[0].content[0].image_url.url",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "retrieval", "function": {"name": "f"}}]}),
                "tools[0].type",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": "sometimes"}),
                "tool_choice",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": "required"}),
                "tool_choice",
            ),
        ];
        for (body, param) in cases {
            assert_eq!(parse(body.clone()).unwrap_err().param, param, "{body}");
        }
    }

    #[test]
    fn chunks_are_written_as_openai_clients_read_them() {
        let chunk = Chunk {
            id: "chatcmpl-1",
            object: "chat.completion.chunk",
            created: 1,
            model: "claude",
            choices: vec![ChunkChoice {
                index: 0,
                delta: Delta {
                    tool_calls: vec![DeltaToolCall {
                        index: 0,
                        id: Some("toolu_1"),
                        kind: Some("function"),
                        function: DeltaFunction { name: Some("weather"), arguments: "" },
                    }],
                    ..Default::default()
                },
                finish_reason: None,
                logprobs: None,
            }],
            usage: None,
        };
        assert_eq!(
            serde_json::to_value(&chunk).unwrap(),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "claude",
                   "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "toolu_1", "type": "function",
                   "function": {"name": "weather", "arguments": ""}}]}, "finish_reason": null, "logprobs": null}]})
        );
    }
}

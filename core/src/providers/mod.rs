//! Model providers: streaming adapters for the OpenAI Chat Completions and Anthropic Messages
//! wire protocols, the built-in demo model, and the per-tenant model catalogue.

mod anthropic;
pub mod catalogue;
mod demo;
mod http;
mod openai;

use futures::stream::BoxStream;

pub use catalogue::{Catalogue, ModelSpec};

pub const DEMO_PROVIDER: &str = "demo";
pub const DEMO_MODEL: &str = "demo";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
    /// Tool use (only the OpenAI-compatible endpoint sends tools; chat turns never do).
    #[serde(skip)]
    pub tool: Option<ToolTurn>,
    /// Images for vision models (user messages with attached pictures), sent before the text.
    #[serde(skip)]
    pub images: Vec<ImageInput>,
}

impl ChatMessage {
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into(), tool: None, images: Vec::new() }
    }
}

/// An image for a vision model: its sniffed media type and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInput {
    pub media_type: String,
    pub data: bytes::Bytes,
}

impl ImageInput {
    pub fn base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&self.data)
    }

    /// A `data:` URL of the image (OpenAI's `image_url`).
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.media_type, self.base64())
    }
}

/// How a message takes part in tool use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolTurn {
    /// An assistant message that called tools; its `content` is any text it said first.
    Calls(Vec<ToolCall>),
    /// A user-side message whose `content` is the result of the call `call_id` (OpenAI's `tool`
    /// role, Anthropic's `tool_result` block).
    Result { call_id: String },
}

/// A finished tool call: its id, the function's name and its arguments as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: Option<String>,
    /// A JSON schema of the arguments.
    pub parameters: Option<serde_json::Value>,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    None,
    Required,
    Function(String),
}

/// What a stateless completion may ask of the provider beyond a chat turn; the default asks
/// nothing, which is what chat turns send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOptions {
    pub tools: Vec<ToolSpec>,
    pub tool_choice: Option<ToolChoice>,
    /// OpenAI's `response_format`, passed through as given to OpenAI-compatible providers.
    pub response_format: Option<serde_json::Value>,
    pub stop: Vec<String>,
    /// Choices to generate (OpenAI-compatible providers only).
    pub n: Option<u32>,
    pub top_p: Option<f32>,
}

/// One upstream call.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The provider's model name (Azure: the deployment).
    pub model: String,
    pub system: Option<String>,
    /// Oldest first. When the last one is from the assistant, the provider continues it.
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    pub options: RequestOptions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// Text of the first choice.
    Delta(String),
    Usage {
        input_tokens: u64,
        output_tokens: u64,
    },
    /// Text of another choice (when more than one was asked for).
    ChoiceDelta {
        choice: u32,
        text: String,
    },
    /// A piece of tool call `index` of a choice: the first piece carries its id and name, the
    /// rest more of its arguments' JSON text.
    ToolCall {
        choice: u32,
        index: u32,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    },
    /// Why a choice ended, in OpenAI's words: `stop`, `length`, `tool_calls`, `content_filter`.
    Finish {
        choice: u32,
        reason: String,
    },
}

pub type ProviderStream = BoxStream<'static, Result<StreamItem, ProviderError>>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    #[error("the model provider is rate limiting requests{}", retry_hint(*retry_after))]
    RateLimited { retry_after: Option<u64> },
    #[error("the model provider refused the credentials")]
    Unauthorized,
    #[error("the model provider answered {status}: {message}")]
    Upstream { status: u16, message: String, retry_after: Option<u64> },
    #[error("the model provider did not answer within {secs} s ({phase})")]
    Timeout { phase: &'static str, secs: u64 },
    #[error("cannot reach the model provider: {0}")]
    Connect(String),
    #[error("the model provider's stream broke: {0}")]
    Broken(String),
    #[error("{0}")]
    NotConfigured(String),
}

fn retry_hint(retry_after: Option<u64>) -> String {
    retry_after.map(|s| format!("; retry after {s} s")).unwrap_or_default()
}

impl ProviderError {
    /// A stable code for the API and the message record.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::RateLimited { .. } => "upstream_rate_limited",
            ProviderError::Unauthorized => "upstream_unauthorized",
            ProviderError::Upstream { .. } => "upstream_error",
            ProviderError::Timeout { .. } => "upstream_timeout",
            ProviderError::Connect(_) => "upstream_unreachable",
            ProviderError::Broken(_) => "upstream_stream_broken",
            ProviderError::NotConfigured(_) => "provider_not_configured",
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ProviderError::RateLimited { retry_after } | ProviderError::Upstream { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A model provider. Implementations stream text deltas and, when the provider reports it, usage.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    async fn stream(&self, request: ChatRequest, api_key: Option<String>) -> Result<ProviderStream, ProviderError>;
}

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    Delta(String),
    Usage { input_tokens: u64, output_tokens: u64 },
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

//! Anthropic Messages (streaming).
use super::http;
use super::{ChatRequest, Provider, ProviderError, ProviderStream, Role, StreamItem};
use crate::config::ProviderConfig;
use serde_json::{Value, json};

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

pub fn body(req: &ChatRequest) -> Value {
    // The Messages API wants alternating roles starting with the user; merge neighbours.
    let mut messages: Vec<(Role, String)> = Vec::new();
    for m in &req.messages {
        match messages.last_mut() {
            Some((role, text)) if *role == m.role => {
                text.push_str("\n\n");
                text.push_str(&m.content);
            }
            _ => messages.push((m.role, m.content.clone())),
        }
    }
    if messages.first().is_some_and(|(r, _)| *r == Role::Assistant) {
        messages.insert(0, (Role::User, "(conversation continues)".into()));
    }
    let messages: Vec<Value> =
        messages.into_iter().map(|(role, content)| json!({ "role": role, "content": content })).collect();
    let mut body = json!({
        "model": req.model,
        "messages": messages,
        "max_tokens": req.max_tokens,
        "stream": true,
    });
    if let Some(system) = &req.system {
        body["system"] = json!(system);
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    body
}

fn error_message(v: &Value) -> Option<String> {
    v["error"]["message"].as_str().map(str::to_string)
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
        let mut input_tokens = 0u64;
        Ok(http::adapt(http::events(&self.config, resp), move |event| {
            let mut parsed = http::Parsed::default();
            let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
                tracing::warn!("skipping a malformed event from the model provider");
                return parsed;
            };
            let kind = if event.event.is_empty() {
                data["type"].as_str().unwrap_or_default().to_string()
            } else {
                event.event
            };
            match kind.as_str() {
                "message_start" => input_tokens = data["message"]["usage"]["input_tokens"].as_u64().unwrap_or(0),
                "content_block_delta" => {
                    if let Some(text) = data["delta"]["text"].as_str().filter(|t| !t.is_empty()) {
                        parsed.items.push(Ok(StreamItem::Delta(text.to_string())));
                    }
                }
                "message_delta" => {
                    parsed.finished = data["delta"]["stop_reason"].is_string();
                    if let Some(output_tokens) = data["usage"]["output_tokens"].as_u64() {
                        parsed.items.push(Ok(StreamItem::Usage { input_tokens, output_tokens }));
                    }
                }
                "message_stop" => parsed.end = true,
                "error" => {
                    let message = error_message(&data).unwrap_or_else(|| "unknown error".into());
                    let err = if data["error"]["type"] == "rate_limit_error" {
                        ProviderError::RateLimited { retry_after: None }
                    } else {
                        ProviderError::Broken(message)
                    };
                    parsed.items.push(Err(err));
                }
                _ => {}
            }
            parsed
        }))
    }
}

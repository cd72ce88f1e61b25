//! OpenAI Chat Completions (streaming): OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, LiteLLM.
use super::http;
use super::{ChatRequest, Provider, ProviderError, ProviderStream, Role, StreamItem};
use crate::config::ProviderConfig;
use serde_json::{Value, json};

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

pub fn body(req: &ChatRequest) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = &req.system {
        messages.push(json!({ "role": "system", "content": system }));
    }
    for m in &req.messages {
        messages.push(json!({ "role": m.role, "content": m.content }));
    }
    // OpenAI-compatible servers have no assistant prefill: ask explicitly to go on.
    if req.messages.last().is_some_and(|m| m.role == Role::Assistant) {
        messages.push(json!({
            "role": "user",
            "content": "Continue your previous answer exactly where it stopped, without repeating anything."
        }));
    }
    let mut body = json!({
        "model": req.model,
        "messages": messages,
        "stream": true,
        "stream_options": { "include_usage": true },
        "max_tokens": req.max_tokens,
    });
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    body
}

fn error_message(v: &Value) -> Option<String> {
    v["error"]["message"].as_str().map(str::to_string)
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

fn parse_chunk(event: super::sse::SseEvent) -> http::Parsed {
    let mut parsed = http::Parsed::default();
    if event.data.trim() == "[DONE]" {
        parsed.end = true;
        return parsed;
    }
    let Ok(chunk) = serde_json::from_str::<Value>(&event.data) else {
        // One bad chunk should not cost the user the whole answer.
        tracing::warn!("skipping a malformed chunk from the model provider");
        return parsed;
    };
    if let Some(message) = error_message(&chunk) {
        parsed.items.push(Err(ProviderError::Broken(message)));
        return parsed;
    }
    if let Some(choice) = chunk["choices"].get(0) {
        if let Some(text) = choice["delta"]["content"].as_str().filter(|t| !t.is_empty()) {
            parsed.items.push(Ok(StreamItem::Delta(text.to_string())));
        }
        parsed.finished = choice["finish_reason"].is_string();
    }
    if let (Some(input), Some(output)) =
        (chunk["usage"]["prompt_tokens"].as_u64(), chunk["usage"]["completion_tokens"].as_u64())
    {
        parsed.items.push(Ok(StreamItem::Usage { input_tokens: input, output_tokens: output }));
    }
    parsed
}

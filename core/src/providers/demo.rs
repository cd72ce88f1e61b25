//! The built-in demo model: streams a fixed explanation so a fresh installation works before any
//! provider is configured. It is labelled as a demo everywhere it appears.
use super::{ChatRequest, Provider, ProviderError, ProviderStream, StreamItem};
use futures::StreamExt;
use std::time::Duration;

pub const DEMO_TEXT: &str = "This is Confab's built-in demo model, not a real language model. \
It streams this fixed text so you can try conversations, branches, stop and retry before a model \
provider is connected. To use a real model, an operator adds a provider (OpenAI, Azure OpenAI, \
Anthropic, vLLM, Ollama, llama.cpp or LiteLLM) and its models to confab.toml, or a tenant admin \
adds models and a provider key through the API.";

pub struct Demo {
    pub delay: Duration,
}

#[async_trait::async_trait]
impl Provider for Demo {
    async fn stream(&self, req: ChatRequest, _api_key: Option<String>) -> Result<ProviderStream, ProviderError> {
        let words: Vec<String> = DEMO_TEXT.split_inclusive(' ').map(str::to_string).collect();
        let limit = (req.max_tokens as usize).max(1);
        let input: usize = req.messages.iter().map(|m| m.content.split_whitespace().count()).sum();
        let words: Vec<String> = words.into_iter().take(limit).collect();
        let output = words.len() as u64;
        let delay = self.delay;
        let deltas = futures::stream::iter(words).then(move |w| async move {
            tokio::time::sleep(delay).await;
            Ok(StreamItem::Delta(w))
        });
        let usage =
            futures::stream::iter([Ok(StreamItem::Usage { input_tokens: input as u64, output_tokens: output })]);
        Ok(deltas.chain(usage).boxed())
    }
}

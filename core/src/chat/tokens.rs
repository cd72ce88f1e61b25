//! Token counting for context budgets: real counts for OpenAI-family models on `o200k_base` or
//! `cl100k_base` (tiktoken's counts, from Confab's compact tables: [`super::bpe`]), and for every
//! other model a documented estimate of one token per four bytes of UTF-8, rounded up.

use crate::config::ProviderKind;
use crate::providers::ModelSpec;

/// Tokens a chat message costs beyond its text (role markers, separators), per OpenAI's guide.
pub const PER_MESSAGE_OVERHEAD: usize = 4;

/// BPE is quadratic on long runs without spaces; count long texts in slices so untrusted input
/// cannot make counting expensive. The sum of slice counts is a close upper bound.
const SLICE: usize = 4096;

pub fn count(model: &ModelSpec, text: &str) -> usize {
    let encoding = match model.kind {
        Some(ProviderKind::Openai) => super::bpe::Kind::for_model(&model.upstream_model).and_then(|k| k.encoding()),
        _ => None,
    };
    match encoding {
        Some(encoding) => slices(text).map(|s| encoding.count(s)).sum(),
        None => estimate(text),
    }
}

pub fn estimate(text: &str) -> usize {
    text.len().div_ceil(4)
}

fn slices(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.len().min(SLICE);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some(head)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::catalogue::Source;

    fn spec(kind: Option<ProviderKind>, upstream: &str) -> ModelSpec {
        ModelSpec {
            id: upstream.into(),
            display_name: upstream.into(),
            provider: "p".into(),
            kind,
            upstream_model: upstream.into(),
            context_window: 1000,
            max_output_tokens: 100,
            input_price_per_million: 0.0,
            output_price_per_million: 0.0,
            vision: false,
            source: Source::Installation,
        }
    }

    #[test]
    fn openai_models_use_their_tokenizer() {
        let gpt4o = spec(Some(ProviderKind::Openai), "gpt-4o");
        // "hello world" is two tokens in o200k_base.
        assert_eq!(count(&gpt4o, "hello world"), 2);
        let unknown = spec(Some(ProviderKind::Openai), "my-local-llama");
        assert_eq!(count(&unknown, "hello world"), 3, "unknown names fall back to the estimate");
        let claude = spec(Some(ProviderKind::Anthropic), "claude-sonnet-4");
        assert_eq!(count(&claude, "abcdefgh"), 2);
    }

    #[test]
    fn long_unbroken_text_is_counted_in_slices() {
        let gpt4o = spec(Some(ProviderKind::Openai), "gpt-4o");
        let text = "é".repeat(10_000);
        assert!(count(&gpt4o, &text) > 0);
        assert_eq!(slices(&text).map(str::len).sum::<usize>(), text.len());
    }
}

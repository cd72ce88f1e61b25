//! Building what goes upstream: the system prompt, then the newest turns of the active branch
//! that fit the model's window after reserving the output budget.

use super::tokens::{self, PER_MESSAGE_OVERHEAD};
use crate::domain::{MessageId, MessageRole, MessageStatus};
use crate::files::Attached;
use crate::providers::{ChatMessage, ModelSpec, Role};
use crate::store::messages::Message;
use serde::Serialize;
use std::collections::HashMap;

/// What was sent for one turn, recorded on the assistant message.
#[derive(Debug, Clone, Serialize)]
pub struct ContextRecord {
    pub model: String,
    pub provider: String,
    pub upstream_model: String,
    pub max_output_tokens: u32,
    pub context_window: u32,
    /// Oldest first.
    pub sent_message_ids: Vec<uuid::Uuid>,
    /// Older turns left out to fit the window, oldest first.
    pub dropped_message_ids: Vec<uuid::Uuid>,
    pub prompt_tokens: usize,
}

pub struct Context {
    pub messages: Vec<ChatMessage>,
    pub record: ContextRecord,
}

/// The path from the root to `leaf` (inclusive), oldest first.
pub fn path_to(all: &[Message], leaf: Option<MessageId>) -> Vec<Message> {
    let by_id: HashMap<MessageId, &Message> = all.iter().map(|m| (m.id, m)).collect();
    let mut path = Vec::new();
    let mut cursor = leaf;
    while let Some(id) = cursor {
        let Some(m) = by_id.get(&id) else { break };
        path.push((*m).clone());
        cursor = m.parent_id;
        if path.len() > all.len() {
            break; // a cycle cannot be stored, but never loop on bad data
        }
    }
    path.reverse();
    path
}

fn usable(m: &Message) -> bool {
    match m.role {
        MessageRole::User => true,
        MessageRole::Assistant => !m.content.is_empty() && m.status != MessageStatus::Queued,
        MessageRole::System => false,
    }
}

/// Picks the newest turns of `history` (oldest first) that fit, plus an optional assistant
/// prefix to continue. `attached` is what messages carry besides their text (their files' text
/// and images); it counts against the window with the message and goes or stays with it.
pub fn build(
    model: &ModelSpec,
    system: Option<&str>,
    history: &[Message],
    prefix: Option<&str>,
    attached: &HashMap<MessageId, Attached>,
) -> Context {
    let window = model.context_window as usize;
    let mut budget = window.saturating_sub(model.max_output_tokens as usize);
    if let Some(system) = system {
        budget = budget.saturating_sub(tokens::count(model, system) + PER_MESSAGE_OVERHEAD);
    }
    if let Some(prefix) = prefix {
        budget = budget.saturating_sub(tokens::count(model, prefix) + PER_MESSAGE_OVERHEAD);
    }
    let mut sent: Vec<&Message> = Vec::new();
    let mut dropped: Vec<uuid::Uuid> = Vec::new();
    let mut used = 0usize;
    let mut full = false;
    for m in history.iter().rev().filter(|m| usable(m)) {
        let mut cost = tokens::count(model, &m.content) + PER_MESSAGE_OVERHEAD;
        if let Some(a) = attached.get(&m.id) {
            cost += tokens::count(model, &a.text) + a.image_tokens;
        }
        // The newest message always goes, even alone over budget: the provider will say so.
        if !full && (used + cost <= budget || sent.is_empty()) {
            used += cost;
            sent.push(m);
        } else {
            full = true;
            dropped.push(m.id.0);
        }
    }
    sent.reverse();
    dropped.reverse();
    let mut messages: Vec<ChatMessage> = sent
        .iter()
        .map(|m| {
            let role = if m.role == MessageRole::Assistant { Role::Assistant } else { Role::User };
            match attached.get(&m.id) {
                None => ChatMessage::text(role, &m.content),
                Some(a) => ChatMessage {
                    images: a.images.clone(),
                    ..ChatMessage::text(role, format!("{}{}", a.text, m.content))
                },
            }
        })
        .collect();
    if let Some(prefix) = prefix {
        messages.push(ChatMessage::text(Role::Assistant, prefix));
    }
    Context {
        messages,
        record: ContextRecord {
            model: model.id.clone(),
            provider: model.provider.clone(),
            upstream_model: model.upstream_model.clone(),
            max_output_tokens: model.max_output_tokens,
            context_window: model.context_window,
            sent_message_ids: sent.iter().map(|m| m.id.0).collect(),
            dropped_message_ids: dropped,
            prompt_tokens: used,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderKind;
    use crate::domain::{ConversationId, TenantId};
    use crate::providers::catalogue::Source;
    use uuid::Uuid;

    /// An Anthropic model: its tokens are estimated at four bytes each, so costs are exact here.
    fn model(context_window: u32, max_output_tokens: u32) -> ModelSpec {
        ModelSpec {
            id: "claude".into(),
            display_name: "Claude".into(),
            provider: "anthropic".into(),
            kind: Some(ProviderKind::Anthropic),
            upstream_model: "claude-sonnet-4".into(),
            context_window,
            max_output_tokens,
            input_price_per_million: 0.0,
            output_price_per_million: 0.0,
            vision: false,
            source: Source::Installation,
        }
    }

    /// `tokens` tokens of text: with the per-message overhead it costs `tokens + 4`.
    fn text(tokens: usize) -> String {
        "abcd".repeat(tokens)
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// A linear history, oldest first, with ids 1, 2, …
    fn history(turns: &[(MessageRole, MessageStatus, usize)]) -> Vec<Message> {
        turns
            .iter()
            .enumerate()
            .map(|(i, &(role, status, tokens))| {
                message(i as u128 + 1, (i > 0).then_some(i as u128), role, status, tokens)
            })
            .collect()
    }

    fn message(n: u128, parent: Option<u128>, role: MessageRole, status: MessageStatus, tokens: usize) -> Message {
        Message {
            id: MessageId(id(n)),
            tenant_id: TenantId(Uuid::nil()),
            conversation_id: ConversationId(Uuid::nil()),
            parent_id: parent.map(|p| MessageId(id(p))),
            role,
            status,
            content: text(tokens),
            model: None,
            model_config: None,
            error: None,
            input_tokens: None,
            output_tokens: None,
            plugin_runs: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    use MessageRole::{Assistant as A, System as S, User as U};
    use MessageStatus::{Completed as Done, Failed, Partial, Queued, Streaming};

    struct Case {
        name: &'static str,
        window: u32,
        max_output: u32,
        system: Option<usize>,
        turns: Vec<(MessageRole, MessageStatus, usize)>,
        prefix: Option<usize>,
        sent: Vec<u128>,
        dropped: Vec<u128>,
        prompt_tokens: usize,
    }

    #[test]
    fn budgets_the_newest_turns_into_the_window() {
        let cases = vec![
            Case {
                name: "everything fits",
                window: 1000,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 10), (A, Done, 10), (U, Done, 10)],
                prefix: None,
                sent: vec![1, 2, 3],
                dropped: vec![],
                prompt_tokens: 42,
            },
            Case {
                name: "the oldest go first; the output budget is reserved",
                window: 150,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 10), (A, Done, 10), (U, Done, 10), (A, Done, 10), (U, Done, 10)],
                prefix: None,
                sent: vec![3, 4, 5],
                dropped: vec![1, 2],
                prompt_tokens: 42,
            },
            Case {
                name: "an exact fit is a fit",
                window: 142,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 10), (A, Done, 10), (U, Done, 10)],
                prefix: None,
                sent: vec![1, 2, 3],
                dropped: vec![],
                prompt_tokens: 42,
            },
            Case {
                name: "one token over drops a turn",
                window: 141,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 10), (A, Done, 10), (U, Done, 10)],
                prefix: None,
                sent: vec![2, 3],
                dropped: vec![1],
                prompt_tokens: 28,
            },
            Case {
                name: "the system prompt takes its share, but is not counted in the prompt tokens",
                window: 150,
                max_output: 100,
                system: Some(10),
                turns: vec![(U, Done, 10), (A, Done, 10), (U, Done, 10)],
                prefix: None,
                sent: vec![2, 3],
                dropped: vec![1],
                prompt_tokens: 28,
            },
            Case {
                name: "so does the prefix to continue",
                window: 150,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 10), (A, Done, 10), (U, Done, 10)],
                prefix: Some(10),
                sent: vec![2, 3],
                dropped: vec![1],
                prompt_tokens: 28,
            },
            Case {
                name: "the newest turn goes even alone over the budget",
                window: 110,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 1), (A, Done, 1), (U, Done, 50)],
                prefix: None,
                sent: vec![3],
                dropped: vec![1, 2],
                prompt_tokens: 54,
            },
            Case {
                name: "a window smaller than the output budget leaves only the newest",
                window: 50,
                max_output: 100,
                system: Some(1),
                turns: vec![(U, Done, 1), (U, Done, 1)],
                prefix: None,
                sent: vec![2],
                dropped: vec![1],
                prompt_tokens: 5,
            },
            Case {
                name: "once a turn does not fit, smaller older ones are not squeezed in",
                window: 130,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 1), (A, Done, 30), (U, Done, 10)],
                prefix: None,
                sent: vec![3],
                dropped: vec![1, 2],
                prompt_tokens: 14,
            },
            Case {
                name: "system rows, empty answers and queued answers are neither sent nor dropped",
                window: 1000,
                max_output: 100,
                system: None,
                turns: vec![(S, Done, 10), (U, Done, 1), (A, Failed, 0), (A, Queued, 5), (U, Done, 1)],
                prefix: None,
                sent: vec![2, 5],
                dropped: vec![],
                prompt_tokens: 10,
            },
            Case {
                name: "partial and streaming answers with text are sent",
                window: 1000,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 1), (A, Partial, 2), (U, Done, 1), (A, Streaming, 3), (A, Failed, 4)],
                prefix: None,
                sent: vec![1, 2, 3, 4, 5],
                dropped: vec![],
                prompt_tokens: 31,
            },
            Case {
                name: "skipped rows do not stop the budget walk",
                window: 130,
                max_output: 100,
                system: None,
                turns: vec![(U, Done, 1), (A, Failed, 0), (U, Done, 20)],
                prefix: None,
                sent: vec![1, 3],
                dropped: vec![],
                prompt_tokens: 29,
            },
            Case {
                name: "an empty history",
                window: 1000,
                max_output: 100,
                system: Some(5),
                turns: vec![],
                prefix: None,
                sent: vec![],
                dropped: vec![],
                prompt_tokens: 0,
            },
        ];
        for case in cases {
            let name = case.name;
            let history = history(&case.turns);
            let system = case.system.map(text);
            let prefix = case.prefix.map(text);
            let context = build(
                &model(case.window, case.max_output),
                system.as_deref(),
                &history,
                prefix.as_deref(),
                &HashMap::new(),
            );
            let record = &context.record;
            assert_eq!(record.sent_message_ids, case.sent.iter().map(|&n| id(n)).collect::<Vec<_>>(), "{name}: sent");
            assert_eq!(
                record.dropped_message_ids,
                case.dropped.iter().map(|&n| id(n)).collect::<Vec<_>>(),
                "{name}: dropped"
            );
            assert_eq!(record.prompt_tokens, case.prompt_tokens, "{name}: prompt tokens");
            assert_eq!((record.context_window, record.max_output_tokens), (case.window, case.max_output), "{name}");
            // The messages are the sent turns in order, then the prefix as the assistant's.
            let mut expected: Vec<(Role, String)> = case
                .sent
                .iter()
                .map(|&n| {
                    let (role, _, tokens) = case.turns[n as usize - 1];
                    (if role == A { Role::Assistant } else { Role::User }, text(tokens))
                })
                .collect();
            expected.extend(prefix.map(|p| (Role::Assistant, p)));
            let got: Vec<(Role, String)> = context.messages.into_iter().map(|m| (m.role, m.content)).collect();
            assert_eq!(got, expected, "{name}: messages");
        }
    }

    #[test]
    fn the_record_names_the_model_and_provider() {
        let context = build(&model(1000, 100), None, &history(&[(U, Done, 1)]), None, &HashMap::new());
        assert_eq!(
            (context.record.model.as_str(), context.record.provider.as_str(), context.record.upstream_model.as_str()),
            ("claude", "anthropic", "claude-sonnet-4")
        );
    }

    #[test]
    fn path_to_follows_parents_from_the_leaf() {
        // 1 ← 2 ← 3 and a sibling branch 1 ← 2 ← 4 ← 5; 7's parent 6 is not loaded.
        let all = vec![
            message(1, None, U, Done, 1),
            message(2, Some(1), A, Done, 1),
            message(3, Some(2), U, Done, 1),
            message(4, Some(2), U, Done, 1),
            message(5, Some(4), A, Done, 1),
            message(7, Some(6), U, Done, 1),
        ];
        let cases: Vec<(&str, Option<u128>, Vec<u128>)> = vec![
            ("one branch", Some(3), vec![1, 2, 3]),
            ("the other branch", Some(5), vec![1, 2, 4, 5]),
            ("the root alone", Some(1), vec![1]),
            ("no leaf", None, vec![]),
            ("an unknown leaf", Some(99), vec![]),
            ("a missing parent ends the path", Some(7), vec![7]),
        ];
        for (name, leaf, expected) in cases {
            let path: Vec<Uuid> = path_to(&all, leaf.map(|n| MessageId(id(n)))).iter().map(|m| m.id.0).collect();
            assert_eq!(path, expected.into_iter().map(id).collect::<Vec<_>>(), "{name}");
        }
    }

    #[test]
    fn path_to_stops_on_a_cycle() {
        let all = vec![message(1, Some(2), U, Done, 1), message(2, Some(1), A, Done, 1)];
        let path = path_to(&all, Some(MessageId(id(1))));
        assert_eq!(path.len(), all.len() + 1, "the walk gives up instead of looping");
    }
}

//! Building what goes upstream: the system prompt, then the newest turns of the active branch
//! that fit the model's window after reserving the output budget.

use super::tokens::{self, PER_MESSAGE_OVERHEAD};
use crate::domain::{MessageId, MessageRole, MessageStatus};
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
/// prefix to continue.
pub fn build(model: &ModelSpec, system: Option<&str>, history: &[Message], prefix: Option<&str>) -> Context {
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
        let cost = tokens::count(model, &m.content) + PER_MESSAGE_OVERHEAD;
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
        .map(|m| ChatMessage {
            role: if m.role == MessageRole::Assistant { Role::Assistant } else { Role::User },
            content: m.content.clone(),
        })
        .collect();
    if let Some(prefix) = prefix {
        messages.push(ChatMessage { role: Role::Assistant, content: prefix.to_string() });
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

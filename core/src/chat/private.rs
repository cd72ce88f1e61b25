//! Private mode: conversations that live only in the user's browser. The server is a relay: each
//! turn arrives with its whole history, passes the same governance as any turn (sign-in, rate
//! limits, the tenant's catalogue and presets, a quota reservation, the plugin chain, a usage
//! event) through the stateless completion path, and leaves no content behind: no message rows,
//! no search documents, no Redis stream copy, nothing in logs. The audit log gets metadata only
//! (who, when, which model, token counts).
//!
//! An answer is held in this replica's memory while it is written and for [`RESUME_SECS`] after
//! it ended, so a browser whose connection dropped can resume it with `Last-Event-ID`. A browser
//! that comes back later (or reaches another replica, or this one after a restart) keeps what it
//! has as a partial answer and may continue it: nothing is ever written to disk to make resume
//! possible.

use super::ChatService;
use super::completions::{Caller, CompletionError, CompletionEvent, CompletionInput, PRESET_PREFIX};
use super::tokens::{PER_MESSAGE_OVERHEAD, estimate};
use crate::audit::Actor;
use crate::domain::{KeepMode, MessageStatus, PresetId, TenantId, TenantScope, UserId};
use crate::error::{AppError, AppResult};
use crate::providers::{ChatMessage, RequestOptions, Role, StreamItem};
use crate::store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

/// How long an ended answer stays resumable.
pub const RESUME_SECS: u64 = 120;
/// The most messages one turn may carry.
pub const MAX_MESSAGES: usize = 500;
/// Answers this replica holds at once (live and recently ended); beyond it new private turns get
/// 503 until some expire. Each holds at most one answer's text.
const MAX_HELD: usize = 20_000;

/// What a tenant lets its members do, as a member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateStatus {
    pub allowed: bool,
    /// Why not, in words for the member.
    pub reason: Option<String>,
}

/// A tenant's private-mode setting as its admins see it.
#[derive(Debug, Clone)]
pub struct TenantPrivateMode {
    pub setting: store::private_mode::Setting,
    /// The case name of an active tenant-wide legal hold: it forbids private mode whatever the
    /// setting says.
    pub legal_hold: Option<String>,
}

/// One message of the history the browser sends.
#[derive(Debug, Clone)]
pub struct PrivateMessage {
    pub role: Role,
    pub content: String,
}

/// A private turn as asked for.
#[derive(Debug, Clone)]
pub struct PrivateInput {
    pub messages: Vec<PrivateMessage>,
    /// A catalogue model; the tenant's default when neither it nor a preset is given.
    pub model: Option<String>,
    pub preset: Option<PresetId>,
}

/// How a held answer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateEnd {
    Completed {
        input_tokens: u64,
        output_tokens: u64,
    },
    /// `status` is `partial` when some text was written, `failed` otherwise.
    Failed {
        status: MessageStatus,
        code: String,
        message: String,
    },
    Cancelled,
}

#[derive(Default)]
struct Held {
    text: String,
    end: Option<PrivateEnd>,
}

/// An answer being relayed (or recently ended), readable from any offset by its owner.
pub struct HeldTurn {
    pub id: Uuid,
    tenant: TenantId,
    user: UserId,
    /// The model as the caller named it (a catalogue id or `preset/<id>`).
    pub model: String,
    /// Older messages left out of the prompt to fit the model's window.
    pub dropped_messages: u32,
    state: Mutex<Held>,
    /// Bumped at every change; readers wait on it.
    version: watch::Sender<u64>,
    cancel: Notify,
}

/// What a reader gets: the text after its offset, the answer's length, and the end if it came.
pub struct Snapshot {
    pub text: String,
    pub length: usize,
    pub end: Option<PrivateEnd>,
}

impl HeldTurn {
    /// The text from `offset` (a byte offset the stream handed out) to now.
    pub fn read_from(&self, offset: usize) -> Snapshot {
        let held = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let start = offset.min(held.text.len());
        Snapshot { text: held.text[start..].to_string(), length: held.text.len(), end: held.end.clone() }
    }

    /// Whether `offset` is a position this answer's stream could have handed out.
    pub fn valid_offset(&self, offset: usize) -> bool {
        let held = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        held.text.is_char_boundary(offset) || offset == held.text.len() + 1 && held.end.is_some()
    }

    /// A receiver that wakes at every change.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn push(&self, text: &str) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).text.push_str(text);
        self.version.send_modify(|v| *v += 1);
    }

    fn finish(&self, end: PrivateEnd) {
        {
            let mut held = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if held.end.is_some() {
                return;
            }
            held.end = Some(end);
        }
        self.version.send_modify(|v| *v += 1);
    }

    fn length(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).text.len()
    }
}

/// The answers this replica holds, by id.
#[derive(Default)]
pub struct PrivateRelay {
    turns: Mutex<HashMap<Uuid, Arc<HeldTurn>>>,
}

impl PrivateRelay {
    /// The caller's held answer; `None` for another user's, an unknown or an expired one.
    pub fn get(&self, scope: &TenantScope, id: Uuid) -> Option<Arc<HeldTurn>> {
        let turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        turns.get(&id).filter(|t| t.tenant == scope.tenant && t.user == scope.user).cloned()
    }

    /// Answers held now (for the benchmark's memory figures and tests).
    pub fn held(&self) -> usize {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn insert(&self, turn: Arc<HeldTurn>) -> AppResult<()> {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        if turns.len() >= MAX_HELD {
            return Err(AppError::Unavailable("this server holds too many private answers".into()));
        }
        turns.insert(turn.id, turn);
        Ok(())
    }

    fn remove(&self, id: Uuid) {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }
}

impl ChatService {
    /// Whether the caller may use private mode, and why not.
    pub async fn private_status(&self, scope: &TenantScope) -> AppResult<PrivateStatus> {
        let conn = self.store.conn();
        if let Some((hold_scope, _case)) =
            store::private_mode::active_hold(conn, scope.tenant, Some(scope.user)).await?
        {
            // A hold on one person is not theirs to learn of from this answer.
            let reason = match hold_scope.as_str() {
                "tenant" => "your organisation keeps every conversation while a legal hold is in place",
                _ => "your organisation keeps your conversations",
            };
            return Ok(PrivateStatus { allowed: false, reason: Some(reason.into()) });
        }
        let setting = store::private_mode::get(conn, scope.tenant).await?;
        if setting.allowed {
            return Ok(PrivateStatus { allowed: true, reason: None });
        }
        let reason = setting.reason.unwrap_or_else(|| "your organisation has turned private chats off".into());
        Ok(PrivateStatus { allowed: false, reason: Some(reason) })
    }

    pub async fn tenant_private_mode(&self, tenant: TenantId) -> AppResult<TenantPrivateMode> {
        let conn = self.store.conn();
        let setting = store::private_mode::get(conn, tenant).await?;
        let legal_hold = store::private_mode::active_hold(conn, tenant, None).await?.map(|(_, case)| case);
        Ok(TenantPrivateMode { setting, legal_hold })
    }

    /// Turns private mode on or off for a tenant; `reason` is shown to members while it is off.
    pub async fn set_tenant_private_mode(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        allowed: bool,
        reason: Option<&str>,
    ) -> AppResult<TenantPrivateMode> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason
            && r.chars().count() > 500
        {
            return Err(AppError::Validation { field: "reason", reason: "must be at most 500 characters".into() });
        }
        let txn = self.store.begin().await?;
        store::private_mode::set(&*txn, scope.tenant, allowed, reason, &actor.label).await?;
        crate::audit::record(
            &*txn,
            crate::audit::NewEntry::new(Some(scope.tenant), actor, crate::audit::action::PRIVATE_MODE_SET)
                .target("tenant", scope.tenant.0)
                .details(serde_json::json!({ "allowed": allowed, "reason": reason })),
        )
        .await?;
        txn.commit().await?;
        self.tenant_private_mode(scope.tenant).await
    }

    /// Starts a private turn: checks that the tenant allows it, fits the history to the model's
    /// window, and relays the answer into memory. Refusals before the provider answered (a
    /// plugin's, the provider's) are the answer's end, like a chat turn's; the caller's own
    /// errors (validation, limits, quota, private mode off) are returned.
    pub async fn private_turn(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        ip: Option<&str>,
        input: PrivateInput,
    ) -> AppResult<Arc<HeldTurn>> {
        self.check_private(&input)?;
        let status = self.private_status(scope).await?;
        if !status.allowed {
            return Err(AppError::PrivateModeOff(format!(
                "private chats are not available: {}",
                status.reason.unwrap_or_default()
            )));
        }
        let model = match (&input.preset, &input.model) {
            (Some(p), _) => format!("{PRESET_PREFIX}{}", p.0),
            (None, Some(m)) => m.clone(),
            (None, None) => {
                let models = self.catalogue.models(self.store.conn(), scope.tenant).await?;
                models.into_iter().next().ok_or(AppError::NotFound("model"))?.id
            }
        };
        let (spec, preset) = self.completion_model(scope, &model).await?;
        // The same budget a chat turn has, in the estimate the completion path checks: the
        // window less the answer's room and the preset's system prompt, newest messages first.
        let system = preset.as_ref().map_or(0, |(_, s)| estimate(&s.system_prompt) + PER_MESSAGE_OVERHEAD);
        let budget = (spec.context_window as usize).saturating_sub(spec.max_output_tokens as usize + system);
        let chars_budget = self.config.max_message_chars.saturating_mul(4);
        let (mut used, mut chars, mut keep) = (0usize, 0usize, 0usize);
        for m in input.messages.iter().rev() {
            let cost = estimate(&m.content) + PER_MESSAGE_OVERHEAD;
            let len = m.content.chars().count();
            if keep > 0 && (used + cost > budget || chars + len > chars_budget) {
                break;
            }
            used += cost;
            chars += len;
            keep += 1;
        }
        let dropped = input.messages.len() - keep;
        let mut messages: Vec<ChatMessage> =
            input.messages.into_iter().skip(dropped).map(|m| ChatMessage::text(m.role, m.content)).collect();
        // The history starts with a question, as providers expect.
        while messages.len() > 1 && messages[0].role == Role::Assistant {
            messages.remove(0);
        }
        let dropped = dropped as u32 + (keep - messages.len()) as u32;
        let caller = Caller { scope, actor, ip, keep: KeepMode::Metadata, token: None, private: true };
        let completion = CompletionInput {
            model: model.clone(),
            system: None,
            messages,
            max_tokens: None,
            temperature: None,
            options: RequestOptions::default(),
            stream: true,
        };
        let (version, _) = watch::channel(0);
        let turn = Arc::new(HeldTurn {
            id: Uuid::now_v7(),
            tenant: scope.tenant,
            user: scope.user,
            model,
            dropped_messages: dropped,
            state: Mutex::new(Held::default()),
            version,
            cancel: Notify::new(),
        });
        // Room in the relay is taken before the provider is called: a full server refuses the
        // turn (503) before any tokens are spent on it, never after the answer has started.
        self.private.insert(turn.clone())?;
        match self.complete(&caller, completion).await {
            Ok(started) => {
                tokio::spawn(relay(self.private.clone(), turn.clone(), started.events));
            }
            Err(CompletionError::App(e)) => {
                self.private.remove(turn.id);
                return Err(e);
            }
            Err(CompletionError::Plugin(stop)) => {
                let end = PrivateEnd::Failed {
                    status: MessageStatus::Failed,
                    code: stop.reason.code().into(),
                    message: stop.message,
                };
                turn.finish(end);
                expire(self.private.clone(), turn.id);
            }
            Err(CompletionError::Provider(e)) => {
                turn.finish(PrivateEnd::Failed {
                    status: MessageStatus::Failed,
                    code: e.code().into(),
                    message: e.to_string(),
                });
                expire(self.private.clone(), turn.id);
            }
        }
        Ok(turn)
    }

    /// Stops one of the caller's held answers; what was written stays readable.
    pub fn cancel_private(&self, scope: &TenantScope, id: Uuid) -> AppResult<()> {
        let turn = self.private.get(scope, id).ok_or(AppError::NotFound("private answer"))?;
        turn.cancel.notify_one();
        Ok(())
    }

    pub fn private_relay(&self) -> &Arc<PrivateRelay> {
        &self.private
    }

    fn check_private(&self, input: &PrivateInput) -> AppResult<()> {
        let invalid = |reason: String| AppError::Validation { field: "messages", reason };
        if input.messages.is_empty() || input.messages.len() > MAX_MESSAGES {
            return Err(invalid(format!("must hold 1 to {MAX_MESSAGES} messages")));
        }
        if input.messages.iter().any(|m| m.content.trim().is_empty()) {
            return Err(invalid("must not contain an empty message".into()));
        }
        if !input.messages.iter().any(|m| m.role == Role::User) {
            return Err(invalid("must contain at least one user message".into()));
        }
        if let Some(last) = input.messages.iter().rev().find(|m| m.role == Role::User) {
            self.check_content(&last.content).map_err(|e| match e {
                AppError::Validation { reason, .. } => invalid(format!("the last user message {reason}")),
                other => other,
            })?;
        }
        if input.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Err(AppError::Validation { field: "model", reason: "must not be empty".into() });
        }
        Ok(())
    }
}

/// Copies the completion's events into the held answer until it ends or the owner cancels it,
/// then keeps it for [`RESUME_SECS`].
async fn relay(
    relay: Arc<PrivateRelay>,
    turn: Arc<HeldTurn>,
    mut events: tokio::sync::mpsc::Receiver<CompletionEvent>,
) {
    let end = loop {
        let event = tokio::select! {
            biased;
            () = turn.cancel.notified() => break PrivateEnd::Cancelled,
            event = events.recv() => event,
        };
        match event {
            Some(CompletionEvent::Item(StreamItem::Delta(text))) => turn.push(&text),
            // No tools and one choice: nothing else carries text.
            Some(CompletionEvent::Item(_)) => {}
            Some(CompletionEvent::Done { input_tokens, output_tokens, .. }) => {
                break PrivateEnd::Completed { input_tokens, output_tokens };
            }
            Some(CompletionEvent::Failed(e)) => {
                let status = if turn.length() > 0 { MessageStatus::Partial } else { MessageStatus::Failed };
                break PrivateEnd::Failed { status, code: e.code().into(), message: e.to_string() };
            }
            None => {
                let status = if turn.length() > 0 { MessageStatus::Partial } else { MessageStatus::Failed };
                break PrivateEnd::Failed {
                    status,
                    code: "interrupted".into(),
                    message: "the answer stopped before it was complete; continue it to finish".into(),
                };
            }
        }
    };
    // Dropping the receiver stops the upstream call (a cancel) and lets the completion settle.
    drop(events);
    turn.finish(end);
    expire(relay, turn.id);
}

fn expire(relay: Arc<PrivateRelay>, id: Uuid) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(RESUME_SECS)).await;
        relay.remove(id);
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn held() -> HeldTurn {
        let (version, _) = watch::channel(0);
        HeldTurn {
            id: Uuid::now_v7(),
            tenant: TenantId(Uuid::now_v7()),
            user: UserId(Uuid::now_v7()),
            model: "m".into(),
            dropped_messages: 0,
            state: Mutex::new(Held::default()),
            version,
            cancel: Notify::new(),
        }
    }

    /// A reader resumes from any offset the stream handed out, gets the rest in one piece, and
    /// offsets inside a character or past the end are not positions of the stream.
    #[test]
    fn readers_resume_from_offsets_the_stream_handed_out() {
        let turn = held();
        let mut seen = turn.watch();
        turn.push("héllo ");
        turn.push("wörld");
        assert!(seen.has_changed().unwrap());
        let snap = turn.read_from(0);
        assert_eq!((snap.text.as_str(), snap.length, snap.end), ("héllo wörld", 13, None));
        assert_eq!(turn.read_from(7).text, "wörld");
        assert!(turn.valid_offset(7));
        assert!(!turn.valid_offset(2), "inside the é");
        assert!(!turn.valid_offset(14), "past the end of a live answer");
        turn.finish(PrivateEnd::Cancelled);
        turn.finish(PrivateEnd::Completed { input_tokens: 1, output_tokens: 1 });
        assert_eq!(turn.read_from(13).end, Some(PrivateEnd::Cancelled), "the first end stands");
        assert!(turn.valid_offset(14), "the final event's id");
        assert!(!turn.valid_offset(15));
        seen.borrow_and_update();
    }

    /// Answers are their owner's: another user of the tenant, or the same user id in another
    /// tenant, gets nothing.
    #[test]
    fn held_answers_are_found_by_their_owner_only() {
        let relay = PrivateRelay::default();
        let turn = Arc::new(held());
        relay.insert(turn.clone()).unwrap();
        let owner = TenantScope { tenant: turn.tenant, user: turn.user, role: crate::domain::Role::Member };
        assert!(relay.get(&owner, turn.id).is_some());
        assert!(relay.get(&TenantScope { user: UserId(Uuid::now_v7()), ..owner }, turn.id).is_none());
        assert!(relay.get(&TenantScope { tenant: TenantId(Uuid::now_v7()), ..owner }, turn.id).is_none());
        relay.remove(turn.id);
        assert!(relay.get(&owner, turn.id).is_none());
        assert_eq!(relay.held(), 0);
    }
}

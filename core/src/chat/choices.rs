//! Streaming choices: a send (or regenerate) that asks for 2–4 answers to one message at once.
//! Built on the single-turn pipeline: each answer is planned like a turn of its own (its own
//! model or preset version), all are written in one transaction with one idempotency claim and
//! one choice set, and each runs in the engine as an ordinary turn — own state, stream, cancel,
//! continue and usage event. Quota is reserved for all of them at once or for none; the turn
//! limits count each. One multiplexed stream carries them all; its resume position
//! ([`Positions`]) holds one offset per answer.

use super::engine::ChatEvent;
use super::turns::{Action, Plan, PlanKind, Written, traced, turn_span};
use super::{ChatService, Draft, Idempotency, Turn};
use crate::domain::{ChoiceSetId, ConversationId, MessageId, PresetVersionId, TenantScope};
use crate::error::{AppError, AppResult};
use crate::store::choices::ChoiceSet;
use crate::store::idempotency::{Claim, Scope};
use crate::store::messages::Message;
use crate::store::{self, DatabaseTransaction};
use crate::usage::Ticket;
use futures::StreamExt;
use futures::stream::BoxStream;
use sha2::{Digest, Sha256};
use std::fmt;

pub const MIN_CHOICES: usize = 2;
pub const MAX_CHOICES: usize = 4;

/// One answer of a send with choices: its own model or preset version (the conversation's when
/// neither is given).
#[derive(Debug, Clone, Copy, Default)]
pub struct ChoiceOption<'a> {
    pub model: Option<&'a str>,
    pub preset_version: Option<PresetVersionId>,
}

/// The answers of a send with choices, in choice order.
#[derive(Debug, Clone)]
pub struct ChoiceTurn {
    pub set: ChoiceSetId,
    pub answers: Vec<Message>,
}

/// Where a reader of a multiplexed stream is in one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Nothing received yet: resume from `message.created`.
    Start,
    /// The answer's last event id (0 after `created`, the byte offset after a delta).
    After(usize),
    /// Its final event was received: nothing more comes for it.
    Done,
}

/// A multiplexed stream's `Last-Event-ID`: one position per answer in choice order, joined by
/// `.` — `-` for nothing yet, the answer's byte offset (0 after `created`), `x` after its final
/// event. E.g. `412.x.-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Positions(pub Vec<Position>);

impl Positions {
    pub fn start(n: usize) -> Self {
        Self(vec![Position::Start; n])
    }

    /// Parses a `Last-Event-ID` of a stream of `n` answers.
    pub fn parse(raw: &str, n: usize) -> AppResult<Self> {
        let invalid = || AppError::Validation {
            field: "Last-Event-ID",
            reason: format!("must be the id of an event of this choice set: {n} positions joined by '.'"),
        };
        let positions = raw
            .trim()
            .split('.')
            .map(|p| match p {
                "-" => Ok(Position::Start),
                "x" => Ok(Position::Done),
                n => n.parse::<usize>().map(Position::After).map_err(|_| invalid()),
            })
            .collect::<AppResult<Vec<_>>>()?;
        if positions.len() != n {
            return Err(invalid());
        }
        Ok(Self(positions))
    }

    /// Moves one answer's position past `event`.
    pub fn advance(&mut self, index: usize, event: &ChatEvent) {
        if let Some(p) = self.0.get_mut(index) {
            *p = match event {
                ChatEvent::Created { .. } => Position::After(0),
                ChatEvent::Delta { offset, .. } => Position::After(*offset),
                ChatEvent::Finished(_) => Position::Done,
            };
        }
    }
}

impl fmt::Display for Positions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match p {
                Position::Start => f.write_str("-")?,
                Position::After(n) => write!(f, "{n}")?,
                Position::Done => f.write_str("x")?,
            }
        }
        Ok(())
    }
}

impl<'a> Action<'a> {
    /// The same action answered by another model (a choice's own).
    fn with_model(self, choice: Option<&'a str>) -> Self {
        match (self, choice) {
            (Action::Send { conversation, content, parent, files, .. }, Some(model)) => {
                Action::Send { conversation, content, model: Some(model), parent, files }
            }
            (Action::Regenerate { message, .. }, Some(model)) => Action::Regenerate { message, model: Some(model) },
            (action, _) => action,
        }
    }
}

/// The action's fingerprint with its choices: a retry must ask for the same answers.
fn fingerprint(action: &Action<'_>, options: &[ChoiceOption<'_>]) -> String {
    let choices: Vec<_> = options.iter().map(|o| serde_json::json!([o.model, o.preset_version.map(|v| v.0)])).collect();
    let canonical = serde_json::json!([action.fingerprint(), "choices", choices]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

fn check_count(options: &[ChoiceOption<'_>]) -> AppResult<()> {
    if !(MIN_CHOICES..=MAX_CHOICES).contains(&options.len()) {
        return Err(AppError::Validation {
            field: "choices",
            reason: format!("must be between {MIN_CHOICES} and {MAX_CHOICES} (1, the default, is an ordinary send)"),
        });
    }
    Ok(())
}

impl ChatService {
    /// A new user message answered by several models (or presets) at once.
    pub async fn send_choices(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        conversation: ConversationId,
        draft: Draft<'_>,
        options: &[ChoiceOption<'_>],
    ) -> AppResult<Turn> {
        check_count(options)?;
        self.check_content(draft.content)?;
        let Draft { content, model, parent, files } = draft;
        self.run_choices(scope, ip, idem, Action::Send { conversation, content, model, parent, files }, options).await
    }

    /// Several new answers beside a message (or to a user message) at once.
    pub async fn regenerate_choices(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        message: MessageId,
        model: Option<&str>,
        options: &[ChoiceOption<'_>],
    ) -> AppResult<Turn> {
        check_count(options)?;
        self.run_choices(scope, ip, idem, Action::Regenerate { message, model }, options).await
    }

    async fn run_choices(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        action: Action<'_>,
        options: &[ChoiceOption<'_>],
    ) -> AppResult<Turn> {
        use tracing::field::Empty;
        let span = tracing::info_span!("turn.choices", tenant.id = %scope.tenant, action = action.name(),
            choices = options.len(), outcome = Empty, refusal = Empty);
        traced(span, self.choices_turn(scope, ip, idem, action, options)).await
    }

    async fn choices_turn(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        action: Action<'_>,
        options: &[ChoiceOption<'_>],
    ) -> AppResult<Turn> {
        let _admitted = self.engine.drain().admit()?;
        let route = action.route();
        let fingerprint = fingerprint(&action, options);
        let claim_scope = Scope { tenant: scope.tenant, user: scope.user, route: &route, key: idem.key };
        if let Some(turn) = self.replay(&claim_scope, &fingerprint).await? {
            return self.with_choices(scope, turn).await;
        }
        // Each answer is a turn for the limits.
        for _ in options {
            self.check_limits(scope, ip).await?;
        }
        let mut presets = Vec::with_capacity(options.len());
        for option in options {
            presets.push(match option.preset_version {
                Some(v) => Some(
                    self.presets.version_by_id(scope, v).await?.ok_or(AppError::NotFound("preset version"))?.settings,
                ),
                None => None,
            });
        }
        for _ in 0..2 {
            let mut plans = Vec::with_capacity(options.len());
            for (option, preset) in options.iter().zip(&presets) {
                plans.push(self.plan(scope, &action.with_model(option.model), preset.clone()).await?);
            }
            // Every answer's worst case, reserved together: all fit, or nothing is written or sent.
            let parts: Vec<_> = plans
                .iter()
                .map(|p| (&p.spec, p.ctx.record.prompt_tokens as u64 + u64::from(p.spec.max_output_tokens)))
                .collect();
            let tickets = self.usage.reserve_all(scope, plans[0].conversation, &parts).await?;
            let written = self.write_choices(scope, &claim_scope, &fingerprint, plans, tickets.clone()).await;
            if !matches!(written, Ok(Written::Started(_))) {
                for ticket in &tickets {
                    self.usage.release(ticket).await;
                }
            }
            match written? {
                Written::Started(turn) => return Ok(*turn),
                Written::Retry => {
                    if let Some(turn) = self.replay(&claim_scope, &fingerprint).await? {
                        return self.with_choices(scope, turn).await;
                    }
                }
            }
        }
        let turn = self
            .replay(&claim_scope, &fingerprint)
            .await?
            .ok_or_else(|| AppError::Conflict("the request is being processed; retry".into()))?;
        self.with_choices(scope, turn).await
    }

    /// Writes every answer, the choice set and the idempotency claim in one transaction, then
    /// starts the turns.
    async fn write_choices(
        &self,
        scope: &TenantScope,
        claim_scope: &Scope<'_>,
        fingerprint: &str,
        plans: Vec<Plan>,
        tickets: Vec<Ticket>,
    ) -> AppResult<Written> {
        // As for a turn: the claim's insert finds a duplicate that committed meanwhile.
        let txn = self.store.begin().await?;
        let (prepared, set) = self.apply_choices(&txn, scope, plans, tickets).await?;
        let first = &prepared[0].turn;
        let claim = Claim {
            fingerprint: fingerprint.to_string(),
            user_message_id: first.user_message.as_ref().map(|m| m.id),
            assistant_message_id: first.assistant_message.id,
        };
        let expires = store::now() + chrono::Duration::hours(self.config.idempotency_hours as i64);
        match store::idempotency::insert(&*txn, claim_scope, &claim, expires).await {
            Ok(()) => {}
            Err(AppError::Conflict(_)) => return Ok(Written::Retry),
            Err(e) => return Err(e),
        }
        txn.commit().await?;
        let mut answers = Vec::with_capacity(prepared.len());
        let mut user_message = None;
        for (i, prepared) in prepared.into_iter().enumerate() {
            let turn = prepared.turn;
            if let Some(mut job) = prepared.job {
                let span = turn_span(scope, "choice");
                span.record("conversation.id", tracing::field::display(turn.conversation_id));
                span.record("message.id", tracing::field::display(turn.assistant_message.id));
                span.record("model", job.message.model.as_deref().unwrap_or_default());
                span.record("provider", job.provider_name.as_str());
                job.span = span;
                self.engine.start(job);
            }
            if i == 0 {
                user_message = turn.user_message;
            }
            answers.push(turn.assistant_message);
        }
        Ok(Written::Started(Box::new(Turn {
            conversation_id: set.conversation_id,
            user_message,
            assistant_message: answers[0].clone(),
            replayed: false,
            choices: Some(ChoiceTurn { set: set.id, answers }),
        })))
    }

    /// The first plan as an ordinary turn (it writes the user message of a send); the others
    /// answer the same message. The first answer is the active branch until the user picks.
    async fn apply_choices(
        &self,
        txn: &DatabaseTransaction,
        scope: &TenantScope,
        plans: Vec<Plan>,
        tickets: Vec<Ticket>,
    ) -> AppResult<(Vec<super::turns::Prepared>, ChoiceSet)> {
        let mut prepared = Vec::with_capacity(plans.len());
        let mut parent = None;
        for (mut plan, ticket) in plans.into_iter().zip(tickets) {
            if let Some(parent) = parent {
                plan.kind = PlanKind::Answer { parent };
                plan.title = None;
            }
            let p = Self::apply(txn, scope, plan, ticket).await?;
            parent = parent.or(p.turn.user_message.as_ref().map(|m| m.id)).or(p.turn.assistant_message.parent_id);
            prepared.push(p);
        }
        let (Some(parent), Some(first)) = (parent, prepared.first()) else {
            return Err(AppError::Internal("choices without a message to answer".into()));
        };
        let conversation = first.turn.conversation_id;
        store::conversations::set_active_leaf(txn, scope.tenant, conversation, first.turn.assistant_message.id).await?;
        let set = ChoiceSet {
            id: ChoiceSetId::new(),
            tenant_id: scope.tenant,
            conversation_id: conversation,
            user_id: scope.user,
            parent_id: parent,
            message_ids: prepared.iter().map(|p| p.turn.assistant_message.id).collect(),
            pick: None,
            created_at: store::now(),
        };
        store::choices::insert(txn, &set).await?;
        Ok((prepared, set))
    }

    /// A replayed turn with its choice set's answers as they are now.
    async fn with_choices(&self, scope: &TenantScope, mut turn: Turn) -> AppResult<Turn> {
        let conn = self.store.conn();
        let parent = turn
            .user_message
            .as_ref()
            .map(|m| m.id)
            .or(turn.assistant_message.parent_id)
            .ok_or(AppError::IdempotencyMismatch)?;
        // A key first used for a send without choices has no set: the bodies differ.
        let set = store::choices::with_first(conn, scope.tenant, parent, turn.assistant_message.id)
            .await?
            .ok_or(AppError::IdempotencyMismatch)?;
        let (_, answers) = self.choice_set(scope, set.id).await?;
        turn.choices = Some(ChoiceTurn { set: set.id, answers });
        Ok(turn)
    }

    /// One of the user's choice sets and its answers as they are now, in choice order.
    pub async fn choice_set(&self, scope: &TenantScope, id: ChoiceSetId) -> AppResult<(ChoiceSet, Vec<Message>)> {
        let conn = self.store.conn();
        let set =
            store::choices::get(conn, scope.tenant, scope.user, id).await?.ok_or(AppError::NotFound("choice set"))?;
        // A deleted conversation's sets go with it.
        self.owned_conversation(conn, scope, set.conversation_id)
            .await
            .map_err(|_| AppError::NotFound("choice set"))?;
        let mut answers = Vec::with_capacity(set.message_ids.len());
        for id in &set.message_ids {
            answers.push(self.message(scope, *id).await?);
        }
        Ok((set, answers))
    }

    /// The choice sets of one of the user's conversations, oldest first.
    pub async fn choice_sets(&self, scope: &TenantScope, conversation: ConversationId) -> AppResult<Vec<ChoiceSet>> {
        let conn = self.store.conn();
        self.owned_conversation(conn, scope, conversation).await?;
        store::choices::of_conversation(conn, scope.tenant, conversation).await
    }

    /// Every answer's events on one stream, each tagged with its index in choice order, from
    /// `positions` on: an answer already `Done` sends nothing more, one at `Start` begins with
    /// `message.created`. Ends when every answer has sent its final event.
    pub fn choice_events(
        &self,
        scope: &TenantScope,
        user_message_id: Option<MessageId>,
        answers: &[Message],
        positions: &Positions,
    ) -> BoxStream<'static, (usize, ChatEvent)> {
        let streams = answers.iter().zip(&positions.0).enumerate().filter_map(|(i, (answer, position))| {
            let after = match position {
                Position::Done => return None,
                Position::Start => None,
                Position::After(n) => Some(*n),
            };
            let events = self.engine.events(scope.tenant, answer.clone(), after, user_message_id);
            Some(events.map(move |e| (i, e)).boxed())
        });
        futures::stream::select_all(streams).boxed()
    }

    /// The events of a turn just created with choices (or replayed), from the start.
    pub fn choice_turn_events(&self, scope: &TenantScope, turn: &Turn) -> BoxStream<'static, (usize, ChatEvent)> {
        let answers = turn.choices.as_ref().map_or_else(|| vec![turn.assistant_message.clone()], |c| c.answers.clone());
        let user_message_id = turn.user_message.as_ref().map(|m| m.id).or(turn.assistant_message.parent_id);
        self.choice_events(scope, user_message_id, &answers, &Positions::start(answers.len()))
    }

    /// The user picks one answer of a choice set: it becomes the conversation's active branch
    /// (the others stay as its siblings) and the pick is recorded.
    pub async fn pick_choice(&self, scope: &TenantScope, id: ChoiceSetId, message: MessageId) -> AppResult<ChoiceSet> {
        let txn = self.store.begin().await?;
        let set =
            store::choices::get(&*txn, scope.tenant, scope.user, id).await?.ok_or(AppError::NotFound("choice set"))?;
        self.owned_conversation(&*txn, scope, set.conversation_id)
            .await
            .map_err(|_| AppError::NotFound("choice set"))?;
        if !set.message_ids.contains(&message) {
            return Err(AppError::Validation {
                field: "message_id",
                reason: "is not one of this choice set's answers".into(),
            });
        }
        store::conversations::set_active_leaf(&*txn, scope.tenant, set.conversation_id, message).await?;
        store::choices::pick(&*txn, scope.tenant, id, message, scope.user).await?;
        txn.commit().await?;
        store::choices::get(self.store.conn(), scope.tenant, scope.user, id)
            .await?
            .ok_or(AppError::NotFound("choice set"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_through_their_event_id() {
        let p = Positions(vec![Position::After(412), Position::Done, Position::Start, Position::After(0)]);
        assert_eq!(p.to_string(), "412.x.-.0");
        assert_eq!(Positions::parse("412.x.-.0", 4).unwrap(), p);
        assert_eq!(Positions::start(3).to_string(), "-.-.-");
    }

    #[test]
    fn an_id_of_another_shape_is_refused() {
        for bad in ["", "1.2", "1.2.3.4", "a.b.c", "1..2", "-1.0.0", "12"] {
            assert!(Positions::parse(bad, 3).is_err(), "{bad}");
        }
    }
}

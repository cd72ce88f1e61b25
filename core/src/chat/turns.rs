//! The turn half of `ChatService`: every action that makes an answer (send, regenerate,
//! continue, edit) goes through one pipeline — limits, an idempotency claim, a plan read before
//! the write transaction, the write (user message, queued answer, quota reservation), then the
//! engine starts the turn after commit. Replays answer with the first turn; reattach and cancel
//! find the turn wherever it runs.

use super::conversations::title_from;
use super::engine::{ChatEvent, TurnJob};
use super::{ChatService, DEFAULT_TITLE, Draft, Idempotency, Turn, context};
use crate::domain::TenantScope;
use crate::domain::{ConversationId, FileId, MessageId, MessageRole, MessageStatus};
use crate::error::{AppError, AppResult};
use crate::providers::{ChatRequest, ModelSpec};
use crate::store::conversations::Conversation;
use crate::store::idempotency::{Claim, Scope};
use crate::store::messages::{Message, NewMessage};
use crate::store::{self, DatabaseTransaction};
use crate::usage::Ticket;
use futures::stream::BoxStream;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Why a turn's write was rolled back when a duplicate claimed its idempotency key first.
const CLAIM_TAKEN: &str = "the idempotency key was claimed by a concurrent request";

/// The window of the per-minute turn limits.
const LIMIT_WINDOW: Duration = Duration::from_secs(60);

/// The limits a request counted a turn against (key and limit), so that a request that turns out
/// to be a replay can give them back.
#[derive(Default)]
struct Counted(Vec<(String, u32)>);

/// How the write half of an action ended.
pub(super) enum Written {
    Started(Box<Turn>),
    /// A concurrent duplicate committed its claim first (the claim's insert found it): nothing
    /// was written; answer with its turn (a replay), or try again if it is gone meanwhile.
    Retry,
}

/// A turn prepared inside the transaction, started after commit.
pub(super) struct Prepared {
    pub(super) turn: Turn,
    pub(super) job: Option<TurnJob>,
}

/// What a turn needs to answer, once its messages are written.
struct Answering {
    spec: ModelSpec,
    ctx: context::Context,
    provider: Arc<dyn crate::providers::Provider>,
    api_key: Option<crate::config::SecretString>,
    system: Option<String>,
    temperature: Option<f32>,
    chain: Option<crate::plugins::RequestChain>,
}

impl Answering {
    /// The turn written, and the job that answers it (started after the commit).
    fn started(
        self,
        scope: &TenantScope,
        conversation: ConversationId,
        ticket: Ticket,
        user_message: Option<Message>,
        assistant: Message,
    ) -> Prepared {
        let Answering { spec, ctx, provider, api_key, system, temperature, chain } = self;
        let job = TurnJob {
            tenant: scope.tenant,
            message: assistant.clone(),
            provider,
            api_key,
            prompt_tokens: ctx.record.prompt_tokens,
            ticket,
            chain,
            span: tracing::Span::none(),
            provider_name: spec.provider.clone(),
            request: ChatRequest {
                model: spec.upstream_model.clone(),
                system,
                messages: ctx.messages,
                max_tokens: spec.max_output_tokens,
                temperature,
                options: Default::default(),
            },
        };
        Prepared {
            turn: Turn {
                conversation_id: conversation,
                user_message,
                assistant_message: assistant,
                replayed: false,
                choices: None,
            },
            job: Some(job),
        }
    }
}

/// The row of a send's (or an edit's) new user message.
fn question_row<'a>(
    scope: &TenantScope,
    conversation: ConversationId,
    user: &'a Message,
    spec: &'a ModelSpec,
) -> NewMessage<'a> {
    NewMessage {
        id: user.id,
        tenant_id: scope.tenant,
        conversation_id: conversation,
        parent_id: user.parent_id,
        role: MessageRole::User,
        status: MessageStatus::Completed,
        content: &user.content,
        model: Some(&spec.id),
        model_config: None,
    }
}

/// The row of a queued answer `(id, parent)`, with the context record it is answered from.
fn answer_row<'a>(
    scope: &TenantScope,
    conversation: ConversationId,
    (id, parent): (MessageId, MessageId),
    spec: &'a ModelSpec,
    record: &'a serde_json::Value,
) -> NewMessage<'a> {
    NewMessage {
        id,
        tenant_id: scope.tenant,
        conversation_id: conversation,
        parent_id: Some(parent),
        role: MessageRole::Assistant,
        status: MessageStatus::Queued,
        content: "",
        model: Some(&spec.id),
        model_config: Some(record),
    }
}

/// An action's reads, done before the write transaction.
pub(super) struct Plan {
    pub(super) conversation: ConversationId,
    pub(super) kind: PlanKind,
    pub(super) spec: ModelSpec,
    pub(super) ctx: context::Context,
    provider: Arc<dyn crate::providers::Provider>,
    api_key: Option<crate::config::SecretString>,
    /// A title from the first message of a new conversation.
    pub(super) title: Option<String>,
    /// From the conversation's pinned preset version.
    system: Option<String>,
    temperature: Option<f32>,
    /// The tenant's request transforms.
    chain: Option<crate::plugins::RequestChain>,
}

pub(super) enum PlanKind {
    /// A new user message (not yet written), the files it carries, and its answer.
    Exchange { user: Message, files: Vec<crate::store::files::FileRecord> },
    /// A new answer to an existing message.
    Answer { parent: MessageId },
    /// More of a partial answer.
    Continue { target: Message },
}

#[derive(Clone, Copy)]
pub(super) enum Action<'a> {
    Send {
        conversation: ConversationId,
        content: &'a str,
        model: Option<&'a str>,
        parent: Option<MessageId>,
        files: &'a [FileId],
    },
    Regenerate {
        message: MessageId,
        model: Option<&'a str>,
    },
    Continue {
        message: MessageId,
    },
    Edit {
        message: MessageId,
        content: &'a str,
        model: Option<&'a str>,
    },
}

impl Action<'_> {
    pub(super) fn route(&self) -> String {
        match self {
            Action::Send { conversation, .. } => format!("send:{conversation}"),
            Action::Regenerate { message, .. } => format!("regenerate:{message}"),
            Action::Continue { message } => format!("continue:{message}"),
            Action::Edit { message, .. } => format!("edit:{message}"),
        }
    }

    pub(super) fn name(&self) -> &'static str {
        match self {
            Action::Send { .. } => "send",
            Action::Regenerate { .. } => "regenerate",
            Action::Continue { .. } => "continue",
            Action::Edit { .. } => "edit",
        }
    }

    pub(super) fn fingerprint(&self) -> String {
        let canonical = match self {
            Action::Send { content, model, parent, files: [], .. } => {
                serde_json::json!(["send", content, model, parent.map(|p| p.0)])
            }
            Action::Send { content, model, parent, files, .. } => {
                let files: Vec<_> = files.iter().map(|f| f.0).collect();
                serde_json::json!(["send", content, model, parent.map(|p| p.0), files])
            }
            Action::Regenerate { model, .. } => serde_json::json!(["regenerate", model]),
            Action::Continue { .. } => serde_json::json!(["continue"]),
            Action::Edit { content, model, .. } => serde_json::json!(["edit", content, model]),
        };
        hex::encode(Sha256::digest(format!("{}|{canonical}", self.route()).as_bytes()))
    }
}

impl ChatService {
    /// Settles turns a dead process left behind. Run once at start-up, before serving.
    /// Settles answers that no process is writing any more. Embedded tier (at start-up): every
    /// unfinished one. Scale-out tier (at start-up and then periodically): those idle for a
    /// while whose replica no longer holds their lease in Redis; none while Redis cannot say.
    pub async fn settle_interrupted_messages(&self) -> AppResult<u64> {
        let Some(shared) = self.engine.shared() else {
            return store::messages::settle_interrupted(self.store.conn(), None).await;
        };
        let idle_since = store::now() - chrono::Duration::seconds(shared.cluster.config.orphan_after_secs as i64);
        let candidates = store::messages::unfinished_since(self.store.conn(), idle_since, 500).await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let ids: Vec<MessageId> = candidates.iter().map(|(_, id, _)| *id).collect();
        let Ok(leased) = crate::cluster::streams::leased(&shared.cluster, &ids).await else { return Ok(0) };
        let mut orphans = Vec::new();
        for ((tenant, id, stored), leased) in candidates.into_iter().zip(leased) {
            if leased {
                continue;
            }
            // Keep what the vanished replica generated after its last flush: its stream has it.
            match crate::cluster::streams::recover(&shared.cluster, id, &stored).await {
                Ok(text) if text.len() > stored.len() => {
                    let recovered = [(tenant, id, store::messages::Flush::Whole(&text))];
                    store::messages::flush_contents(self.store.conn(), &recovered).await?;
                }
                Ok(_) => {}
                Err(_) => return Ok(0),
            }
            orphans.push(id);
        }
        store::messages::settle_interrupted(self.store.conn(), Some(&orphans)).await
    }

    /// A message's events after `after` (from `Last-Event-ID`).
    /// The events of a turn just created (or replayed), from `message.created` on. Needs no
    /// database read: the turn has its messages, so a send that committed always streams.
    pub fn turn_events(&self, scope: &TenantScope, turn: &Turn) -> BoxStream<'static, ChatEvent> {
        // An answer's parent is always the user message it answers.
        let user_message_id = turn.user_message.as_ref().map(|m| m.id).or(turn.assistant_message.parent_id);
        self.engine.events(scope.tenant, turn.assistant_message.clone(), None, user_message_id)
    }

    pub async fn events(
        &self,
        scope: &TenantScope,
        id: MessageId,
        after: Option<usize>,
    ) -> AppResult<BoxStream<'static, ChatEvent>> {
        let message = self.message(scope, id).await?;
        if message.role != MessageRole::Assistant {
            return Err(AppError::Validation {
                field: "id",
                reason: "only assistant messages have event streams".into(),
            });
        }
        let user_message_id = match message.parent_id {
            Some(p) => store::messages::get(&self.store, scope.tenant, p)
                .await?
                .filter(|m| m.role == MessageRole::User)
                .map(|m| m.id),
            None => None,
        };
        Ok(self.engine.events(scope.tenant, message, after, user_message_id))
    }

    pub async fn cancel(&self, scope: &TenantScope, id: MessageId) -> AppResult<Message> {
        let message = self.message(scope, id).await?;
        if message.status.is_terminal() {
            return Ok(message);
        }
        if self.engine.cancel(id) {
            if let Some(done) = self.engine.finished(id).await {
                return Ok(done);
            }
        } else if let Some(done) = self.cancel_elsewhere(scope, id).await? {
            return Ok(done);
        } else {
            // Not running anywhere (it will be settled on restart): record the stop.
            store::messages::set_status(self.store.conn(), scope.tenant, id, MessageStatus::Cancelled).await?;
        }
        self.message(scope, id).await
    }

    /// Scale-out tier: asks the replica generating the answer to stop it, and waits (briefly)
    /// for it to settle. `None` when no replica is generating it.
    async fn cancel_elsewhere(&self, scope: &TenantScope, id: MessageId) -> AppResult<Option<Message>> {
        let Some(shared) = self.engine.shared() else { return Ok(None) };
        match crate::cluster::streams::is_live(&shared.cluster, id).await {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(_) => {
                return Err(AppError::Unavailable(
                    "cannot reach the replica generating this answer (redis is unreachable)".into(),
                ));
            }
        }
        shared.bus.publish(crate::cluster::bus::Signal::Cancel(id));
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let message = self.message(scope, id).await?;
            if message.status.is_terminal() {
                return Ok(Some(message));
            }
        }
        // The replica did not answer within five seconds: it is gone.
        Ok(None)
    }

    pub(super) async fn check_limits(&self, scope: &TenantScope, ip: Option<&str>) -> AppResult<()> {
        self.count_limits(scope, ip, &mut Counted::default()).await
    }

    /// Counts a turn against the user's, the tenant's and the address's limits, in that order,
    /// stopping at the first that refuses; `counted` gets each one that counted it.
    async fn count_limits(&self, scope: &TenantScope, ip: Option<&str>, counted: &mut Counted) -> AppResult<()> {
        let c = &self.config;
        let checks = [
            (format!("turn-user:{}:{}", scope.tenant, scope.user), c.turns_per_minute_per_user),
            (format!("turn-tenant:{}", scope.tenant), c.turns_per_minute_per_tenant),
            (format!("turn-ip:{}", ip.unwrap_or("unknown")), c.turns_per_minute_per_ip),
        ];
        for (key, limit) in checks {
            self.limiter.hit(&key, limit, LIMIT_WINDOW).await?;
            counted.0.push((key, limit));
        }
        Ok(())
    }

    /// Gives back what a request counted against the limits: it was the replay of a turn.
    async fn refund(&self, counted: &Counted) {
        for (key, limit) in &counted.0 {
            self.limiter.refund(key, *limit, LIMIT_WINDOW).await;
        }
    }

    pub(super) fn check_content(&self, content: &str) -> AppResult<()> {
        if content.trim().is_empty() {
            return Err(AppError::Validation { field: "content", reason: "must not be empty".into() });
        }
        if content.chars().count() > self.config.max_message_chars {
            return Err(AppError::Validation {
                field: "content",
                reason: format!("must be at most {} characters", self.config.max_message_chars),
            });
        }
        Ok(())
    }

    pub async fn send(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        conversation: ConversationId,
        draft: Draft<'_>,
    ) -> AppResult<Turn> {
        self.check_content(draft.content)?;
        let Draft { content, model, parent, files } = draft;
        self.run_action(scope, ip, idem, Action::Send { conversation, content, model, parent, files }).await
    }

    pub async fn regenerate(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        message: MessageId,
        model: Option<&str>,
    ) -> AppResult<Turn> {
        self.run_action(scope, ip, idem, Action::Regenerate { message, model }).await
    }

    pub async fn continue_partial(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        message: MessageId,
    ) -> AppResult<Turn> {
        self.run_action(scope, ip, idem, Action::Continue { message }).await
    }

    pub async fn edit(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        message: MessageId,
        content: &str,
        model: Option<&str>,
    ) -> AppResult<Turn> {
        self.check_content(content)?;
        self.run_action(scope, ip, idem, Action::Edit { message, content, model }).await
    }

    /// Runs an action inside its turn's trace span: admission, planning and the first write here,
    /// the generation (in the engine) under the same span. Ids, model and outcome only.
    async fn run_action(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        action: Action<'_>,
    ) -> AppResult<Turn> {
        traced(turn_span(scope, action.name()), self.run_turn(scope, ip, idem, action)).await
    }

    async fn run_turn(
        &self,
        scope: &TenantScope,
        ip: Option<&str>,
        idem: Idempotency<'_>,
        action: Action<'_>,
    ) -> AppResult<Turn> {
        let turn_span = tracing::Span::current();
        // A draining replica writes nothing: the client retries with the same key elsewhere.
        let _admitted = self.engine.drain().admit()?;
        let route = action.route();
        let fingerprint = action.fingerprint();
        let claim_scope = Scope { tenant: scope.tenant, user: scope.user, route: &route, key: idem.key };
        // No look for the key's claim first: nearly every request carries a new key, and on
        // PostgreSQL the look was a pool checkout and a round trip of its own before anything
        // else (7-10 ms of added time to the first token with 50 turns at once). A retry shows
        // itself where it fails instead (the limits, the plan or the quota refuse it, or its
        // claim's insert finds the key taken) and is replayed there, with what it counted against
        // the limits given back: a replay is not a turn for the limits.
        let mut counted = Counted::default();
        let checking = Instant::now();
        let limited =
            self.count_limits(scope, ip, &mut counted).instrument(tracing::info_span!("turn.admission.limits")).await;
        self.engine.metrics().admission("limits", checking.elapsed());
        if let Err(e) = limited {
            return self.replay_instead(&claim_scope, &fingerprint, &counted, e).await;
        }
        for _ in 0..2 {
            let planning = Instant::now();
            let plan = match self.plan(scope, &action, None).instrument(tracing::info_span!("turn.plan")).await {
                Ok(plan) => plan,
                Err(e) => return self.replay_instead(&claim_scope, &fingerprint, &counted, e).await,
            };
            self.engine.metrics().admission("plan", planning.elapsed());
            turn_span.record("model", plan.spec.id.as_str());
            turn_span.record("provider", plan.spec.provider.as_str());
            // The worst case (the prompt and the longest answer allowed) must fit every token
            // budget before anything is written or sent upstream.
            let amount = (plan.ctx.record.prompt_tokens as u64) + u64::from(plan.spec.max_output_tokens);
            let reserving = Instant::now();
            let reserved = self
                .usage
                .reserve(scope, plan.conversation, &plan.spec, amount)
                .instrument(tracing::info_span!("turn.admission.quota"))
                .await;
            let ticket = match reserved {
                Ok(ticket) => ticket,
                Err(e) => return self.replay_instead(&claim_scope, &fingerprint, &counted, e).await,
            };
            self.engine.metrics().admission("quota", reserving.elapsed());
            let written = self.write_action(scope, &claim_scope, &fingerprint, plan, ticket.clone(), &turn_span);
            match written.instrument(tracing::info_span!("turn.persist.user_message")).await {
                Ok(Written::Started(turn)) => return Ok(*turn),
                Ok(Written::Retry) => {
                    self.usage.release(&ticket).await;
                    if let Some(turn) = self.replay_counted(&claim_scope, &fingerprint, &counted).await? {
                        return Ok(turn);
                    }
                }
                Err(e) => {
                    self.usage.release(&ticket).await;
                    return self.replay_instead(&claim_scope, &fingerprint, &counted, e).await;
                }
            }
        }
        self.replay_counted(&claim_scope, &fingerprint, &counted)
            .await?
            .ok_or_else(|| AppError::Conflict("the request is being processed; retry".into()))
    }

    /// The turn the key's claim holds, replayed, if there is one (the same key with another
    /// request is `IdempotencyMismatch`); either way the request was no new turn, and what it
    /// counted against the limits is given back.
    async fn replay_counted(
        &self,
        claim_scope: &Scope<'_>,
        fingerprint: &str,
        counted: &Counted,
    ) -> AppResult<Option<Turn>> {
        let looking = Instant::now();
        let replayed = self.replay(claim_scope, fingerprint).await;
        self.engine.metrics().admission("replay", looking.elapsed());
        if matches!(replayed, Ok(Some(_)) | Err(AppError::IdempotencyMismatch)) {
            self.refund(counted).await;
        }
        if matches!(replayed, Ok(Some(_))) {
            tracing::Span::current().record("outcome", "replayed");
        }
        replayed
    }

    /// `error`, for a request refused before its turn was written, unless the key's claim shows
    /// it is the retry of a turn already made: then that turn, replayed (a retry is answered
    /// whatever the limits, the quota or the conversation say now). A look that fails leaves the
    /// original error.
    async fn replay_instead(
        &self,
        claim_scope: &Scope<'_>,
        fingerprint: &str,
        counted: &Counted,
        error: AppError,
    ) -> AppResult<Turn> {
        match self.replay_counted(claim_scope, fingerprint, counted).await {
            Ok(Some(turn)) => Ok(turn),
            Err(AppError::IdempotencyMismatch) => Err(AppError::IdempotencyMismatch),
            Ok(None) | Err(_) => Err(error),
        }
    }

    /// The write half of an action: the idempotency claim, the messages, and the turn started
    /// after commit.
    #[allow(clippy::too_many_arguments)]
    async fn write_action(
        &self,
        scope: &TenantScope,
        claim_scope: &Scope<'_>,
        fingerprint: &str,
        plan: Plan,
        ticket: Ticket,
        turn_span: &tracing::Span,
    ) -> AppResult<Written> {
        let writing = Instant::now();
        let scope = *scope;
        let (route, key) = (claim_scope.route.to_string(), claim_scope.key.to_string());
        let fingerprint = fingerprint.to_string();
        let expires = store::now() + chrono::Duration::hours(self.config.idempotency_hours as i64);
        let in_one = self.store.backend() == sea_orm::DbBackend::Postgres
            && matches!(&plan.kind, PlanKind::Exchange { files, .. } if files.is_empty());
        // No look for a claim inside the transaction: a duplicate that committed since the look
        // before it is rare, and the claim's insert below finds it anyway (one statement fewer
        // while SQLite's single writer is held).
        let written = if in_one {
            let claim_scope = Scope { tenant: scope.tenant, user: scope.user, route: &route, key: &key };
            self.commit_exchange(&scope, claim_scope, &fingerprint, expires, plan, ticket).await
        } else {
            self.store
                .write(Box::new(move |txn| {
                    Box::pin(async move {
                        let prepared = Self::apply(txn, &scope, plan, ticket).await?;
                        let claim = Claim {
                            fingerprint,
                            user_message_id: prepared.turn.user_message.as_ref().map(|m| m.id),
                            assistant_message_id: prepared.turn.assistant_message.id,
                        };
                        let claim_scope = Scope { tenant: scope.tenant, user: scope.user, route: &route, key: &key };
                        match store::idempotency::insert(txn, &claim_scope, &claim, expires).await {
                            Ok(()) => {}
                            // A concurrent duplicate committed first: what `apply` wrote is rolled
                            // back, and the caller replays the duplicate instead.
                            Err(AppError::Conflict(_)) => return Err(AppError::Conflict(CLAIM_TAKEN.into())),
                            Err(e) => return Err(e),
                        }
                        crate::crashpoint::hit("turn.before_commit");
                        Ok(prepared)
                    })
                }))
                .await
        };
        let prepared = match written {
            Ok(prepared) => prepared,
            Err(AppError::Conflict(m)) if m == CLAIM_TAKEN => return Ok(Written::Retry),
            Err(e) => return Err(e),
        };
        crate::crashpoint::hit("turn.after_commit");
        self.engine.metrics().persistence("turn_commit", writing.elapsed());
        let turn = &prepared.turn;
        turn_span.record("conversation.id", tracing::field::display(turn.conversation_id));
        turn_span.record("message.id", tracing::field::display(turn.assistant_message.id));
        if let Some(user) = &turn.user_message {
            turn_span.record("user_message.id", tracing::field::display(user.id));
        }
        if let Some(mut job) = prepared.job {
            job.span = turn_span.clone();
            self.engine.start(job);
        }
        Ok(Written::Started(Box::new(prepared.turn)))
    }

    /// A send's write on PostgreSQL: the new leaf, the two messages and the claim in one
    /// statement ([`store::exchange`]) instead of a transaction of five round trips. A claim a
    /// duplicate holds is [`CLAIM_TAKEN`], as on the general path.
    async fn commit_exchange(
        &self,
        scope: &TenantScope,
        claim: Scope<'_>,
        fingerprint: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
        plan: Plan,
        ticket: Ticket,
    ) -> AppResult<Prepared> {
        let Plan { conversation, kind, spec, ctx, provider, api_key, title, system, temperature, chain } = plan;
        let PlanKind::Exchange { user, .. } = kind else {
            return Err(AppError::Internal("a one-statement commit of something other than a send".into()));
        };
        let record = serde_json::to_value(&ctx.record).unwrap_or_default();
        let exchange = store::exchange::Exchange {
            conversation,
            title: title.as_deref(),
            question: question_row(scope, conversation, &user, &spec),
            answer: answer_row(scope, conversation, (MessageId::new(), user.id), &spec, &record),
            claim,
            fingerprint,
            expires_at,
        };
        // Nothing is written before the statement, and all of it by the statement's end.
        crate::crashpoint::hit("turn.before_commit");
        let [user_message, assistant] = match store::exchange::commit(self.store.conn(), exchange).await {
            Ok(written) => written,
            Err(AppError::Conflict(m)) if m == store::exchange::CLAIM_IN_USE => {
                return Err(AppError::Conflict(CLAIM_TAKEN.into()));
            }
            Err(e) => return Err(e),
        };
        let answering = Answering { spec, ctx, provider, api_key, system, temperature, chain };
        Ok(answering.started(scope, conversation, ticket, Some(user_message), assistant))
    }

    pub(super) async fn replay(&self, claim_scope: &Scope<'_>, fingerprint: &str) -> AppResult<Option<Turn>> {
        match store::idempotency::find(&self.store, claim_scope).await? {
            Some(claim) => self.replay_claim(claim_scope, claim, fingerprint).await.map(Some),
            None => Ok(None),
        }
    }

    pub(super) async fn replay_claim(
        &self,
        claim_scope: &Scope<'_>,
        claim: Claim,
        fingerprint: &str,
    ) -> AppResult<Turn> {
        if claim.fingerprint != fingerprint {
            return Err(AppError::IdempotencyMismatch);
        }
        let conn = &self.store;
        let assistant = store::messages::get(conn, claim_scope.tenant, claim.assistant_message_id)
            .await?
            .ok_or(AppError::NotFound("message"))?;
        let user_message = match claim.user_message_id {
            Some(id) => store::messages::get(conn, claim_scope.tenant, id).await?,
            None => None,
        };
        Ok(Turn {
            conversation_id: assistant.conversation_id,
            user_message,
            assistant_message: assistant,
            replayed: true,
            choices: None,
        })
    }

    /// Everything an action needs that can be read before taking the write lock: the target,
    /// the model, the provider and its key, and the context to send. Reading here (not inside
    /// the write transaction) keeps SQLite's single writer free for as short a time as possible.
    ///
    /// `preset` replaces the conversation's pinned preset for this answer (a choice's own preset
    /// version).
    pub(super) async fn plan(
        &self,
        scope: &TenantScope,
        action: &Action<'_>,
        preset: Option<crate::store::presets::PresetSettings>,
    ) -> AppResult<Plan> {
        let conn = self.store.conn();
        // The target conversation (and message), and the model the caller or the message names.
        let (conv, target, requested) = match *action {
            Action::Send { conversation, model, .. } => {
                (self.owned_conversation(&self.store, scope, conversation).await?, None, model.map(str::to_string))
            }
            Action::Edit { message, model, .. } => {
                let original = self.owned_message(scope, message).await?;
                if original.role != MessageRole::User {
                    return Err(AppError::Validation {
                        field: "id",
                        reason: "only user messages can be edited".into(),
                    });
                }
                let model = model.map(str::to_string).or(original.model.clone());
                (self.owned_conversation(&self.store, scope, original.conversation_id).await?, Some(original), model)
            }
            Action::Regenerate { message, model } => {
                let target = self.owned_message(scope, message).await?;
                let model = model.map(str::to_string).or(if target.role == MessageRole::Assistant {
                    target.model.clone()
                } else {
                    None
                });
                (self.owned_conversation(&self.store, scope, target.conversation_id).await?, Some(target), model)
            }
            Action::Continue { message } => {
                let target = self.owned_message(scope, message).await?;
                if target.role != MessageRole::Assistant || target.status != MessageStatus::Partial {
                    return Err(AppError::Conflict(format!(
                        "only a partial answer can be continued; this message is {}",
                        target.status.as_str()
                    )));
                }
                let model = target.model.clone();
                (self.owned_conversation(&self.store, scope, target.conversation_id).await?, Some(target), model)
            }
        };
        // The pinned preset version supplies the system prompt, sampling and output limit, and
        // the model when the caller names none; a plugin's preset is rendered for the turn.
        let overridden = preset.is_some();
        let mut preset = match (preset, conv.preset_version_id) {
            (Some(settings), _) => Some(settings),
            (None, Some(v)) => store::presets::version_by_id(conn, scope.tenant, v).await?.map(|v| v.settings),
            (None, None) => None,
        };
        if let Some((version, preset_id)) = conv.plugin_preset.as_ref().filter(|_| !overridden) {
            let default_model = requested.clone().unwrap_or_default();
            let rendered =
                self.plugins.render_preset(scope.tenant, scope.user, *version, preset_id, &default_model).await?;
            preset = Some(crate::store::presets::PresetSettings {
                name: preset_id.clone(),
                description: String::new(),
                model: rendered.model,
                system_prompt: rendered.system_prompt,
                temperature: rendered.temperature.map(f64::from),
                max_tokens: None,
            });
        }
        let model = requested.or_else(|| preset.as_ref().and_then(|p| p.model.clone()));
        let mut spec = self.catalogue.resolve(conn, scope.tenant, model.as_deref()).await?;
        if let Some(max) = preset.as_ref().and_then(|p| p.max_tokens) {
            spec.max_output_tokens = spec.max_output_tokens.min(u32::try_from(max.max(1)).unwrap_or(u32::MAX));
        }
        let system = preset.as_ref().map(|p| p.system_prompt.clone()).filter(|p| !p.trim().is_empty());
        let temperature = preset.as_ref().and_then(|p| p.temperature).map(|t| t as f32);
        let all = store::messages::of_conversation(&self.store, scope.tenant, conv.id).await?;
        let parts = if conv.has_files {
            store::files::parts_of_conversation(conn, scope.tenant, conv.id).await?
        } else {
            Vec::new()
        };
        let fresh = match *action {
            Action::Send { files, .. } if !files.is_empty() => self.files.for_message(scope, files).await?,
            // An edit carries the original's files that are still there.
            Action::Edit { message, .. } => {
                let kept: Vec<FileId> =
                    parts.iter().filter(|p| p.message_id == message).filter_map(|p| p.file_id).collect();
                store::files::get_many(conn, scope.tenant, &kept).await?
            }
            _ => Vec::new(),
        };
        if !spec.vision && fresh.iter().any(|f| f.kind == store::files::KIND_IMAGE) {
            return Err(AppError::Validation {
                field: "file_ids",
                reason: format!("has an image, and the model {} cannot see images: pick a vision model", spec.id),
            });
        }
        let material = |leaf: Option<MessageId>, new_user: Option<MessageId>| {
            // Only a conversation with files has a path to look along.
            let path: std::collections::HashSet<MessageId> = if parts.is_empty() {
                Default::default()
            } else {
                context::path_to(&all, leaf).iter().map(|m| m.id).collect()
            };
            let in_path: Vec<_> = parts.iter().filter(|p| path.contains(&p.message_id)).cloned().collect();
            let fresh: Vec<_> = new_user.map(|id| (id, fresh.clone())).into_iter().collect();
            self.files.prompt_material(scope.tenant, in_path, fresh, spec.vision)
        };
        let (kind, ctx, title) = match (action, target) {
            (Action::Send { content, parent, .. }, _) => {
                let parent = match *parent {
                    Some(p) if all.iter().any(|m| m.id == p) => Some(p),
                    Some(_) => {
                        return Err(AppError::Validation {
                            field: "parent_id",
                            reason: "is not a message of this conversation".into(),
                        });
                    }
                    None => conv.active_leaf_id,
                };
                let title = (conv.title == DEFAULT_TITLE && all.is_empty()).then(|| title_from(content));
                let user = MessageId::new();
                let attached = material(parent, Some(user)).await?;
                let (user, ctx) =
                    exchange(scope, &conv, &all, (user, parent), content, &spec, system.as_deref(), &attached);
                (PlanKind::Exchange { user, files: fresh }, ctx, title)
            }
            (Action::Edit { content, .. }, Some(original)) => {
                let user = MessageId::new();
                let attached = material(original.parent_id, Some(user)).await?;
                let (user, ctx) = exchange(
                    scope,
                    &conv,
                    &all,
                    (user, original.parent_id),
                    content,
                    &spec,
                    system.as_deref(),
                    &attached,
                );
                (PlanKind::Exchange { user, files: fresh }, ctx, None)
            }
            (Action::Regenerate { .. }, Some(target)) => {
                let parent = match target.role {
                    MessageRole::Assistant => target.parent_id.ok_or(AppError::Validation {
                        field: "id",
                        reason: "this answer has no question to answer again".into(),
                    })?,
                    _ => target.id,
                };
                let attached = material(Some(parent), None).await?;
                let ctx =
                    context::build(&spec, system.as_deref(), &context::path_to(&all, Some(parent)), None, &attached);
                (PlanKind::Answer { parent }, ctx, None)
            }
            (Action::Continue { .. }, Some(target)) => {
                let history = context::path_to(&all, target.parent_id);
                let attached = material(target.parent_id, None).await?;
                let ctx = context::build(&spec, system.as_deref(), &history, Some(&target.content), &attached);
                (PlanKind::Continue { target }, ctx, None)
            }
            _ => return Err(AppError::Internal("an action without its target message".into())),
        };
        let (provider, api_key) = self.catalogue.provider_for(conn, scope.tenant, &spec).await?;
        let chain = self.plugins.request_chain(scope.tenant, scope.user, &spec.id).await?;
        Ok(Plan { conversation: conv.id, kind, spec, ctx, provider, api_key, title, system, temperature, chain })
    }

    /// Writes a planned action inside the write transaction and prepares its turn.
    pub(super) async fn apply(
        txn: &DatabaseTransaction,
        scope: &TenantScope,
        plan: Plan,
        ticket: Ticket,
    ) -> AppResult<Prepared> {
        let Plan { conversation, kind, spec, ctx, provider, api_key, title, system, temperature, chain } = plan;
        let assistant_id = match &kind {
            PlanKind::Continue { target } => target.id,
            _ => MessageId::new(),
        };
        // The new leaf first: the update finds no conversation when it was deleted since the
        // plan read it (nothing to answer in, and nothing written), and the title of a new one
        // goes with it.
        store::conversations::set_active_leaf_titled(
            txn,
            scope.tenant,
            Some(scope.user),
            conversation,
            assistant_id,
            title.as_deref(),
        )
        .await?;
        let record = serde_json::to_value(&ctx.record).unwrap_or_default();
        let new_assistant = |parent: MessageId| answer_row(scope, conversation, (assistant_id, parent), &spec, &record);
        let (user_message, assistant) = match kind {
            PlanKind::Exchange { user, files } => {
                let question = question_row(scope, conversation, &user, &spec);
                let written = store::messages::insert_all(txn, vec![question, new_assistant(user.id)]).await?;
                let Ok([user, assistant]) = <[Message; 2]>::try_from(written) else {
                    return Err(AppError::Internal("a turn's two messages were not both written".into()));
                };
                store::files::insert_parts(txn, scope.tenant, conversation, user.id, &files).await?;
                (Some(user), assistant)
            }
            PlanKind::Answer { parent } => (None, store::messages::insert(txn, new_assistant(parent)).await?),
            PlanKind::Continue { target } => {
                if !store::messages::reopen_for_continue(txn, scope.tenant, target.id, &record).await? {
                    return Err(AppError::Conflict("the answer is already being continued".into()));
                }
                (
                    None,
                    Message {
                        status: MessageStatus::Queued,
                        error: None,
                        model_config: Some(record.clone()),
                        ..target
                    },
                )
            }
        };
        let answering = Answering { spec, ctx, provider, api_key, system, temperature, chain };
        Ok(answering.started(scope, conversation, ticket, user_message, assistant))
    }

    async fn owned_message(&self, scope: &TenantScope, id: MessageId) -> AppResult<Message> {
        store::messages::get_owned(&self.store, scope.tenant, scope.user, id)
            .await?
            .ok_or(AppError::NotFound("message"))
    }
}

/// A user message about to be written, and the context that answers it.
#[allow(clippy::too_many_arguments)]
fn exchange(
    scope: &TenantScope,
    conv: &Conversation,
    all: &[Message],
    (id, parent): (MessageId, Option<MessageId>),
    content: &str,
    spec: &ModelSpec,
    system: Option<&str>,
    attached: &std::collections::HashMap<MessageId, crate::files::Attached>,
) -> (Message, context::Context) {
    let now = store::now();
    let user = Message {
        id,
        tenant_id: scope.tenant,
        conversation_id: conv.id,
        parent_id: parent,
        role: MessageRole::User,
        status: MessageStatus::Completed,
        content: content.to_string(),
        model: Some(spec.id.clone()),
        model_config: None,
        error: None,
        input_tokens: None,
        output_tokens: None,
        plugin_runs: None,
        created_at: now,
        updated_at: now,
    };
    let mut history = context::path_to(all, parent);
    history.push(user.clone());
    let ctx = context::build(spec, system, &history, None, attached);
    (user, ctx)
}

/// A turn's trace span, with the attributes recorded as it goes (ids, model, outcome, tokens).
pub(super) fn turn_span(scope: &TenantScope, action: &'static str) -> tracing::Span {
    use tracing::field::Empty;
    tracing::info_span!("turn", tenant.id = %scope.tenant, action = action,
        conversation.id = Empty, message.id = Empty, user_message.id = Empty, model = Empty, provider = Empty,
        outcome = Empty, refusal = Empty, tokens.input = Empty, tokens.output = Empty, provider.error = Empty)
}

/// Why a turn was not started, as a trace attribute (the error's kind, never its text).
/// Runs `work` inside `span`, and records on the span why it was refused when it fails.
pub(super) async fn traced<T>(
    span: tracing::Span,
    work: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<T> {
    let result = work.instrument(span.clone()).await;
    if let Err(e) = &result {
        span.record("outcome", "refused");
        span.record("refusal", refusal(e));
    }
    result
}

pub(super) fn refusal(e: &AppError) -> &'static str {
    match e {
        AppError::Validation { .. }
        | AppError::IdempotencyMismatch
        | AppError::TooLarge(_)
        | AppError::StorageQuota(_)
        | AppError::UnsupportedFile(_) => "invalid",
        AppError::Unauthenticated(_) | AppError::InvalidCredentials | AppError::CsrfFailed => "unauthenticated",
        AppError::Forbidden(_) | AppError::PrivateModeOff(_) => "forbidden",
        AppError::NotFound(_) => "not_found",
        AppError::Conflict(_) => "conflict",
        AppError::RateLimited { .. } => "rate_limited",
        AppError::QuotaExceeded(_) => "quota_exceeded",
        AppError::Unavailable(_) => "unavailable",
        AppError::Draining { .. } => "draining",
        AppError::Internal(_) => "internal",
    }
}

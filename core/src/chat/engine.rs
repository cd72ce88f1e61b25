//! The turn engine: runs each assistant answer as a task that belongs to the message, not to an
//! HTTP connection. Deltas go to everyone attached and are flushed to the store by time and size;
//! only `cancel` stops a turn. Readers resume by byte offset, from memory while the turn is live
//! and from the store afterwards.

use crate::config::{ChatConfig, ExposeSecret};
use crate::domain::{MessageId, MessageStatus, TenantId};
use crate::limits::quota::QuotaLedger;
use crate::providers::{ChatRequest, Provider, ProviderError, StreamItem};
use crate::store::messages::{Finish, Flush, Message, MessageError};
use crate::store::usage::NewUsage;
use crate::store::{self, Store};
use crate::usage::Ticket;
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How long a finished turn stays in memory for quick reattaches.
const LINGER: Duration = Duration::from_secs(30);

/// One event of a message's stream. Deltas carry the content length in bytes after them, which
/// is what a client sends back to resume: it then gets exactly the rest.
#[derive(Debug, Clone)]
pub enum ChatEvent {
    Created {
        user_message_id: Option<MessageId>,
        message: Box<Message>,
    },
    Delta {
        message_id: MessageId,
        content: String,
        offset: usize,
    },
    /// Shared by everyone attached (a long answer's final message is not copied per reader).
    Finished(Arc<Message>),
}

struct LiveState {
    content: String,
    /// Bytes of `content` the store is known to hold: the next flush appends what follows. 0
    /// means unknown (nothing flushed yet, or a flush failed and may or may not have landed):
    /// the next flush writes the whole text.
    flushed: usize,
    finished: Option<Arc<Message>>,
    /// Milliseconds from the turn's start to its first token, once it arrived.
    ttft_ms: Option<i32>,
    /// When the first token arrived (the output rate is measured from there).
    first_token_at: Option<std::time::Instant>,
}

/// A turn's end as it is written: owned, so that the writer thread can take it.
#[derive(Clone)]
struct Ended {
    tenant: TenantId,
    id: MessageId,
    status: MessageStatus,
    content: String,
    error: Option<MessageError>,
    input_tokens: i64,
    output_tokens: i64,
    plugin_runs: Option<serde_json::Value>,
    user: crate::domain::UserId,
    conversation: crate::domain::ConversationId,
    model: String,
    cost: f64,
    day: String,
    month: String,
    ttft_ms: Option<i32>,
}

impl Ended {
    /// The message's final state and the turn's usage event.
    fn records(&self) -> (Finish<'_>, NewUsage<'_>) {
        let finish = Finish {
            status: self.status,
            content: &self.content,
            error: self.error.as_ref(),
            input_tokens: Some(self.input_tokens),
            output_tokens: Some(self.output_tokens),
            plugin_runs: self.plugin_runs.as_ref(),
        };
        let usage = NewUsage {
            tenant: self.tenant,
            user: self.user,
            conversation: self.conversation,
            message: self.id,
            model: &self.model,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost: self.cost,
            outcome: self.status.as_str(),
            day: &self.day,
            month: &self.month,
            ttft_ms: self.ttft_ms,
        };
        (finish, usage)
    }
}

/// One stream's text in a flush: the whole of it, or what follows the last flush that landed.
struct Pending {
    id: MessageId,
    tenant: TenantId,
    whole: bool,
    text: String,
}

pub struct Live {
    state: Mutex<LiveState>,
    notify: Notify,
    /// Told once the turn has ended (its `finished` is set).
    ended: Notify,
    cancel: CancellationToken,
    /// The turn's trace span while the turn runs: readers' `turn.first_delta` spans hang off it.
    span: Mutex<Option<tracing::Span>>,
}

impl Live {
    fn lock(&self) -> std::sync::MutexGuard<'_, LiveState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn span(&self) -> std::sync::MutexGuard<'_, Option<tracing::Span>> {
        self.span.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub struct Engine {
    store: Store,
    config: ChatConfig,
    /// Streams whose text grew since the last flush.
    dirty: Mutex<HashMap<MessageId, (TenantId, Arc<Live>)>>,
    flush_now: Notify,
    metrics: Arc<crate::metrics::Metrics>,
    live: Mutex<HashMap<MessageId, Arc<Live>>>,
    ledger: Arc<dyn QuotaLedger>,
    /// The scale-out tier: live text is fanned out to other replicas through Redis.
    shared: Option<Shared>,
    /// This replica's drain before it stops: running turns are counted, and interrupted at its
    /// deadline.
    drain: Arc<super::drain::Drain>,
}

/// What the engine uses of the Redis tier.
#[derive(Clone)]
pub struct Shared {
    pub cluster: Arc<crate::cluster::Cluster>,
    pub bus: Arc<crate::cluster::bus::Bus>,
}

/// What a turn needs to run.
pub struct TurnJob {
    pub tenant: TenantId,
    pub message: Message,
    pub provider: Arc<dyn Provider>,
    pub api_key: Option<crate::config::SecretString>,
    pub request: ChatRequest,
    /// Prompt size as counted locally, used when the provider reports no usage.
    pub prompt_tokens: usize,
    /// The turn's quota reservation, settled to its real usage when it ends.
    pub ticket: Ticket,
    /// The tenant's request transforms, run before the request leaves.
    pub chain: Option<crate::plugins::RequestChain>,
    /// The turn's trace span (a child of the request's), which the generation's spans hang off
    /// explicitly: the generation outlives the request.
    pub span: tracing::Span,
    /// The provider's name in the configuration (a metrics label).
    pub provider_name: String,
}

impl Engine {
    pub fn new(
        store: Store,
        config: ChatConfig,
        metrics: Arc<crate::metrics::Metrics>,
        ledger: Arc<dyn QuotaLedger>,
        shared: Option<Shared>,
    ) -> Self {
        Self {
            store,
            config,
            metrics,
            ledger,
            dirty: Mutex::new(HashMap::new()),
            flush_now: Notify::new(),
            live: Mutex::new(HashMap::new()),
            shared,
            drain: Arc::default(),
        }
    }

    pub fn drain(&self) -> &Arc<super::drain::Drain> {
        &self.drain
    }

    pub fn shared(&self) -> Option<&Shared> {
        self.shared.as_ref()
    }

    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.metrics
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, HashMap<MessageId, Arc<Live>>> {
        self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn live(&self, id: MessageId) -> Option<Arc<Live>> {
        self.registry().get(&id).cloned()
    }

    /// Starts a turn in the background. The message must be `queued`.
    pub fn start(self: &Arc<Self>, mut job: TurnJob) {
        let span = std::mem::replace(&mut job.span, tracing::Span::none());
        let live = Arc::new(Live {
            state: Mutex::new(LiveState {
                content: job.message.content.clone(),
                flushed: 0,
                finished: None,
                ttft_ms: None,
                first_token_at: None,
            }),
            notify: Notify::new(),
            ended: Notify::new(),
            cancel: CancellationToken::new(),
            span: Mutex::new(Some(span.clone())),
        });
        self.registry().insert(job.message.id, live.clone());
        if let Some(shared) = &self.shared {
            let (cluster, metrics) = (shared.cluster.clone(), self.metrics.clone());
            tokio::spawn(publish(cluster, metrics, job.message.id, live.clone(), job.message.content.len()));
        }
        let engine = self.clone();
        // Counted until the turn is recorded: a draining replica stops only after that.
        let work = self.drain.track();
        tokio::spawn(async move {
            let id = job.message.id;
            // Boxed: an argument of an async fn moved into the future and then taken apart takes
            // its room twice, for the whole turn (5.0 KiB per streaming turn's task, 3.1 boxed).
            engine.run(Box::new(job), &live).instrument(span).await;
            drop(work);
            engine.dirty.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
            live.notify.notify_waiters();
            live.ended.notify_waiters();
            tokio::time::sleep(LINGER).await;
            engine.registry().remove(&id);
        });
    }

    /// Asks a live turn to stop; true if it was running here.
    pub fn cancel(&self, id: MessageId) -> bool {
        match self.live(id) {
            Some(live) if live.lock().finished.is_none() => {
                live.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Waits until a live turn has finished (after `cancel`).
    pub async fn finished(&self, id: MessageId) -> Option<Message> {
        let live = self.live(id)?;
        loop {
            let notified = live.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(m) = live.lock().finished.clone() {
                return Some(Message::clone(&m));
            }
            notified.await;
        }
    }

    /// One turn, in phases: the request transforms, the relay of the provider's stream, the
    /// answer transforms, settling how it ended, and recording that durably.
    async fn run(&self, job: Box<TurnJob>, live: &Arc<Live>) {
        let TurnJob {
            tenant,
            message,
            provider,
            api_key,
            request,
            prompt_tokens,
            ticket,
            chain,
            span: _,
            provider_name,
        } = *job;
        let started_with = message.content.len();
        let began = std::time::Instant::now();
        self.metrics.turn_started();
        let mut runs: Vec<crate::plugins::Run> = Vec::new();
        let mut usage: Option<(u64, u64)> = None;
        if chain.is_some() {
            crate::crashpoint::hit("turn.plugin_call");
        }
        // The steps before and after the relay are boxed: a future is as large as its largest
        // state, so unboxed they made every streaming turn's task 10.8 KiB (5.1 KiB boxed, in a
        // release build) for the whole of its stream, although they run only around it.
        let transformed = Box::pin(transform_request(chain.as_ref(), request, &mut runs)).await;
        runs.iter().for_each(|r| self.metrics.plugin(&r.plugin, "request", Duration::from_micros(r.elapsed_us)));
        let before_answer = runs.len();
        let mut outcome = match transformed {
            Ok(request) => {
                // The adapter puts the key straight into the request header.
                let api_key = api_key.as_ref().map(|k| k.expose_secret().to_string());
                let upstream = (provider.as_ref(), provider_name.as_str());
                self.relay(tenant, message.id, live, upstream, request, api_key, &mut usage).await
            }
            Err(stopped) => {
                usage = Some((0, 0));
                Err(Outcome::Stopped(stopped))
            }
        };
        let mut content = live.lock().content.clone();
        if outcome.is_ok()
            && let Some(chain) = &chain
            && let Err(stopped) = Box::pin(transform_answer(chain, &mut content, &mut runs)).await
        {
            outcome = Err(Outcome::Stopped(stopped));
        }
        runs[before_answer..]
            .iter()
            .for_each(|r| self.metrics.plugin(&r.plugin, "response", Duration::from_micros(r.elapsed_us)));
        let settled = settle(&outcome, &content, started_with, usage, prompt_tokens);
        self.metrics.turn_finished(settled.status.as_str(), settled.provider_code);
        record_outcome(&tracing::Span::current(), &settled);
        let generating = live.lock().first_token_at.map(|t| t.elapsed());
        self.metrics.turn_timing(
            &tenant.to_string(),
            settled.status.as_str(),
            began.elapsed(),
            generating,
            settled.output_tokens,
        );
        // Recorded with the message whenever the tenant has a chain, even if no plugin ran.
        let plugin_runs = chain.as_ref().and_then(|_| serde_json::to_value(&runs).ok());
        let persist = tracing::info_span!("turn.persist.final");
        Box::pin(self.record(message, ticket, settled, content, plugin_runs, live)).instrument(persist).await;
        live.span().take();
    }

    /// Relays the provider's stream into the live answer until it ends, fails or is cancelled;
    /// the flusher writes what arrives, by time and by size.
    #[allow(clippy::too_many_arguments)]
    async fn relay(
        &self,
        tenant: TenantId,
        id: MessageId,
        live: &Arc<Live>,
        (provider, provider_name): (&dyn Provider, &str),
        request: ChatRequest,
        api_key: Option<String>,
        usage: &mut Option<(u64, u64)>,
    ) -> Result<(), Outcome> {
        crate::crashpoint::hit("turn.before_provider");
        let started = std::time::Instant::now();
        let connect =
            tracing::info_span!("turn.provider.connect", otel.kind = "client", outcome = tracing::field::Empty);
        let stream = tokio::select! {
            _ = live.cancel.cancelled() => return Err(Outcome::Cancelled),
            _ = self.drain.interrupted() => return Err(Outcome::Interrupted),
            s = provider.stream(request, api_key).instrument(connect.clone()) => {
                connect.record("outcome", if s.is_ok() { "ok" } else { "failed" });
                s.map_err(Outcome::Failed)?
            }
        };
        drop(connect);
        // Trace spans: from the response's headers to its first event, then from there to its end.
        let turn = tracing::Span::current();
        let mut stages: (Option<tracing::Span>, Option<tracing::Span>) =
            (Some(tracing::info_span!(parent: &turn, "turn.provider.first_byte")), None);
        let mut stream = stream.inspect(move |_| {
            if stages.0.take().is_some() {
                stages.1.get_or_insert_with(|| tracing::info_span!(parent: &turn, "turn.completion"));
            }
        });
        self.metrics.provider_connect(provider_name, started.elapsed());
        let mut first_item = true;
        let mut first_token = true;
        let mut pending = 0usize;
        // Made once for the whole relay, not once per token: each one registers with its token.
        let cancelled = live.cancel.cancelled();
        let interrupted = self.drain.interrupted();
        tokio::pin!(cancelled, interrupted);
        loop {
            tokio::select! {
                biased;
                _ = &mut cancelled => return Err(Outcome::Cancelled),
                _ = &mut interrupted => return Err(Outcome::Interrupted),
                item = stream.next() => {
                if std::mem::take(&mut first_item) {
                    self.metrics.provider_first_byte(provider_name, started.elapsed());
                }
                match item {
                    Some(Ok(StreamItem::Delta(text))) => {
                        pending += text.len();
                        let mut state = live.lock();
                        if first_token {
                            first_token = false;
                            let elapsed = started.elapsed();
                            self.metrics.first_token(elapsed);
                            state.ttft_ms = Some(i32::try_from(elapsed.as_millis()).unwrap_or(i32::MAX));
                            state.first_token_at = Some(std::time::Instant::now());
                        }
                        state.content.push_str(&text);
                        // A flush rewrites the stored text, however little is added: early flushes
                        // of a long answer wait for an eighth of it, so its writes stay linear.
                        let flush_at = self.config.flush_bytes.max(state.content.len() / 8);
                        drop(state);
                        live.notify.notify_waiters();
                        self.mark_dirty(id, tenant, live);
                        if pending >= flush_at {
                            self.flush_now.notify_one();
                            pending = 0;
                        }
                    }
                    Some(Ok(StreamItem::Usage { input_tokens, output_tokens })) => {
                        *usage = Some((input_tokens, output_tokens));
                    }
                    // Chat turns ask for one choice and no tools.
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(Outcome::Failed(e)),
                    None => return Ok(()),
                }
                }
            }
        }
    }

    /// Writes the turn's end (retrying through a short database outage: it must land), settles
    /// its quota reservation, and hands the finished message to everyone attached.
    async fn record(
        &self,
        message: Message,
        ticket: Ticket,
        settled: Settled,
        content: String,
        plugin_runs: Option<serde_json::Value>,
        live: &Arc<Live>,
    ) {
        let Settled { status, error, input_tokens, output_tokens, .. } = settled;
        let ended = Arc::new(Ended {
            tenant: message.tenant_id,
            id: message.id,
            status,
            content,
            error,
            input_tokens: input_tokens as i64,
            output_tokens: output_tokens as i64,
            plugin_runs,
            user: ticket.user,
            conversation: ticket.conversation,
            model: ticket.model.clone(),
            cost: ticket.cost(input_tokens, output_tokens),
            day: ticket.day.clone(),
            month: ticket.month.clone(),
            ttft_ms: live.lock().ttft_ms,
        });
        let mut delay = Duration::from_millis(100);
        let writing = std::time::Instant::now();
        for attempt in 0..8 {
            match self.write_finish(ended.clone()).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "could not record the end of a turn; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
        // The writer has let go of it once the write's outcome is known.
        let Ended { content, error, plugin_runs, .. } = Arc::unwrap_or_clone(ended);
        self.metrics.persistence("final_write", writing.elapsed());
        self.ledger.settle(ticket.reservation, &ticket.windows, ticket.reserved, input_tokens + output_tokens).await;
        let finished = Message {
            status,
            content,
            error,
            input_tokens: Some(input_tokens as i64),
            output_tokens: Some(output_tokens as i64),
            plugin_runs,
            updated_at: store::now(),
            ..message
        };
        live.lock().finished = Some(Arc::new(finished));
    }

    fn mark_dirty(&self, id: MessageId, tenant: TenantId, live: &Arc<Live>) {
        self.dirty
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(id)
            .or_insert_with(|| (tenant, live.clone()));
    }

    /// Writes the text of every stream that grew since the last flush, all in one transaction,
    /// every `flush_interval_ms` or as soon as one stream has `flush_bytes` pending. One writer
    /// for all streams keeps the database's write lock free for new turns.
    pub async fn flusher(self: Arc<Self>) {
        let interval = Duration::from_millis(self.config.flush_interval_ms);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.flush_now.notified() => {}
            }
            let batch: Vec<(MessageId, TenantId, Arc<Live>)> = {
                let mut dirty = self.dirty.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                dirty.drain().map(|(id, (tenant, live))| (id, tenant, live)).collect()
            };
            if batch.is_empty() {
                continue;
            }
            // Only what streamed since the last flush that landed is copied and written.
            let snapshot: Vec<Pending> = batch
                .iter()
                .map(|(id, tenant, live)| {
                    let state = live.lock();
                    let from = state.flushed.min(state.content.len());
                    Pending { id: *id, tenant: *tenant, whole: from == 0, text: state.content[from..].to_string() }
                })
                .collect();
            let writing = std::time::Instant::now();
            let streams = snapshot.len();
            let written = self.write_batch(snapshot).await;
            if written.is_ok() {
                crate::crashpoint::hit("turn.flushed");
            }
            self.metrics.flush(streams, writing.elapsed(), written.is_ok());
            match written {
                Ok(snapshot) => {
                    for ((_, _, live), pending) in batch.iter().zip(&snapshot) {
                        let mut state = live.lock();
                        state.flushed =
                            if pending.whole { pending.text.len() } else { state.flushed + pending.text.len() };
                    }
                }
                Err(e) => {
                    // Still in memory; the next round (or the final write) carries it, whole: the
                    // failed commit may have landed or not, and only a whole write is right either way.
                    tracing::warn!(error = %e, streams, "could not flush streamed content");
                    let mut dirty = self.dirty.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    for (id, tenant, live) in batch {
                        let mut state = live.lock();
                        state.flushed = 0;
                        if state.finished.is_none() {
                            dirty.entry(id).or_insert((tenant, live.clone()));
                        }
                    }
                }
            }
        }
    }

    /// The end of a turn and its usage event, together: one statement on PostgreSQL
    /// ([`store::exchange::finish`]), one write of the writer's group on SQLite.
    async fn write_finish(&self, ended: Arc<Ended>) -> crate::error::AppResult<()> {
        if self.store.backend() == sea_orm::DbBackend::Postgres {
            let (finish, usage) = ended.records();
            // Nothing is written before the statement, and both halves by its end.
            crate::crashpoint::hit("turn.final_write");
            store::exchange::finish(self.store.conn(), finish, usage).await?;
        } else {
            self.store
                .write(Box::new(move |txn| {
                    Box::pin(async move {
                        let (finish, usage) = ended.records();
                        store::messages::finish(txn, usage.tenant, usage.message, finish).await?;
                        store::usage::record(txn, usage).await?;
                        crate::crashpoint::hit("turn.final_write");
                        Ok(())
                    })
                }))
                .await?;
        }
        crate::crashpoint::hit("turn.final_committed");
        Ok(())
    }

    /// Writes the pending text of every stream in `batch`, and hands the batch back. On
    /// PostgreSQL each statement commits on its own (no transaction's `BEGIN` and `COMMIT` round
    /// trips): a flush of more streams than one statement takes may land in part, and a failed
    /// flush is written whole by the next one anyway.
    async fn write_batch(&self, batch: Vec<Pending>) -> crate::error::AppResult<Vec<Pending>> {
        fn rows(batch: &[Pending]) -> Vec<(TenantId, MessageId, Flush<'_>)> {
            batch
                .iter()
                .map(|p| (p.tenant, p.id, if p.whole { Flush::Whole(&p.text) } else { Flush::Append(&p.text) }))
                .collect()
        }
        if self.store.backend() == sea_orm::DbBackend::Postgres {
            store::messages::flush_contents(self.store.conn(), &rows(&batch)).await?;
            return Ok(batch);
        }
        self.store
            .write(Box::new(move |txn| {
                Box::pin(async move {
                    store::messages::flush_contents(txn, &rows(&batch)).await?;
                    Ok(batch)
                })
            }))
            .await
    }

    /// The events of a message after `after` (a previous event id), ending with its final
    /// event. `created` is sent first when the reader starts from the beginning.
    pub fn events(
        self: &Arc<Self>,
        tenant: TenantId,
        message: Message,
        after: Option<usize>,
        user_message_id: Option<MessageId>,
    ) -> BoxStream<'static, ChatEvent> {
        let engine = self.clone();
        let id = message.id;
        let created =
            after.is_none().then(|| ChatEvent::Created { user_message_id, message: Box::new(message.clone()) });
        let state = Reader {
            engine,
            tenant,
            id,
            offset: after.unwrap_or(0),
            done: false,
            last: message,
            pending: std::collections::VecDeque::new(),
            remote: None,
            live: None,
            held_until: None,
        };
        let rest = futures::stream::unfold(state, |mut r| async move {
            if r.done {
                return None;
            }
            let event = r.next_event().await;
            if matches!(event, ChatEvent::Finished(_)) {
                r.done = true;
            }
            Some((event, r))
        });
        // A draining replica ends its streams at its deadline; their readers reattach elsewhere
        // with `Last-Event-ID`.
        let events = futures::stream::iter(created).chain(rest).take_until(self.drain.streams_closed());
        // A reader of a turn running here: the wait for its first delta is a stage of the turn.
        match self.live(id).and_then(|live| live.span().clone()) {
            Some(turn) => {
                let mut waiting = Some(tracing::info_span!(parent: &turn, "turn.first_delta"));
                events
                    .inspect(move |event| {
                        if matches!(event, ChatEvent::Delta { .. } | ChatEvent::Finished(_)) {
                            waiting.take();
                        }
                    })
                    .boxed()
            }
            None => events.boxed(),
        }
    }
}

enum Outcome {
    Cancelled,
    /// The replica reached its drain deadline while the answer was being written.
    Interrupted,
    Failed(ProviderError),
    /// A plugin refused the request, or failed under `fail_closed`.
    Stopped(MessageError),
}

/// How a turn ended: its state, error and token counts (the provider's, or counted here).
struct Settled {
    status: MessageStatus,
    error: Option<MessageError>,
    provider_code: Option<&'static str>,
    input_tokens: u64,
    output_tokens: u64,
}

fn settle(
    outcome: &Result<(), Outcome>,
    content: &str,
    started_with: usize,
    usage: Option<(u64, u64)>,
    prompt_tokens: usize,
) -> Settled {
    let (status, error) = match outcome {
        Ok(()) => (MessageStatus::Completed, None),
        Err(Outcome::Cancelled) => (MessageStatus::Cancelled, None),
        // Everything generated so far is kept; another replica continues it on request.
        Err(Outcome::Interrupted) => {
            let (status, message) = if content.is_empty() {
                (MessageStatus::Failed, "the server restarted before this answer started; retry it")
            } else {
                (
                    MessageStatus::Partial,
                    "the server restarted while this answer was being written; continue it to finish",
                )
            };
            (status, Some(MessageError { code: "interrupted".into(), message: message.into(), retry_after_secs: None }))
        }
        // Nothing was sent: the turn failed, whatever text an earlier part left.
        Err(Outcome::Stopped(e)) => (MessageStatus::Failed, Some(e.clone())),
        Err(Outcome::Failed(e)) => {
            let status = if content.is_empty() { MessageStatus::Failed } else { MessageStatus::Partial };
            tracing::info!(error = %e, produced = content.len() > started_with, "turn ended early");
            (status, Some(provider_error(e)))
        }
    };
    let provider_code = match outcome {
        Err(Outcome::Failed(e)) => Some(e.code()),
        _ => None,
    };
    let (input_tokens, output_tokens) = usage.unwrap_or_else(|| {
        (prompt_tokens as u64, crate::chat::tokens::estimate(&content[started_with.min(content.len())..]) as u64)
    });
    Settled { status, error, provider_code, input_tokens, output_tokens }
}

/// The turn span's outcome attributes: how it ended and its token counts (never its text).
fn record_outcome(span: &tracing::Span, settled: &Settled) {
    span.record("outcome", settled.status.as_str());
    span.record("tokens.input", settled.input_tokens);
    span.record("tokens.output", settled.output_tokens);
    if let Some(code) = settled.provider_code {
        span.record("provider.error", code);
    }
}

/// The tenant's plugins see (and may rewrite or refuse) the request before it leaves.
async fn transform_request(
    chain: Option<&crate::plugins::RequestChain>,
    request: ChatRequest,
    runs: &mut Vec<crate::plugins::Run>,
) -> Result<ChatRequest, MessageError> {
    let Some(chain) = chain else { return Ok(request) };
    let verdict = chain.run(request).await;
    runs.extend(verdict.runs);
    match verdict.decision {
        crate::plugins::RequestDecision::Send(request) => Ok(request),
        crate::plugins::RequestDecision::Stop(stop) => Err(stopped_by_plugin(stop)),
    }
}

/// A completed answer passes the tenant's answer transforms before it is kept.
async fn transform_answer(
    chain: &crate::plugins::RequestChain,
    content: &mut String,
    runs: &mut Vec<crate::plugins::Run>,
) -> Result<(), MessageError> {
    if !chain.has_response_hooks() {
        return Ok(());
    }
    let verdict = chain.run_response(content).await;
    runs.extend(verdict.runs);
    match verdict.decision {
        crate::plugins::AnswerDecision::Keep => Ok(()),
        crate::plugins::AnswerDecision::Replace(text) => {
            *content = text;
            Ok(())
        }
        crate::plugins::AnswerDecision::Withhold(stop) => {
            content.clear();
            Err(stopped_by_plugin(stop))
        }
    }
}

fn provider_error(e: &ProviderError) -> MessageError {
    MessageError { code: e.code().into(), message: e.to_string(), retry_after_secs: e.retry_after().map(|s| s as i64) }
}

fn stopped_by_plugin(stop: crate::plugins::Stop) -> MessageError {
    MessageError { code: stop.reason.code().into(), message: stop.message, retry_after_secs: None }
}

/// How often, at most, a live answer's new text is written to its Redis stream.
const FANOUT_INTERVAL: Duration = Duration::from_millis(20);

/// Copies a live turn's text to its Redis stream as it grows, coalescing whatever arrived during
/// the previous write and `FANOUT_INTERVAL`, then marks the stream final. Redis being away never slows
/// the turn: this task only falls behind and catches up (other replicas' readers meanwhile take
/// the text from the database).
async fn publish(
    cluster: Arc<crate::cluster::Cluster>,
    metrics: Arc<crate::metrics::Metrics>,
    id: MessageId,
    live: Arc<Live>,
    mut published: usize,
) {
    use crate::cluster::streams;
    let mut failures = 0u32;
    let _ = streams::claim(&cluster, id).await;
    let mut renewed = std::time::Instant::now();
    loop {
        if renewed.elapsed() >= streams::LEASE / 3 {
            let _ = streams::claim(&cluster, id).await;
            renewed = std::time::Instant::now();
        }
        let notified = live.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (text, finished) = {
            let state = live.lock();
            let text = state.content.get(published..).filter(|t| !t.is_empty()).map(str::to_string);
            (text, state.finished.is_some())
        };
        let result = match (&text, finished) {
            (Some(text), _) => {
                let sent = std::time::Instant::now();
                let appended = streams::append(&cluster, id, published, text).await;
                metrics.redis_latency("stream_append", sent.elapsed());
                appended
            }
            (None, true) => streams::finish(&cluster, id).await,
            (None, false) => {
                let _ = tokio::time::timeout(streams::LEASE / 3, notified).await;
                continue;
            }
        };
        match result {
            Ok(()) => {
                failures = 0;
                match text {
                    Some(text) => {
                        published += text.len();
                        // At most one write per interval and answer, whatever the token rate.
                        tokio::time::sleep(FANOUT_INTERVAL).await;
                    }
                    None => {
                        let _ = streams::release(&cluster, id).await;
                        return;
                    }
                }
            }
            Err(e) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(error = %e, message = %id, "cannot fan out an answer through redis; retrying");
                }
                // A finished answer whose end cannot be announced is read from the database.
                if finished && failures > 20 {
                    let _ = streams::release(&cluster, id).await;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

struct Reader {
    engine: Arc<Engine>,
    tenant: TenantId,
    id: MessageId,
    offset: usize,
    done: bool,
    last: Message,
    /// Events decided but not yet returned.
    pending: std::collections::VecDeque<ChatEvent>,
    /// The answer's Redis stream, when it is generated on another replica.
    remote: Option<crate::cluster::streams::StreamReader>,
    /// The turn, while it runs (or lingers) on this replica.
    live: Option<Arc<Live>>,
    /// No live delta before this (`chat.delta_interval_ms` after the previous one).
    held_until: Option<tokio::time::Instant>,
}

impl Reader {
    fn delta_from(&mut self, content: &str) -> Option<ChatEvent> {
        if content.len() > self.offset && content.is_char_boundary(self.offset) {
            let event = ChatEvent::Delta {
                message_id: self.id,
                content: content[self.offset..].to_string(),
                offset: content.len(),
            };
            self.offset = content.len();
            Some(event)
        } else {
            None
        }
    }

    /// Queues a delta, merged into the one before it when they follow each other.
    fn push_delta(&mut self, text: &str, end: usize) {
        if let Some(ChatEvent::Delta { content, offset, .. }) = self.pending.back_mut() {
            content.push_str(text);
            *offset = end;
        } else {
            self.pending.push_back(ChatEvent::Delta { message_id: self.id, content: text.to_string(), offset: end });
        }
        self.offset = end;
    }

    /// Reads the message from the store: queues any text past our offset, and its end when it
    /// is final. True when it is final.
    async fn read_store(&mut self) -> bool {
        match store::messages::get(&self.engine.store, self.tenant, self.id).await {
            Ok(Some(m)) => {
                if let Some(delta) = self.delta_from(&m.content) {
                    self.pending.push_back(delta);
                }
                let terminal = m.status.is_terminal();
                if terminal {
                    self.pending.push_back(ChatEvent::Finished(Arc::new(m.clone())));
                }
                self.last = m;
                terminal
            }
            Ok(None) => {
                // Deleted while being read: end with what we know.
                self.pending.push_back(ChatEvent::Finished(Arc::new(Message {
                    status: MessageStatus::Cancelled,
                    ..self.last.clone()
                })));
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a message to stream it; retrying");
                false
            }
        }
    }

    /// Follows the answer's Redis stream (it is being generated on another replica). False
    /// when Redis cannot be used right now.
    async fn follow_redis(&mut self) -> bool {
        use crate::cluster::streams::{Entry, StreamReader};
        let Some(shared) = self.engine.shared.clone() else { return false };
        if self.remote.is_none() {
            match StreamReader::open(&shared.cluster, self.id).await {
                Ok(reader) => self.remote = Some(reader),
                Err(_) => return false,
            }
        }
        let Some(reader) = self.remote.as_mut() else { return false };
        let entries = match reader.next().await {
            Ok(entries) => entries,
            Err(e) => {
                tracing::debug!(error = %e, "lost the redis stream of an answer; reading the database");
                self.remote = None;
                return false;
            }
        };
        if entries.is_empty() {
            // Quiet for a while: the answer may have ended where no final mark could be sent.
            self.read_store().await;
            return true;
        }
        for entry in entries {
            match entry {
                Entry::Text { start, text } => {
                    if start > self.offset {
                        // Trimmed from the stream: the database has it (it is flushed often).
                        for _ in 0..40 {
                            self.read_store().await;
                            if self.offset >= start || self.pending.iter().any(|e| matches!(e, ChatEvent::Finished(_)))
                            {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                        if self.pending.iter().any(|e| matches!(e, ChatEvent::Finished(_))) {
                            return true;
                        }
                    }
                    let end = start + text.len();
                    if end > self.offset && self.offset >= start && text.is_char_boundary(self.offset - start) {
                        let rest = text[self.offset - start..].to_string();
                        self.push_delta(&rest, end);
                    }
                }
                Entry::Final => {
                    // The final message (answer transforms may have changed its text) is stored.
                    self.read_store().await;
                    return true;
                }
            }
        }
        true
    }

    async fn next_event(&mut self) -> ChatEvent {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return event;
            }
            // Found once, kept: no registry lookup per event (a finished turn keeps its end).
            if self.live.is_none() {
                self.live = self.engine.live(self.id);
            }
            if let Some(live) = self.live.clone() {
                // Deltas after the first are spaced by `chat.delta_interval_ms`: the text that
                // arrives meanwhile goes out in one event, at once when the turn ends.
                if let Some(until) = self.held_until.take() {
                    let ended = live.ended.notified();
                    tokio::pin!(ended);
                    ended.as_mut().enable();
                    if live.lock().finished.is_none() {
                        tokio::select! {
                            _ = tokio::time::sleep_until(until) => {}
                            _ = ended => {}
                        }
                    }
                }
                let notified = live.notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let (delta, finished) = {
                    let state = live.lock();
                    let delta = self.delta_from(&state.content);
                    (delta, state.finished.clone())
                };
                if let Some(delta) = delta {
                    let interval = self.engine.config.delta_interval_ms;
                    if interval > 0 && finished.is_none() {
                        self.held_until = Some(tokio::time::Instant::now() + Duration::from_millis(interval));
                    }
                    return delta;
                }
                if let Some(finished) = finished {
                    return ChatEvent::Finished(finished);
                }
                notified.await;
                continue;
            }
            // The reads below are boxed: a reader waits on a live answer nearly all its life,
            // and a future is as large as its largest state (3.2 KiB per open stream with them
            // inline, 0.9 KiB boxed, in a release build).
            // Not running here. Once: the store may already have the end.
            if self.remote.is_none() && Box::pin(self.read_store()).await {
                continue;
            }
            if !self.pending.is_empty() {
                continue;
            }
            // Running on another replica: its Redis stream has the live text.
            if Box::pin(self.follow_redis()).await {
                continue;
            }
            // No Redis (embedded tier, or an outage): the store has the truth, a little behind.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

//! Conversations and durable streamed turns: send, reattach, cancel, regenerate, continue, edit,
//! branches, idempotency and the per-turn limits. Handlers call `ChatService`: its conversation
//! half is in `conversations`, its turn pipeline (plan, write, start, replay) in `turns`; the
//! engine runs the turns.

pub mod bpe;
mod choices;
pub mod completions;
pub mod context;
mod conversations;
pub mod drain;
pub mod engine;
pub mod private;
pub mod telemetry;
pub(crate) mod tokens;
mod turns;

pub use choices::{ChoiceOption, ChoiceTurn, MAX_CHOICES, MIN_CHOICES, Position, Positions};
pub use conversations::{DEFAULT_TITLE, ImportedMessage, MAX_IMPORTED_MESSAGES};

use crate::config::ChatConfig;
use crate::domain::{ConversationId, MessageId, PresetId};
use crate::error::{AppError, AppResult};
use crate::limits::RateLimiter;
use crate::presets::PresetService;
use crate::providers::Catalogue;
use crate::store::Store;
use crate::store::messages::Message;
use crate::usage::UsageService;
use engine::Engine;
use std::sync::Arc;

/// The messages a send (or regenerate, continue, edit) created — or, on an idempotent replay,
/// created the first time.
#[derive(Debug, Clone)]
pub struct Turn {
    pub conversation_id: ConversationId,
    pub user_message: Option<Message>,
    pub assistant_message: Message,
    pub replayed: bool,
    /// A send (or regenerate) with choices: every answer, in choice order (the first is
    /// `assistant_message`).
    pub choices: Option<ChoiceTurn>,
}

/// A new user message: its text, the model to answer with, and where in the tree it goes.
pub struct Draft<'a> {
    pub content: &'a str,
    pub model: Option<&'a str>,
    /// The message it follows; the active branch's leaf when `None`.
    pub parent: Option<MessageId>,
    /// The caller's files it carries, in order.
    pub files: &'a [crate::domain::FileId],
}

/// A conversation's preset: one of the tenant's or the user's presets, or a plugin's.
pub enum PresetChoice {
    Preset(PresetId),
    Plugin { plugin: String, preset: String },
}

/// The client's idempotency key for one request.
pub struct Idempotency<'a> {
    pub key: &'a str,
}

impl Idempotency<'_> {
    pub fn parse(raw: Option<&str>) -> AppResult<Idempotency<'_>> {
        let key = raw.ok_or(AppError::Validation {
            field: "Idempotency-Key",
            reason: "header is required: send a unique value per user action (e.g. a UUID) and reuse it on retries"
                .into(),
        })?;
        if key.is_empty() || key.len() > 255 || key.chars().any(|c| c.is_control()) {
            return Err(AppError::Validation {
                field: "Idempotency-Key",
                reason: "must be 1–255 printable characters".into(),
            });
        }
        Ok(Idempotency { key })
    }
}

pub struct ChatService {
    store: Store,
    config: ChatConfig,
    catalogue: Arc<Catalogue>,
    engine: Arc<Engine>,
    limiter: Arc<dyn RateLimiter>,
    presets: Arc<PresetService>,
    usage: Arc<UsageService>,
    plugins: Arc<crate::plugins::PluginService>,
    private: Arc<private::PrivateRelay>,
    files: Arc<crate::files::FileService>,
}

/// The services a turn consults besides the store.
pub struct Collaborators {
    pub catalogue: Arc<Catalogue>,
    pub limiter: Arc<dyn RateLimiter>,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub presets: Arc<PresetService>,
    pub usage: Arc<UsageService>,
    pub plugins: Arc<crate::plugins::PluginService>,
    pub files: Arc<crate::files::FileService>,
    /// The scale-out tier (Redis), when this is one of several replicas.
    pub shared: Option<engine::Shared>,
}

impl ChatService {
    pub fn new(store: Store, config: ChatConfig, with: Collaborators) -> Self {
        let Collaborators { catalogue, limiter, metrics, presets, usage, plugins, files, shared } = with;
        let engine = Arc::new(Engine::new(store.clone(), config.clone(), metrics, usage.ledger().clone(), shared));
        tokio::spawn(engine.clone().flusher());
        let private = Arc::new(private::PrivateRelay::default());
        Self { store, config, catalogue, engine, limiter, presets, usage, plugins, private, files }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.catalogue
    }

    pub fn files(&self) -> &Arc<crate::files::FileService> {
        &self.files
    }
}

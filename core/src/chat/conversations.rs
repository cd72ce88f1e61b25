//! The conversation half of `ChatService`: create, list, read, rename, archive, delete, switch
//! preset, pick the active branch.

use super::{ChatService, PresetChoice};
use crate::domain::{ConversationId, MessageId, MessageRole, MessageStatus, TenantScope};
use crate::error::{AppError, AppResult};
use crate::store::conversations::Conversation;
use crate::store::messages::Message;
use crate::store::{self};

pub const DEFAULT_TITLE: &str = "New chat";

impl ChatService {
    /// Starts a conversation, pinned to the current version of a preset when one is given.
    pub async fn create_conversation(
        &self,
        scope: &TenantScope,
        title: Option<&str>,
        preset: Option<PresetChoice>,
    ) -> AppResult<Conversation> {
        let title = match title {
            Some(t) => crate::domain::display_name("title", t, 200)?,
            None => DEFAULT_TITLE.to_string(),
        };
        let (version, plugin) = self.pin(scope, preset).await?;
        let plugin = plugin.as_ref().map(|(v, id)| (*v, id.as_str()));
        store::conversations::insert(self.store.conn(), scope.tenant, scope.user, &title, version, plugin).await
    }

    async fn pin(
        &self,
        scope: &TenantScope,
        preset: Option<PresetChoice>,
    ) -> AppResult<(Option<crate::domain::PresetVersionId>, Option<(uuid::Uuid, String)>)> {
        Ok(match preset {
            None => (None, None),
            Some(PresetChoice::Preset(id)) => (Some(self.presets.pin(scope, id).await?.id), None),
            Some(PresetChoice::Plugin { plugin, preset }) => {
                let version = self.plugins.pin_preset(scope.tenant, scope.user, &plugin, &preset).await?;
                (None, Some((version, preset)))
            }
        })
    }

    /// Switches the conversation to the current version of another preset (or to none). The
    /// only way a conversation's preset changes.
    pub async fn switch_preset(
        &self,
        scope: &TenantScope,
        id: ConversationId,
        preset: Option<PresetChoice>,
    ) -> AppResult<Conversation> {
        let (version, plugin) = self.pin(scope, preset).await?;
        let plugin = plugin.as_ref().map(|(v, id)| (*v, id.as_str()));
        store::conversations::set_preset_version(self.store.conn(), scope.tenant, scope.user, id, version, plugin)
            .await?;
        self.owned_conversation(&self.store, scope, id).await
    }

    /// The preset version a conversation is pinned to, if the caller may see it.
    pub async fn pinned_preset(
        &self,
        scope: &TenantScope,
        conversation: &Conversation,
    ) -> AppResult<Option<crate::store::presets::PresetVersion>> {
        match conversation.preset_version_id {
            Some(v) => self.presets.version_by_id(scope, v).await,
            None => Ok(None),
        }
    }

    pub async fn conversations(
        &self,
        scope: &TenantScope,
        archived: bool,
        before: Option<ConversationId>,
        limit: u64,
    ) -> AppResult<Vec<Conversation>> {
        store::conversations::list(self.store.conn(), scope.tenant, scope.user, archived, before, limit).await
    }

    pub async fn conversation(
        &self,
        scope: &TenantScope,
        id: ConversationId,
    ) -> AppResult<(Conversation, Vec<Message>)> {
        let conversation = self.owned_conversation(&self.store, scope, id).await?;
        let messages = store::messages::of_conversation(&self.store, scope.tenant, id).await?;
        Ok((conversation, messages))
    }

    pub(super) async fn owned_conversation(
        &self,
        conn: &impl store::Read,
        scope: &TenantScope,
        id: ConversationId,
    ) -> AppResult<Conversation> {
        store::conversations::get(conn, scope.tenant, scope.user, id).await?.ok_or(AppError::NotFound("conversation"))
    }

    pub async fn update_conversation(
        &self,
        scope: &TenantScope,
        id: ConversationId,
        title: Option<&str>,
        archived: Option<bool>,
    ) -> AppResult<Conversation> {
        let title = title.map(|t| crate::domain::display_name("title", t, 200)).transpose()?;
        store::conversations::update(self.store.conn(), scope.tenant, scope.user, id, title.as_deref(), archived)
            .await?;
        self.owned_conversation(&self.store, scope, id).await
    }

    pub async fn delete_conversation(&self, scope: &TenantScope, id: ConversationId) -> AppResult<()> {
        let (_, messages) = self.conversation(scope, id).await?;
        for m in messages.iter().filter(|m| !m.status.is_terminal()) {
            self.engine.cancel(m.id);
        }
        // A soft delete: hidden from the owner everywhere at once; the purge removes it after the
        // tenant's grace period, unless a legal hold keeps it.
        let txn = self.store.begin().await?;
        store::conversations::soft_delete(&*txn, scope.tenant, scope.user, id).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Makes the branch ending at `leaf` the one the conversation shows and continues.
    pub async fn set_active_branch(&self, scope: &TenantScope, id: ConversationId, leaf: MessageId) -> AppResult<()> {
        let txn = self.store.begin().await?;
        self.owned_conversation(&*txn, scope, id).await?;
        let message = store::messages::get(&*txn, scope.tenant, leaf).await?;
        if message.is_none_or(|m| m.conversation_id != id) {
            return Err(AppError::Validation {
                field: "message_id",
                reason: "is not a message of this conversation".into(),
            });
        }
        store::conversations::set_active_leaf(&*txn, scope.tenant, id, leaf).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn message(&self, scope: &TenantScope, id: MessageId) -> AppResult<Message> {
        store::messages::get_owned(&self.store, scope.tenant, scope.user, id)
            .await?
            .ok_or(AppError::NotFound("message"))
    }
}

/// A title from the first message of a new conversation.
/// One message of a conversation brought in from the user's browser.
#[derive(Debug, Clone)]
pub struct ImportedMessage {
    pub role: MessageRole,
    pub content: String,
    /// `completed`, or `partial` for an answer that stopped early (it can be continued).
    pub status: MessageStatus,
    pub model: Option<String>,
}

/// The most messages one import may carry.
pub const MAX_IMPORTED_MESSAGES: usize = 1000;

impl ChatService {
    /// Saves a conversation the user kept in their browser (private mode) as a normal one of
    /// theirs: the messages on one branch, in order, searchable like any other. An explicit
    /// user action; audited with counts only.
    ///
    /// With an idempotency key, a retry with the same key and content answers the conversation
    /// the first call saved instead of saving a copy (the same key with other content is
    /// `IdempotencyMismatch`); the key is kept `chat.idempotency_hours`.
    pub async fn import_conversation(
        &self,
        scope: &TenantScope,
        actor: &crate::audit::Actor,
        idem: Option<super::Idempotency<'_>>,
        title: Option<&str>,
        messages: Vec<ImportedMessage>,
    ) -> AppResult<ConversationId> {
        let invalid = |reason: String| AppError::Validation { field: "messages", reason };
        if messages.is_empty() || messages.len() > MAX_IMPORTED_MESSAGES {
            return Err(invalid(format!("must hold 1 to {MAX_IMPORTED_MESSAGES} messages")));
        }
        for (i, m) in messages.iter().enumerate() {
            if m.content.trim().is_empty() {
                return Err(invalid(format!("message {i} is empty")));
            }
            // Answers may be longer than a question may; both are bounded.
            let max = match m.role {
                MessageRole::User => self.config.max_message_chars,
                _ => self.config.max_message_chars.saturating_mul(4),
            };
            if m.content.chars().count() > max {
                return Err(invalid(format!("message {i} is longer than {max} characters")));
            }
            if m.role == MessageRole::System {
                return Err(invalid(format!("message {i}: only user and assistant messages can be saved")));
            }
            if !matches!(m.status, MessageStatus::Completed | MessageStatus::Partial)
                || m.status == MessageStatus::Partial && m.role != MessageRole::Assistant
            {
                return Err(invalid(format!("message {i}: status must be completed, or partial for an answer")));
            }
            if m.model.as_deref().is_some_and(|s| s.chars().count() > 200) {
                return Err(invalid(format!("message {i}: model must be at most 200 characters")));
            }
        }
        let title = match title {
            Some(t) => crate::domain::display_name("title", t, 200)?,
            None => match messages.iter().find(|m| m.role == MessageRole::User).map(|m| title_from(&m.content)) {
                Some(t) if !t.is_empty() => t,
                _ => DEFAULT_TITLE.to_string(),
            },
        };
        let fingerprint = import_fingerprint(&title, &messages);
        let claim_scope = idem.as_ref().map(|i| store::idempotency::Scope {
            tenant: scope.tenant,
            user: scope.user,
            route: "import",
            key: i.key,
        });
        for attempt in 0..2 {
            match self.import_once(scope, actor, claim_scope.as_ref(), &fingerprint, &title, &messages).await {
                // A concurrent call with the same key committed first: answer what it saved.
                Err(AppError::Conflict(_)) if attempt == 0 && claim_scope.is_some() => continue,
                other => return other,
            }
        }
        Err(AppError::Internal("import: the idempotency claim kept conflicting".into()))
    }

    async fn import_once(
        &self,
        scope: &TenantScope,
        actor: &crate::audit::Actor,
        claim_scope: Option<&store::idempotency::Scope<'_>>,
        fingerprint: &str,
        title: &str,
        messages: &[ImportedMessage],
    ) -> AppResult<ConversationId> {
        let txn = self.store.begin().await?;
        if let Some(claim_scope) = claim_scope
            && let Some(claim) = store::idempotency::find(&*txn, claim_scope).await?
        {
            if claim.fingerprint != fingerprint {
                return Err(AppError::IdempotencyMismatch);
            }
            let saved = store::messages::get(&*txn, scope.tenant, claim.assistant_message_id)
                .await?
                .ok_or(AppError::NotFound("conversation"))?;
            return Ok(saved.conversation_id);
        }
        let conversation = store::conversations::insert(&*txn, scope.tenant, scope.user, title, None, None).await?;
        let mut first = None;
        let mut parent = None;
        for m in messages {
            let written = store::messages::insert(
                &*txn,
                store::messages::NewMessage {
                    id: MessageId::new(),
                    tenant_id: scope.tenant,
                    conversation_id: conversation.id,
                    parent_id: parent,
                    role: m.role,
                    status: m.status,
                    content: &m.content,
                    model: m.model.as_deref(),
                    model_config: None,
                },
            )
            .await?;
            first.get_or_insert(written.id);
            parent = Some(written.id);
        }
        if let Some(leaf) = parent {
            store::conversations::set_active_leaf(&*txn, scope.tenant, conversation.id, leaf).await?;
            if let Some(claim_scope) = claim_scope {
                let claim = store::idempotency::Claim {
                    fingerprint: fingerprint.to_string(),
                    user_message_id: first,
                    // The saved conversation's last message: a replay finds the conversation by it.
                    assistant_message_id: leaf,
                };
                let expires = store::now() + chrono::Duration::hours(self.config.idempotency_hours as i64);
                store::idempotency::insert(&*txn, claim_scope, &claim, expires).await?;
            }
        }
        crate::audit::record(
            &*txn,
            crate::audit::NewEntry::new(Some(scope.tenant), actor, crate::audit::action::CONVERSATION_IMPORTED)
                .target("conversation", conversation.id.0)
                .details(serde_json::json!({ "messages": messages.len(), "source": "private" })),
        )
        .await?;
        txn.commit().await?;
        Ok(conversation.id)
    }
}

/// What an import's idempotency key stands for: the title and every message as sent.
fn import_fingerprint(title: &str, messages: &[ImportedMessage]) -> String {
    use sha2::{Digest, Sha256};
    let messages: Vec<_> =
        messages.iter().map(|m| serde_json::json!([m.role.as_str(), m.content, m.status.as_str(), m.model])).collect();
    let canonical = serde_json::json!(["import", title, messages]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

pub(super) fn title_from(content: &str) -> String {
    content.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(60).collect()
}

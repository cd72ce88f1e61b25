//! Warming a PostgreSQL pool before it serves.
//!
//! A new PostgreSQL connection is a new server process with empty caches: the first time it runs a
//! turn's statements it loads the catalog entries of every table, index, constraint and trigger
//! they touch, compiles the search triggers' PL/pgSQL, plans each statement, and sqlx prepares
//! each one. That first time costs about 10 ms of the database machine's CPU per connection
//! (measured: a fresh connection's first send-shaped statement against a warm one's 0.3 ms), and a
//! burst of turns right after a start paid it on every connection at once, in its users' time to
//! first token. [`Store::warm_up`] runs a turn's statements once on every connection of the pool
//! before the server listens, each connection in a transaction of its own that is rolled back, so
//! nothing of it is ever committed.

use super::{PoolSize, Store, conversations, exchange, idempotency, messages, tenants, usage, users};
use crate::domain::{Email, MessageId, MessageRole, MessageStatus, TenantSlug};
use crate::error::{AppError, AppResult};
use sea_orm::{DatabaseTransaction, DbBackend, TransactionTrait};

impl Store {
    /// On PostgreSQL, for a server's pool (`PoolSize::Kept`), runs a turn's statements once on
    /// each of its connections (each in a transaction rolled back: nothing is written), so that
    /// the first turns after a start do not pay for new connections' empty caches. Returns how
    /// many connections were warmed; the ones that failed are only logged (they warm up on their
    /// first real use instead). Nothing to do on SQLite, whose connections are threads of this
    /// process, nor for a command's pool.
    pub async fn warm_up(&self) -> usize {
        let PoolSize::Kept(connections) = self.size else { return 0 };
        if self.backend() != DbBackend::Postgres {
            return 0;
        }
        // Every transaction holds its connection until it is rolled back, so `connections` of them
        // at once take every connection of the pool.
        let warmed = futures::future::join_all((0..connections).map(|_| async {
            let txn = self.conn().begin().await?;
            let ran = turn(&txn).await;
            txn.rollback().await?;
            ran
        }))
        .await;
        let failed: Vec<String> = warmed.iter().filter_map(|r| r.as_ref().err().map(ToString::to_string)).collect();
        if let Some(first) = failed.first() {
            tracing::warn!(failed = failed.len(), error = %first, "could not warm every database connection");
        }
        warmed.len() - failed.len()
    }
}

/// A send and its answer's end, as a turn writes and reads them, for a tenant of its own.
async fn turn(txn: &DatabaseTransaction) -> AppResult<()> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let slug = TenantSlug::parse(&format!("warm-up-{}", &id[..12]))
        .map_err(|e| AppError::Internal(format!("warm-up tenant: {e:?}")))?;
    let email = Email::parse(&format!("warm-up-{id}@confab.invalid"))
        .map_err(|e| AppError::Internal(format!("warm-up user: {e:?}")))?;
    let tenant = tenants::insert(txn, &slug, "Warm-up").await?;
    let user = users::insert(txn, &email, "Warm-up", "!", false).await?;
    let conversation = conversations::insert(txn, tenant.id, user.id, "Warm-up", None, None).await?;
    let claim = idempotency::Scope { tenant: tenant.id, user: user.id, route: "send", key: &id };
    idempotency::find(txn, &claim).await?;
    conversations::get(txn, tenant.id, user.id, conversation.id).await?;
    messages::of_conversation(txn, tenant.id, conversation.id).await?;
    usage::quotas(txn, tenant.id).await?;
    let message = |id, parent, role, status, content| messages::NewMessage {
        id,
        tenant_id: tenant.id,
        conversation_id: conversation.id,
        parent_id: parent,
        role,
        status,
        content,
        model: Some("warm-up"),
        model_config: None,
    };
    let (question, answer) = (MessageId::new(), MessageId::new());
    exchange::commit(
        txn,
        exchange::Exchange {
            conversation: conversation.id,
            title: Some("Warm-up"),
            question: message(question, None, MessageRole::User, MessageStatus::Completed, "warm-up question"),
            answer: message(answer, Some(question), MessageRole::Assistant, MessageStatus::Queued, ""),
            claim,
            fingerprint: "warm-up",
            expires_at: super::now(),
        },
    )
    .await?;
    messages::get(txn, tenant.id, answer).await?;
    messages::flush_contents(txn, &[(tenant.id, answer, messages::Flush::Whole("warm-up"))]).await?;
    let finish = messages::Finish {
        status: MessageStatus::Completed,
        content: "warm-up answer",
        error: None,
        input_tokens: Some(1),
        output_tokens: Some(1),
        plugin_runs: None,
    };
    let spent = usage::NewUsage {
        tenant: tenant.id,
        user: user.id,
        conversation: conversation.id,
        message: answer,
        model: "warm-up",
        input_tokens: 1,
        output_tokens: 1,
        cost: 0.0,
        outcome: MessageStatus::Completed.as_str(),
        day: "1970-01-01",
        month: "1970-01",
        ttft_ms: None,
    };
    exchange::finish(txn, finish, spent).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use crate::store::test_pg::{drop_database, postgres};
    use sea_orm::ConnectionTrait;

    const TABLES: [&str; 9] = [
        "tenants",
        "users",
        "conversations",
        "messages",
        "idempotency_keys",
        "usage_events",
        "search_docs",
        "search_outbox",
        "audit_log",
    ];

    /// Every connection of the pool runs the whole turn, and none of it is left in the database.
    #[tokio::test]
    async fn warming_the_pool_runs_a_turn_on_each_connection_and_writes_nothing() {
        let (admin, name, store) = postgres().await;
        let counts = || async {
            let mut counts = Vec::new();
            for table in TABLES {
                let sql = format!("SELECT count(*) AS n FROM {table}");
                let row = store.conn().query_one_raw(sea_orm::Statement::from_string(store.backend(), sql)).await;
                counts.push((table, row.unwrap().unwrap().try_get::<i64>("", "n").unwrap()));
            }
            counts
        };
        let before = counts().await;
        assert_eq!(store.warm_up().await, 2, "both connections of the pool ran the turn");
        assert_eq!(counts().await, before);
        drop_database(&admin, &name, store).await;
    }
}

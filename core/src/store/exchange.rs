//! A turn's writes on PostgreSQL in one statement each.
//!
//! On PostgreSQL each statement is a round trip to a database process, and a transaction adds two
//! more (`BEGIN`, `COMMIT`), each waiting for a process on a busy machine. The two writes every
//! turn makes are each one statement here, which PostgreSQL runs atomically on its own.
//!
//! **A send's commit** ([`commit`]) writes the conversation's new leaf (and, for the first
//! message, its title), the question and its queued answer, and the idempotency claim: five round
//! trips as a transaction, one statement of data-modifying CTEs here:
//!
//! 1. `leaf` updates the conversation, only if it is still the caller's and not deleted (the row
//!    stays locked until the statement ends, so a concurrent delete waits for it);
//! 2. `claim` takes the key, for that conversation only (`FROM leaf`): a new row, or an expired
//!    claim taken over; a live claim (a duplicate that committed first) returns no row;
//! 3. `written` inserts the two messages, again `FROM leaf`, their tenant taken from what `claim`
//!    returned: without a claim that is NULL, and the statement fails on the column's NOT NULL
//!    constraint, undoing the leaf's update with it.
//!
//! So: a conversation gone writes nothing and reads back `leaf = 0` (not found); a live claim fails
//! the statement with a not-null violation on `messages.tenant_id` ([`CLAIM_IN_USE`]); otherwise
//! all three are committed.
//!
//! **A turn's end** ([`finish`]) writes the answer's final text, state, error and token counts,
//! and the turn's usage event: four round trips as a transaction, one statement here (the
//! message's update as a CTE of the usage event's insert; PostgreSQL runs a data-modifying CTE
//! whether or not the statement reads it).
//!
//! SQLite keeps the general path for both: its writer commits a whole group of writes at a time,
//! on its own thread, without round trips.

use super::entities::message;
use super::messages::{Finish, Message, NewMessage};
use super::usage::NewUsage;
use crate::domain::ConversationId;
use crate::error::{AppError, AppResult};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// The error of a send whose idempotency key a duplicate holds.
pub const CLAIM_IN_USE: &str = "this idempotency key is in use";

/// What a send commits: the conversation's new leaf and title, the two messages, the claim (whose
/// user owns the conversation).
pub struct Exchange<'a> {
    pub conversation: ConversationId,
    pub title: Option<&'a str>,
    pub question: NewMessage<'a>,
    pub answer: NewMessage<'a>,
    pub claim: super::idempotency::Scope<'a>,
    pub fingerprint: &'a str,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

const SQL: &str = r#"WITH leaf AS (
    UPDATE conversations SET active_leaf_id = $1, updated_at = $2, title = COALESCE($3, title)
     WHERE id = $4 AND tenant_id = $5 AND owner_id = $6 AND deleted_at IS NULL
     RETURNING id
), claim AS (
    INSERT INTO idempotency_keys
      (id, tenant_id, user_id, route, "key", fingerprint, user_message_id, assistant_message_id, created_at,
       expires_at)
    SELECT $7, $5, $6, $8, $9, $10, $11, $1, $2, $12 FROM leaf
    ON CONFLICT (tenant_id, user_id, route, "key") DO UPDATE SET
      fingerprint = excluded.fingerprint, user_message_id = excluded.user_message_id,
      assistant_message_id = excluded.assistant_message_id, created_at = excluded.created_at,
      expires_at = excluded.expires_at
    WHERE idempotency_keys.expires_at <= $2
    RETURNING tenant_id
), written AS (
    INSERT INTO messages
      (id, tenant_id, conversation_id, parent_id, role, status, content, model, model_config, created_at, updated_at)
    SELECT m.id, (SELECT tenant_id FROM claim), leaf.id, m.parent_id, m.role, m.status, m.content, m.model,
           m.model_config, $2, $2
      FROM leaf, (VALUES ($11::uuid, $13::uuid, $14::text, $15::text, $16::text, $17::text, $18::text),
                         ($1::uuid, $19::uuid, $20::text, $21::text, $22::text, $23::text, $24::text))
                 AS m (id, parent_id, role, status, content, model, model_config)
    RETURNING id
)
SELECT (SELECT count(*) FROM leaf) AS leaf, (SELECT count(*) FROM written) AS written"#;

/// Commits `exchange` in one statement (PostgreSQL only) and returns the question and the answer
/// as written.
pub async fn commit(conn: &impl ConnectionTrait, exchange: Exchange<'_>) -> AppResult<[Message; 2]> {
    use sea_orm::TryIntoModel;
    let Exchange { conversation, title, question, answer, claim, fingerprint, expires_at } = exchange;
    let at = super::now();
    // The rows as `messages::insert_all` makes them, so the values bound and the messages
    // returned are the ones written.
    let question = super::messages::new_row(question, at).try_into_model()?;
    let answer = super::messages::new_row(answer, at).try_into_model()?;
    let message = |m: &message::Model| -> [Value; 6] {
        [
            m.parent_id.into(),
            m.role.clone().into(),
            m.status.clone().into(),
            m.content.clone().into(),
            m.model.clone().into(),
            m.model_config.clone().into(),
        ]
    };
    let mut values: Vec<Value> = vec![
        answer.id.into(),
        at.into(),
        title.map(str::to_string).into(),
        conversation.0.into(),
        claim.tenant.0.into(),
        claim.user.0.into(),
        uuid::Uuid::now_v7().into(),
        claim.route.into(),
        claim.key.into(),
        fingerprint.into(),
        question.id.into(),
        expires_at.into(),
    ];
    values.extend(message(&question));
    values.extend(message(&answer));
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, SQL, values))
        .await
        .map_err(|e| if is_claim_guard(&e) { AppError::Conflict(CLAIM_IN_USE.into()) } else { AppError::from(e) })?
        .ok_or_else(|| AppError::Internal("a send's commit returned no row".into()))?;
    let (leaf, written): (i64, i64) = (row.try_get("", "leaf")?, row.try_get("", "written")?);
    match (leaf, written) {
        (0, _) => Err(AppError::NotFound("conversation")),
        (1, 2) => Ok([question.into(), answer.into()]),
        other => Err(AppError::Internal(format!("a send's commit wrote {other:?} (leaf, messages)"))),
    }
}

const FINISH_SQL: &str = r#"WITH finished AS (
    UPDATE messages SET content = $1, status = $2, error_code = $3, error_message = $4, retry_after_secs = $5,
           input_tokens = $6, output_tokens = $7, plugin_runs = $8, updated_at = $9
     WHERE id = $10 AND tenant_id = $11
)
INSERT INTO usage_events
  (id, tenant_id, user_id, conversation_id, message_id, model, input_tokens, output_tokens, cost, outcome, day, month,
   created_at, ttft_ms)
VALUES ($12, $11, $13, $14, $10, $15, $16, $17, $18, $19, $20, $21, $9, $22)"#;

/// Writes the end of a turn (as `messages::finish`, to the message `usage` names) and its usage
/// event (as `usage::record`) in one statement (PostgreSQL only): both land, or neither.
pub async fn finish(conn: &impl ConnectionTrait, f: Finish<'_>, usage: NewUsage<'_>) -> AppResult<()> {
    let at = super::now();
    let values: Vec<Value> = vec![
        f.content.into(),
        f.status.as_str().into(),
        f.error.map(|e| e.code.clone()).into(),
        f.error.map(|e| e.message.clone()).into(),
        f.error.and_then(|e| e.retry_after_secs).into(),
        f.input_tokens.into(),
        f.output_tokens.into(),
        f.plugin_runs.map(|r| r.to_string()).into(),
        at.into(),
        usage.message.0.into(),
        usage.tenant.0.into(),
        uuid::Uuid::now_v7().into(),
        usage.user.0.into(),
        usage.conversation.0.into(),
        usage.model.into(),
        usage.input_tokens.into(),
        usage.output_tokens.into(),
        usage.cost.into(),
        usage.outcome.into(),
        usage.day.into(),
        usage.month.into(),
        usage.ttft_ms.into(),
    ];
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, FINISH_SQL, values)).await?;
    Ok(())
}

/// Whether `e` is the statement's guard on the claim: a NULL `messages.tenant_id` (SQLSTATE 23502,
/// by code and column, not by message text, which the server's `lc_messages` may translate).
fn is_claim_guard(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let (DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e))) = e else {
        return false;
    };
    let sqlx::Error::Database(db) = e.as_ref() else { return false };
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some_and(|pg| pg.code() == "23502" && pg.table() == Some("messages") && pg.column() == Some("tenant_id"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::{Email, MessageId, MessageRole, MessageStatus, TenantId, TenantSlug, UserId};
    use crate::store::idempotency::{self, Scope};
    use crate::store::test_pg::{drop_database, postgres};
    use crate::store::{conversations, messages, tenants, users};

    /// A tenant, its user Ada and her conversation.
    async fn acme(db: &sea_orm::DatabaseConnection) -> (tenants::Tenant, users::User, conversations::Conversation) {
        let tenant = tenants::insert(db, &TenantSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let ada = users::insert(db, &Email::parse("ada@example.com").unwrap(), "Ada", "x", false).await.unwrap();
        let conv = conversations::insert(db, tenant.id, ada.id, "New conversation", None, None).await.unwrap();
        (tenant, ada, conv)
    }

    struct Send {
        question: MessageId,
        answer: MessageId,
    }

    impl Send {
        fn new() -> Self {
            Send { question: MessageId::new(), answer: MessageId::new() }
        }

        fn exchange<'a>(
            &self,
            (tenant, user, conversation): (TenantId, UserId, ConversationId),
            key: &'a str,
            title: Option<&'a str>,
            expires_at: chrono::DateTime<chrono::Utc>,
        ) -> Exchange<'a> {
            let message = |id, parent, role, status, content| NewMessage {
                id,
                tenant_id: tenant,
                conversation_id: conversation,
                parent_id: parent,
                role,
                status,
                content,
                model: Some("gpt-x"),
                model_config: None,
            };
            Exchange {
                conversation,
                title,
                question: message(self.question, None, MessageRole::User, MessageStatus::Completed, "a question"),
                answer: message(self.answer, Some(self.question), MessageRole::Assistant, MessageStatus::Queued, ""),
                claim: Scope { tenant, user, route: "send", key },
                fingerprint: "f",
                expires_at,
            }
        }
    }

    /// A send commits its leaf, title, messages and claim together; a live claim, a deleted
    /// conversation or someone else's conversation fail it and leave nothing of it; an expired
    /// claim is taken over.
    #[tokio::test]
    async fn a_send_commits_whole_or_not_at_all() {
        let (admin, name, store) = postgres().await;
        let db = store.conn();
        let (tenant, ada, conv) = acme(db).await;
        let bob = users::insert(db, &Email::parse("bob@example.com").unwrap(), "Bob", "x", false).await.unwrap();
        let ids = (tenant.id, ada.id, conv.id);
        let later = crate::store::now() + chrono::Duration::hours(1);
        let scope = |key| Scope { tenant: tenant.id, user: ada.id, route: "send", key };

        // Committed whole: the returned rows are the stored ones.
        let first = Send::new();
        let [question, answer] = commit(db, first.exchange(ids, "k1", Some("A title"), later)).await.unwrap();
        let stored = messages::of_conversation(db, tenant.id, conv.id).await.unwrap();
        assert_eq!(format!("{stored:?}"), format!("{:?}", vec![question.clone(), answer.clone()]));
        assert_eq!((answer.parent_id, answer.status), (Some(question.id), MessageStatus::Queued));
        let c = conversations::get(db, tenant.id, ada.id, conv.id).await.unwrap().unwrap();
        assert_eq!((c.active_leaf_id, c.title.as_str()), (Some(first.answer), "A title"));
        let claim = idempotency::find(db, &scope("k1")).await.unwrap().unwrap();
        assert_eq!((claim.user_message_id, claim.assistant_message_id), (Some(first.question), first.answer));

        // A live claim: a conflict, and nothing of the second send is written.
        let second = Send::new();
        let e = commit(db, second.exchange(ids, "k1", Some("Another"), later)).await.unwrap_err();
        assert!(matches!(&e, AppError::Conflict(m) if m == CLAIM_IN_USE), "{e:?}");
        let unchanged = |leaf: MessageId, n: usize| {
            let store = &store;
            async move {
                let c = conversations::get(store.conn(), tenant.id, ada.id, conv.id).await.unwrap().unwrap();
                assert_eq!((c.active_leaf_id, c.title.as_str()), (Some(leaf), "A title"));
                assert_eq!(messages::of_conversation(store.conn(), tenant.id, conv.id).await.unwrap().len(), n);
            }
        };
        unchanged(first.answer, 2).await;

        // An expired claim is taken over (no title given: the title stays).
        db.execute_unprepared("UPDATE idempotency_keys SET expires_at = now() - interval '1 hour'").await.unwrap();
        commit(db, second.exchange(ids, "k1", None, later)).await.unwrap();
        unchanged(second.answer, 4).await;
        let claim = idempotency::find(db, &scope("k1")).await.unwrap().unwrap();
        assert_eq!(claim.assistant_message_id, second.answer);

        // Someone else's conversation, then a deleted one: not found, nothing written, no claim.
        let bobs = (tenant.id, bob.id, conv.id);
        let e = commit(db, Send::new().exchange(bobs, "k2", None, later)).await.unwrap_err();
        assert!(matches!(e, AppError::NotFound("conversation")), "{e:?}");
        db.execute_unprepared("UPDATE conversations SET deleted_at = now()").await.unwrap();
        let e = commit(db, Send::new().exchange(ids, "k3", None, later)).await.unwrap_err();
        assert!(matches!(e, AppError::NotFound("conversation")), "{e:?}");
        db.execute_unprepared("UPDATE conversations SET deleted_at = NULL").await.unwrap();
        unchanged(second.answer, 4).await;
        let bobs_claim = Scope { tenant: tenant.id, user: bob.id, route: "send", key: "k2" };
        assert!(idempotency::find(db, &bobs_claim).await.unwrap().is_none());
        assert!(idempotency::find(db, &scope("k3")).await.unwrap().is_none());
        drop_database(&admin, &name, store).await;
    }

    /// A turn's end in one statement writes what `messages::finish` and `usage::record` write in a
    /// transaction, and when the usage event cannot be written the message is left as it was.
    #[tokio::test]
    async fn a_turns_end_lands_with_its_usage_or_not_at_all() {
        let (admin, name, store) = postgres().await;
        let db = store.conn();
        let (tenant, ada, conv) = acme(db).await;
        let ids = (tenant.id, ada.id, conv.id);
        let later = crate::store::now() + chrono::Duration::hours(1);
        let (one, two, three) = (Send::new(), Send::new(), Send::new());
        for (send, key) in [(&one, "k1"), (&two, "k2"), (&three, "k3")] {
            commit(db, send.exchange(ids, key, None, later)).await.unwrap();
        }
        let error = messages::MessageError {
            code: "rate_limited".into(),
            message: "slow down".into(),
            retry_after_secs: Some(7),
        };
        let runs = serde_json::json!([{ "plugin": "pii-redactor", "ms": 1 }]);
        let end = || Finish {
            status: MessageStatus::Partial,
            content: "an answer, cut short",
            error: Some(&error),
            input_tokens: Some(12),
            output_tokens: Some(5),
            plugin_runs: Some(&runs),
        };
        let usage = |message, outcome| NewUsage {
            tenant: tenant.id,
            user: ada.id,
            conversation: conv.id,
            message,
            model: "gpt-x",
            input_tokens: 12,
            output_tokens: 5,
            cost: 0.25,
            outcome,
            day: "2026-12-05",
            month: "2026-12",
            ttft_ms: Some(42),
        };

        // The same end written both ways.
        finish(db, end(), usage(one.answer, "partial")).await.unwrap();
        let txn = sea_orm::TransactionTrait::begin(db).await.unwrap();
        messages::finish(&txn, tenant.id, two.answer, end()).await.unwrap();
        crate::store::usage::record(&txn, usage(two.answer, "partial")).await.unwrap();
        txn.commit().await.unwrap();
        let message = |id| async move {
            let m = messages::get(db, tenant.id, id).await.unwrap().unwrap();
            assert!(m.updated_at > m.created_at);
            format!("{:?}", (m.status, m.content, m.error, m.input_tokens, m.output_tokens, m.plugin_runs))
        };
        assert_eq!(message(one.answer).await, message(two.answer).await);
        assert!(message(one.answer).await.contains("an answer, cut short"));
        let event = |id: MessageId| async move {
            use crate::store::entities::usage_event;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let rows =
                usage_event::Entity::find().filter(usage_event::Column::MessageId.eq(id.0)).all(db).await.unwrap();
            assert_eq!(rows.len(), 1, "one usage event for {id}");
            let e = rows.into_iter().next().unwrap();
            format!(
                "{:?}",
                (
                    e.tenant_id,
                    e.user_id,
                    e.conversation_id,
                    e.model,
                    e.input_tokens,
                    e.output_tokens,
                    e.cost,
                    e.outcome,
                    e.day,
                    e.month,
                    e.ttft_ms
                )
            )
        };
        assert_eq!(event(one.answer).await, event(two.answer).await);

        // A usage event the database refuses: the message keeps its queued state.
        db.execute_unprepared("ALTER TABLE usage_events ADD CONSTRAINT no_refused CHECK (outcome <> 'refused')")
            .await
            .unwrap();
        finish(db, end(), usage(three.answer, "refused")).await.unwrap_err();
        let m = messages::get(db, tenant.id, three.answer).await.unwrap().unwrap();
        assert_eq!((m.status, m.content.as_str(), m.input_tokens), (MessageStatus::Queued, "", None));
        drop_database(&admin, &name, store).await;
    }
}

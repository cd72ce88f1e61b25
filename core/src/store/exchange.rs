//! A send's commit on PostgreSQL in one statement.
//!
//! A send writes three things in one transaction: the conversation's new leaf (and, for the first
//! message, its title), the question and its queued answer, and the idempotency claim. On
//! PostgreSQL each statement is a round trip to a database process, so that transaction was five
//! (`BEGIN`, three statements, `COMMIT`), each waiting for a process on a busy machine. Here the
//! three are one statement of data-modifying CTEs, which PostgreSQL runs atomically on its own:
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
//! all three are committed. SQLite keeps the general path: its writer commits a whole group of
//! writes at a time, on its own thread, without round trips.

use super::entities::message;
use super::messages::{Message, NewMessage};
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
    use crate::store::{Store, conversations, messages, tenants, users};

    /// A fresh, migrated PostgreSQL database (`TEST_PG_URL`, which `scripts/test.sh` sets; without
    /// it the test fails, as every PostgreSQL test does, rather than pass without running).
    async fn postgres() -> (String, String, Store) {
        let admin = std::env::var("TEST_PG_URL").expect("TEST_PG_URL is not set: run scripts/test.sh");
        let name = format!("confab_exchange_{}", uuid::Uuid::new_v4().simple());
        let conn = sea_orm::Database::connect(admin.as_str()).await.unwrap();
        conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        conn.close().await.ok();
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        let store = Store::connect(&format!("{base}/{name}"), 2).await.unwrap();
        store.migrate().await.unwrap();
        (admin, name, store)
    }

    async fn drop_database(admin: &str, name: &str, store: Store) {
        store.conn().clone().close().await.ok();
        let conn = sea_orm::Database::connect(admin).await.unwrap();
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
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
        let tenant = tenants::insert(db, &TenantSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let ada = users::insert(db, &Email::parse("ada@example.com").unwrap(), "Ada", "x", false).await.unwrap();
        let bob = users::insert(db, &Email::parse("bob@example.com").unwrap(), "Bob", "x", false).await.unwrap();
        let conv = conversations::insert(db, tenant.id, ada.id, "New conversation", None, None).await.unwrap();
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
}

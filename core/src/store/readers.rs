//! SQLite's hot reads, run on the caller's thread.
//!
//! Through sqlx a read is a round trip to a connection's own thread: the query goes over a
//! channel, that thread wakes, runs it and sends the rows back, and the caller's task is woken
//! again. A turn reads four or five times before it can commit (the idempotency claim, the
//! conversation, its messages, and the message its stream starts from), and under a burst of turns
//! those round trips queue behind each other and behind the streams being relayed: at 200 turns at
//! once the reads before a turn's commit took 22 ms on average, against 27 ms for the commit itself.
//! A point read of SQLite itself takes microseconds. Here the reads that a turn makes run in place,
//! on one of a few read-only connections of the store's own.
//!
//! sea-orm builds the query, as everywhere else, and decodes the rows into the entity's model, as
//! everywhere else; what is ours is reading each SQLite value as the type the entity declares for
//! its column ([`value`]), the inverse of how sqlx wrote it (see `direct::bind`). That is why only
//! whole-entity selects (`Entity::find()`, with any filters, joins and order) run here: their
//! columns are the entity's own.

use sea_orm::sea_query::{ColumnType, Value};
use sea_orm::{
    ColumnTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, MockDatabase, MockDatabaseTrait,
    QueryTrait, RuntimeErr, Select,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Prepared statements kept per connection: the hot reads are a handful of shapes.
const CACHED_STATEMENTS: usize = 32;

/// A few read-only connections to a database file, each opened on first use.
pub(super) struct Readers {
    path: PathBuf,
    slots: Vec<Mutex<Option<rusqlite::Connection>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers").field("path", &self.path).field("slots", &self.slots.len()).finish()
    }
}

impl Readers {
    /// Readers of the database file at `path`: as many connections as threads that can read at
    /// once (the runtime's workers, and a couple more for blocking threads).
    pub(super) fn new(path: &Path) -> Self {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let slots = (0..threads + 2).map(|_| Mutex::new(None)).collect();
        Self { path: path.to_path_buf(), slots, next: AtomicUsize::new(0) }
    }

    /// Every row `select` finds, as the entity's models.
    pub(super) fn all<E: EntityTrait>(&self, select: Select<E>) -> Result<Vec<E::Model>, DbErr> {
        let sea_orm::Statement { sql, values, .. } = select.build(DbBackend::Sqlite);
        let params = match values {
            Some(values) => values.0.into_iter().map(super::direct::bind).collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let rows = self.with(|conn| {
            let mut prepared = conn.prepare_cached(&sql).map_err(error)?;
            // The type each result column is read as: the entity's declared type for it.
            let types: Vec<(String, Option<ColumnType>)> =
                prepared.column_names().into_iter().map(|name| (name.to_string(), column_type::<E>(name))).collect();
            let mut found = prepared.query(rusqlite::params_from_iter(params)).map_err(error)?;
            let mut rows = Vec::new();
            while let Some(row) = found.next().map_err(error)? {
                let mut values = BTreeMap::new();
                for (i, (name, kind)) in types.iter().enumerate() {
                    let Some(kind) = kind else { continue };
                    let raw = row.get_ref(i).map_err(error)?;
                    values.insert(name.clone(), value(raw, kind).map_err(|e| column_error(&sql, name, e))?);
                }
                rows.push(values);
            }
            Ok::<_, DbErr>(rows)
        })?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // sea-orm's mock database is the one way to make its query results from values: it hands
        // back the rows it is given (whatever the statement), which the entity's own decoding
        // then reads.
        let results = MockDatabase::new(DbBackend::Sqlite)
            .append_query_results([rows])
            .query(0, sea_orm::Statement::from_string(DbBackend::Sqlite, sql))?;
        results.iter().map(|r| E::Model::from_query_result(r, "")).collect()
    }

    /// The first row `select` finds.
    pub(super) fn one<E: EntityTrait>(&self, select: Select<E>) -> Result<Option<E::Model>, DbErr> {
        use sea_orm::QuerySelect;
        Ok(self.all(select.limit(1))?.into_iter().next())
    }

    /// Runs `read` on a free connection (opening it if it is the slot's first use), or waits for
    /// one when every connection is busy.
    fn with<T>(&self, read: impl FnOnce(&rusqlite::Connection) -> Result<T, DbErr>) -> Result<T, DbErr> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.slots.len();
        let free = (0..n).find_map(|i| self.slots[(start + i) % n].try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => self.slots[start % n].lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        };
        if slot.is_none() {
            *slot = Some(self.open().map_err(|e| DbErr::Conn(RuntimeErr::Internal(e)))?);
        }
        let conn = slot.as_ref().ok_or_else(|| DbErr::Custom("a reader's connection is missing".into()))?;
        read(conn)
    }

    fn open(&self) -> Result<rusqlite::Connection, String> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = rusqlite::Connection::open_with_flags(&self.path, flags)
            .map_err(|e| format!("cannot open {} for reading: {e}", self.path.display()))?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(conn)
    }
}

/// The type entity `E` declares for its column `name`; `None` for a column it does not have.
fn column_type<E: EntityTrait>(name: &str) -> Option<ColumnType> {
    E::Column::iter().find(|c| c.as_str() == name).map(|c| c.def().get_column_type().clone())
}

/// A SQLite value as the sea-query value of `kind`, the column's declared type, the way sqlx
/// decodes it for the model's field: UUIDs from their 16 bytes (or text), timestamps from RFC 3339
/// or `%F %T%.f` text (or Unix seconds), booleans from integers, JSON from its text. NULL is the
/// null of that type (sea-orm tells an absent value from a wrong one by it).
fn value(raw: rusqlite::types::ValueRef<'_>, kind: &ColumnType) -> Result<Value, String> {
    use rusqlite::types::ValueRef as R;
    let text = |raw: R<'_>| match raw {
        R::Text(t) => String::from_utf8(t.to_vec()).map_err(|e| e.to_string()),
        other => Err(format!("expected text, found {:?}", other.data_type())),
    };
    let integer = |raw: R<'_>| match raw {
        R::Integer(i) => Ok(i),
        other => Err(format!("expected an integer, found {:?}", other.data_type())),
    };
    let null = matches!(raw, R::Null);
    Ok(match kind {
        ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text | ColumnType::Enum { .. } => {
            Value::String(if null { None } else { Some(text(raw)?) })
        }
        ColumnType::TinyInteger => Value::TinyInt(if null { None } else { Some(narrow(integer(raw)?)?) }),
        ColumnType::SmallInteger => Value::SmallInt(if null { None } else { Some(narrow(integer(raw)?)?) }),
        ColumnType::Integer => Value::Int(if null { None } else { Some(narrow(integer(raw)?)?) }),
        ColumnType::BigInteger => Value::BigInt(if null { None } else { Some(integer(raw)?) }),
        ColumnType::TinyUnsigned => Value::TinyUnsigned(if null { None } else { Some(narrow(integer(raw)?)?) }),
        ColumnType::SmallUnsigned => Value::SmallUnsigned(if null { None } else { Some(narrow(integer(raw)?)?) }),
        ColumnType::Unsigned => Value::Unsigned(if null { None } else { Some(narrow(integer(raw)?)?) }),
        ColumnType::BigUnsigned => Value::BigUnsigned(if null { None } else { Some(narrow(integer(raw)?)?) }),
        ColumnType::Boolean => Value::Bool(if null { None } else { Some(integer(raw)? != 0) }),
        ColumnType::Float | ColumnType::Double => {
            let real = match raw {
                R::Null => None,
                R::Real(r) => Some(r),
                R::Integer(i) => Some(i as f64),
                other => return Err(format!("expected a number, found {:?}", other.data_type())),
            };
            match kind {
                ColumnType::Float => Value::Float(real.map(|r| r as f32)),
                _ => Value::Double(real),
            }
        }
        ColumnType::Uuid => Value::Uuid(match raw {
            R::Null => None,
            R::Blob(b) => Some(uuid::Uuid::from_slice(b).map_err(|e| e.to_string())?),
            R::Text(t) => {
                Some(uuid::Uuid::try_parse_ascii(t).map_err(|e| format!("{e}: {:?}", String::from_utf8_lossy(t)))?)
            }
            other => return Err(format!("expected a UUID, found {:?}", other.data_type())),
        }),
        ColumnType::TimestampWithTimeZone => Value::ChronoDateTimeUtc(if null { None } else { Some(timestamp(raw)?) }),
        ColumnType::DateTime | ColumnType::Timestamp => {
            Value::ChronoDateTime(if null { None } else { Some(timestamp(raw)?.naive_utc()) })
        }
        ColumnType::Json | ColumnType::JsonBinary => {
            Value::Json(if null { None } else { Some(serde_json::from_str(&text(raw)?).map_err(|e| e.to_string())?) })
        }
        ColumnType::Blob | ColumnType::Binary(_) | ColumnType::VarBinary(_) => Value::Bytes(match raw {
            R::Null => None,
            R::Blob(b) => Some(b.to_vec()),
            R::Text(t) => Some(t.to_vec()),
            other => return Err(format!("expected bytes, found {:?}", other.data_type())),
        }),
        other => return Err(format!("the direct reader does not read columns of type {other:?}")),
    })
}

/// An integer of SQLite's as a narrower one, or why it does not fit.
fn narrow<T: TryFrom<i64>>(i: i64) -> Result<T, String> {
    T::try_from(i).map_err(|_| format!("{i} does not fit the column's type"))
}

/// A timestamp as sqlx's SQLite driver reads one: RFC 3339 text (`T` or a space between date and
/// time), naive `%F %T%.f` text as UTC, or Unix seconds.
fn timestamp(raw: rusqlite::types::ValueRef<'_>) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use rusqlite::types::ValueRef as R;
    match raw {
        R::Text(t) => {
            let s = std::str::from_utf8(t).map_err(|e| e.to_string())?;
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Ok(t.with_timezone(&Utc));
            }
            if let Ok(t) = DateTime::parse_from_str(s, "%F %T%.f%#z") {
                return Ok(t.with_timezone(&Utc));
            }
            ["%F %T%.f", "%FT%T%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .map(|t| t.and_utc())
                .ok_or_else(|| format!("{s:?} is not a timestamp"))
        }
        R::Integer(secs) => DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("{secs} is not a timestamp")),
        other => Err(format!("expected a timestamp, found {:?}", other.data_type())),
    }
}

fn error(e: rusqlite::Error) -> DbErr {
    DbErr::Query(RuntimeErr::Internal(e.to_string()))
}

fn column_error(sql: &str, column: &str, e: String) -> DbErr {
    DbErr::Type(format!("column {column} of `{sql}`: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::entities::{conversation, idempotency_key, message};
    use super::super::{Read, Store};
    use crate::domain::{ConversationId, Email, MessageId, TenantSlug, UserId};
    use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder};

    /// A migrated database file with a tenant and a user in it.
    struct Fixture {
        dir: std::path::PathBuf,
        store: Store,
        tenant: super::super::tenants::Tenant,
        user: super::super::users::User,
    }

    async fn migrated() -> Fixture {
        let dir = std::env::temp_dir().join(format!("confab-readers-{}", uuid::Uuid::new_v4()));
        let store = Store::connect(&format!("sqlite://{}/r.db", dir.display()), 2).await.unwrap();
        store.migrate().await.unwrap();
        let db = store.conn();
        let tenant = super::super::tenants::insert(db, &TenantSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let email = Email::parse("ada@example.com").unwrap();
        let user = super::super::users::insert(db, &email, "Ada", "x", false).await.unwrap();
        Fixture { dir, store, tenant, user }
    }

    impl Fixture {
        fn remove(self) {
            drop(self.store);
            std::fs::remove_dir_all(self.dir).ok();
        }
    }

    /// Every hot entity, its optional fields set and unset, written through sqlx (as the rest of
    /// Confab writes it), reads back through the store's own connections as sqlx reads it; so do
    /// timestamps that SQL itself wrote (`%F %T` text), and a select that finds nothing.
    #[tokio::test]
    async fn rows_read_in_place_are_the_rows_sqlx_reads() {
        let fixture = migrated().await;
        let (store, tenant, user) = (&fixture.store, &fixture.tenant, &fixture.user);
        assert!(store.readers.is_some(), "a database file gets readers");
        let db = store.conn();
        let at = super::super::now();
        let conversations: Vec<conversation::Model> = (0..2)
            .map(|i| conversation::Model {
                id: ConversationId::new().0,
                tenant_id: tenant.id.0,
                owner_id: user.id.0,
                title: format!("conversation {i} — ünïcode"),
                archived: i == 1,
                active_leaf_id: (i == 1).then(uuid::Uuid::now_v7),
                preset_version_id: None,
                plugin_preset_version_id: (i == 1).then(uuid::Uuid::now_v7),
                plugin_preset_id: (i == 1).then(|| "tutor".to_string()),
                created_at: at,
                updated_at: at + chrono::Duration::microseconds(i),
                deleted_at: (i == 1).then_some(at),
                has_files: i == 0,
            })
            .collect();
        for c in &conversations {
            conversation::ActiveModel::from(c.clone()).insert(db).await.unwrap();
        }
        let conv = conversations[0].id;
        let first = MessageId::new().0;
        let messages = [
            message::Model {
                id: first,
                tenant_id: tenant.id.0,
                conversation_id: conv,
                parent_id: None,
                role: "user".into(),
                status: "completed".into(),
                content: "hello\nworld \"quoted\" 🙂".into(),
                model: None,
                model_config: None,
                error_code: None,
                error_message: None,
                retry_after_secs: None,
                input_tokens: None,
                output_tokens: None,
                plugin_runs: None,
                created_at: at,
                updated_at: at,
            },
            message::Model {
                id: MessageId::new().0,
                tenant_id: tenant.id.0,
                conversation_id: conv,
                parent_id: Some(first),
                role: "assistant".into(),
                status: "failed".into(),
                content: String::new(),
                model: Some("gpt-x".into()),
                model_config: Some(r#"{"temperature":0.2}"#.into()),
                error_code: Some("rate_limited".into()),
                error_message: Some("slow down".into()),
                retry_after_secs: Some(30),
                input_tokens: Some(i64::from(i32::MAX) + 7),
                output_tokens: Some(0),
                plugin_runs: Some("[]".into()),
                created_at: at,
                updated_at: at + chrono::Duration::seconds(1),
            },
        ];
        for m in &messages {
            message::ActiveModel::from(m.clone()).insert(db).await.unwrap();
        }
        idempotency_key::ActiveModel::from(idempotency_key::Model {
            id: uuid::Uuid::now_v7(),
            tenant_id: tenant.id.0,
            user_id: user.id.0,
            route: "send".into(),
            key: "k-1".into(),
            fingerprint: "f".into(),
            user_message_id: None,
            assistant_message_id: messages[1].id,
            created_at: at,
            expires_at: at + chrono::Duration::hours(1),
        })
        .insert(db)
        .await
        .unwrap();
        // A timestamp as SQL writes one.
        db.execute_unprepared("UPDATE messages SET updated_at = '2026-12-05 06:07:08' WHERE parent_id IS NULL")
            .await
            .unwrap();

        async fn same<E: EntityTrait>(store: &Store, select: sea_orm::Select<E>) -> usize
        where
            E::Model: PartialEq + std::fmt::Debug,
        {
            let through_sqlx = select.clone().all(store.conn()).await.unwrap();
            let in_place = Read::all(store, select.clone()).await.unwrap();
            assert_eq!(in_place, through_sqlx);
            assert_eq!(Read::one(store, select.clone()).await.unwrap(), select.one(store.conn()).await.unwrap());
            in_place.len()
        }
        assert_eq!(same(store, conversation::Entity::find().order_by_asc(conversation::Column::Id)).await, 2);
        assert_eq!(same(store, message::Entity::find().order_by_asc(message::Column::Id)).await, 2);
        assert_eq!(same(store, idempotency_key::Entity::find()).await, 1);
        assert_eq!(same(store, message::Entity::find_by_id(uuid::Uuid::now_v7())).await, 0);
        // The repository functions the turn path calls, through the store and through sqlx.
        let (t, u) = (tenant.id, user.id);
        let ours = super::super::messages::of_conversation(store, t, ConversationId(conv)).await.unwrap();
        let theirs = super::super::messages::of_conversation(db, t, ConversationId(conv)).await.unwrap();
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(ours.len(), 2);
        let owned = super::super::messages::get_owned(store, t, u, MessageId(first)).await.unwrap();
        assert_eq!(owned.map(|m| m.content), Some(messages[0].content.clone()));
        let stranger = UserId::new();
        assert!(super::super::messages::get_owned(store, t, stranger, MessageId(first)).await.unwrap().is_none());
        let c = super::super::conversations::get(store, t, u, ConversationId(conv)).await.unwrap();
        assert_eq!(c.map(|c| c.id.0), Some(conv));
        fixture.remove();
    }

    /// What the writer commits, the next read in place sees: a read leaves no transaction open
    /// on its connection (its cached statement is reset), so no reader keeps an old snapshot.
    #[tokio::test]
    async fn a_read_sees_what_the_writer_just_committed() {
        let fixture = migrated().await;
        let (store, tenant, user) = (&fixture.store, &fixture.tenant, &fixture.user);
        let db = store.conn();
        let conv = super::super::conversations::insert(db, tenant.id, user.id, "c", None, None).await.unwrap();
        let id = MessageId::new();
        let (t, c) = (tenant.id, conv.id);
        let new = move |status| super::super::messages::NewMessage {
            id,
            tenant_id: t,
            conversation_id: c,
            parent_id: None,
            role: crate::domain::MessageRole::User,
            status,
            content: "hi",
            model: None,
            model_config: None,
        };
        // Read (and cache the statement) before the message exists, then after each commit.
        assert!(super::super::messages::get(store, t, id).await.unwrap().is_none());
        store
            .write(Box::new(move |txn| {
                Box::pin(async move {
                    super::super::messages::insert(txn, new(crate::domain::MessageStatus::Queued)).await.map(|_| ())
                })
            }))
            .await
            .unwrap();
        let read = super::super::messages::get(store, t, id).await.unwrap().unwrap();
        assert_eq!(read.status, crate::domain::MessageStatus::Queued);
        for status in [crate::domain::MessageStatus::Streaming, crate::domain::MessageStatus::Completed] {
            store
                .write(Box::new(move |txn| {
                    Box::pin(async move { super::super::messages::set_status(txn, t, id, status).await })
                }))
                .await
                .unwrap();
            let read = super::super::messages::get(store, t, id).await.unwrap().unwrap();
            assert_eq!(read.status, status);
            let all = super::super::messages::of_conversation(store, t, c).await.unwrap();
            assert_eq!(all.iter().map(|m| m.status).collect::<Vec<_>>(), vec![status]);
        }
        fixture.remove();
    }

    /// A value the column's declared type cannot hold fails the read, naming the column, rather
    /// than reading as something else.
    #[tokio::test]
    async fn a_value_of_the_wrong_type_fails_loudly() {
        let fixture = migrated().await;
        let (store, tenant) = (&fixture.store, &fixture.tenant);
        let db = store.conn();
        db.execute_unprepared(&format!(
            "UPDATE tenants SET created_at = 'yesterday' WHERE name = 'Acme' AND id = x'{}'",
            tenant.id.0.simple()
        ))
        .await
        .unwrap();
        let e = Read::all(store, super::super::entities::tenant::Entity::find()).await.unwrap_err().to_string();
        assert!(e.contains("created_at") && e.contains("\"yesterday\" is not a timestamp"), "{e}");
        fixture.remove();
    }
}

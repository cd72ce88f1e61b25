//! Indexes for the audit log's filters by actor and by object, so the admin console pages them in
//! milliseconds instead of walking the tenant's whole log: a filter matching few entries of a
//! million-entry log (an occasional user, one user's record) otherwise reads every entry
//! (3–4 s on SQLite; scripts/bench-admin.sh measures it). Each ends in `seq`, so a page is one
//! index range read newest first, as the tenant-and-sequence index serves unfiltered pages. A time
//! range is first turned into a sequence range through `(tenant_id, created_at)`.
//!
//! On SQLite (the embedded tier) it also indexes users' e-mail addresses and names by trigram, so a
//! search for a rare part of one (`tendai.iyer7@`) reads its few matches instead of every member
//! (430–630 ms at 100,000 users). Triggers keep the index in step with every write to `users`,
//! whichever code path makes it (renames, erasure); it is contentless, so it keeps no copy of the text.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TenantId,
    ActorUserId,
    TargetType,
    TargetId,
    Seq,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_actor_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::ActorUserId)
                    .col(AuditLog::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_target_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::TargetType)
                    .col(AuditLog::TargetId)
                    .col(AuditLog::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_created")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::CreatedAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            let conn = manager.get_connection();
            for statement in USER_SEARCH_SQLITE {
                conn.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }
}

/// `user_search_docs` gives each user a stable integer (the FTS rowid); `user_search_fts` holds the
/// trigrams of "<email> <display name>" (case-folded by the tokenizer).
const USER_SEARCH_SQLITE: &[&str] = &[
    "CREATE TABLE user_search_docs (id INTEGER PRIMARY KEY, user_id uuid_text NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE user_search_fts USING fts5 (
        text, tokenize = 'trigram', content = '', contentless_delete = 1
    )",
    "CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN
        INSERT INTO user_search_docs (user_id) VALUES (new.id);
        INSERT INTO user_search_fts (rowid, text)
            SELECT d.id, new.email || ' ' || new.display_name FROM user_search_docs d WHERE d.user_id = new.id;
     END",
    "CREATE TRIGGER user_search_update AFTER UPDATE OF email, display_name ON users BEGIN
        DELETE FROM user_search_fts WHERE rowid = (SELECT id FROM user_search_docs WHERE user_id = old.id);
        INSERT INTO user_search_fts (rowid, text)
            SELECT d.id, new.email || ' ' || new.display_name FROM user_search_docs d WHERE d.user_id = new.id;
     END",
    "CREATE TRIGGER user_search_delete AFTER DELETE ON users BEGIN
        DELETE FROM user_search_fts WHERE rowid = (SELECT id FROM user_search_docs WHERE user_id = old.id);
        DELETE FROM user_search_docs WHERE user_id = old.id;
     END",
    "INSERT INTO user_search_docs (user_id) SELECT id FROM users",
    "INSERT INTO user_search_fts (rowid, text)
        SELECT d.id, u.email || ' ' || u.display_name FROM user_search_docs d JOIN users u ON u.id = d.user_id",
];

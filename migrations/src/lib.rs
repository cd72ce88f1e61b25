//! Confab's database schema: forward-only migrations that run unchanged on SQLite and PostgreSQL.
//!
//! One concern per migration, named by date. Never edit a migration that has shipped: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_identity;
mod m20261129_000002_credentials;
mod m20261129_000003_authorization;
mod m20261129_000004_audit;
mod m20261129_000005_chat;
mod m20261129_000006_chat_policy;
mod m20261129_000007_governance_policy;
mod m20261129_000008_presets_usage;
mod m20261129_000009_search;
mod m20261129_000010_shares;
mod m20261129_000011_plugins;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_identity::Migration),
            Box::new(m20261129_000002_credentials::Migration),
            Box::new(m20261129_000003_authorization::Migration),
            Box::new(m20261129_000004_audit::Migration),
            Box::new(m20261129_000005_chat::Migration),
            Box::new(m20261129_000006_chat_policy::Migration),
            Box::new(m20261129_000007_governance_policy::Migration),
            Box::new(m20261129_000008_presets_usage::Migration),
            Box::new(m20261129_000009_search::Migration),
            Box::new(m20261129_000010_shares::Migration),
            Box::new(m20261129_000011_plugins::Migration),
        ]
    }
}

/// Shorthand for a UTC timestamp column (text on SQLite, `timestamptz` on PostgreSQL).
pub(crate) fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().take()
}

pub(crate) fn timestamp_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

pub(crate) fn uuid_pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().primary_key().take()
}

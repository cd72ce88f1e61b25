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
mod m20261129_000012_search_outbox;
mod m20261215_000013_token_keep;
mod m20261216_000014_admin_console;
mod m20261216_000015_admin_indexes;
mod m20261217_000016_retention;
mod m20261217_000017_audit_evidence;
mod m20261217_000018_audit_sinks;
mod m20261218_000019_identity_provisioning;
mod m20261219_000020_choice_sets;
mod m20261220_000021_private_mode;
mod m20261221_000022_single_sign_on;
mod m20261222_000023_outbox_statement_triggers;
mod m20261223_000024_files;
mod m20261224_000025_search_recent;
mod m20261225_000026_search_queue;

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
            Box::new(m20261129_000012_search_outbox::Migration),
            Box::new(m20261215_000013_token_keep::Migration),
            Box::new(m20261216_000014_admin_console::Migration),
            Box::new(m20261216_000015_admin_indexes::Migration),
            Box::new(m20261217_000016_retention::Migration),
            Box::new(m20261217_000017_audit_evidence::Migration),
            Box::new(m20261217_000018_audit_sinks::Migration),
            Box::new(m20261218_000019_identity_provisioning::Migration),
            Box::new(m20261219_000020_choice_sets::Migration),
            Box::new(m20261220_000021_private_mode::Migration),
            Box::new(m20261221_000022_single_sign_on::Migration),
            Box::new(m20261222_000023_outbox_statement_triggers::Migration),
            Box::new(m20261223_000024_files::Migration),
            Box::new(m20261224_000025_search_recent::Migration),
            Box::new(m20261225_000026_search_queue::Migration),
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

/// A `tenant_id` column's foreign key to its tenant; rows go with their tenant.
pub(crate) fn tenant_fk(table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(Alias::new("tenant_id"))
        .to(m20261129_000001_identity::Tenants::Table, m20261129_000001_identity::Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden)]
enum CasbinRules {
    Table,
    Ptype,
    V0,
    V1,
    V2,
    V3,
}

#[derive(DeriveIden)]
enum PolicyVersion {
    Table,
    Id,
    Version,
}

/// Adds role templates — `(role, object, action)`, valid in every tenant — and bumps the policy
/// version so running servers reload their policy.
pub(crate) async fn grant(manager: &SchemaManager<'_>, policy: &[(&str, &str, &str)]) -> Result<(), DbErr> {
    let mut insert = Query::insert()
        .into_table(CasbinRules::Table)
        .columns([CasbinRules::Ptype, CasbinRules::V0, CasbinRules::V1, CasbinRules::V2, CasbinRules::V3])
        .to_owned();
    for (role, obj, act) in policy {
        insert.values_panic(["p".into(), (*role).into(), "*".into(), (*obj).into(), (*act).into()]);
    }
    manager.exec_stmt(insert).await?;
    manager
        .exec_stmt(
            Query::update()
                .table(PolicyVersion::Table)
                .value(PolicyVersion::Version, Expr::col(PolicyVersion::Version).add(1))
                .and_where(Expr::col(PolicyVersion::Id).eq(1))
                .to_owned(),
        )
        .await
}

/// A contract migration: the only kind allowed to remove or narrow what an earlier release used —
/// drop or rename a table or column, change a column's type, make a column `NOT NULL`, or add a
/// `NOT NULL` column without a default to an existing table. The previous release must still run
/// on the schema a release migrates to (README, "Upgrades without downtime"), so a contract ships
/// only in a release after the one that stopped using what it removes, named here.
/// The test `upgrade::migrations_only_expand_unless_listed_as_contracts` diffs the schema before
/// and after every migration and refuses any such change not listed.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    /// The migration's name (`m…`).
    pub migration: &'static str,
    pub table: &'static str,
    /// `None` when the whole table goes.
    pub column: Option<&'static str>,
    /// The first release whose code no longer uses it (the migration ships after that release).
    pub unused_since: &'static str,
}

/// Every contract migration so far (none: every migration up to now only expands).
pub const CONTRACTS: &[Contract] = &[];

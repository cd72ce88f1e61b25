//! Re-sealing every stored secret under the current master key (`confab secrets
//! rotate-master-key`).
//!
//! Every column that holds a secret sealed with the [`Keyring`] is listed in [`SEALED_COLUMNS`];
//! a feature that stores a new kind of secret adds its column there, and rotation covers it.
//!
//! The walk is idempotent and resumable: each batch selects rows whose ciphertext does not yet
//! name the current key, re-seals them and commits (with an audit entry of counts) in one
//! transaction, so a run that stops half-way leaves a consistent mix that every replica can read
//! (they accept the previous keys too), and the next run starts with what is left. A row that
//! a replica changed meanwhile is not overwritten (the update compares the old ciphertext).

use crate::audit::{self, Actor, NewEntry, action};
use crate::crypto::Keyring;
use crate::domain::TenantId;
use crate::error::{AppError, AppResult};
use crate::store::Store;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

/// A column holding secrets sealed under the master key. Every such table has a UUID `id` and
/// a `tenant_id` (NULL for the installation's own rows, e.g. platform audit sinks); the associated
/// data a secret is sealed with is built from the row.
pub struct SealedColumn {
    /// What it holds, for people (progress lines, audit details).
    pub label: &'static str,
    pub table: &'static str,
    pub column: &'static str,
    /// Another column the associated data needs (e.g. the provider's name), if any.
    pub context_column: Option<&'static str>,
    /// The associated data: (tenant, row id, `context_column`'s value or "").
    pub context: fn(Option<Uuid>, Uuid, &str) -> String,
}

/// Every sealed column. Add yours here (SSO client secrets, audit sink credentials …).
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        label: "provider keys",
        table: "provider_keys",
        column: "ciphertext",
        context_column: Some("provider"),
        context: |tenant, _, provider| {
            crate::providers::catalogue::key_context(TenantId(tenant.unwrap_or_default()), provider)
        },
    },
    SealedColumn {
        label: "single sign-on client secrets",
        table: "sso_providers",
        column: "client_secret_sealed",
        context_column: None,
        context: |tenant, id, _| crate::identity::sso::secret_context(tenant.unwrap_or_default(), id),
    },
    SealedColumn {
        label: "share links",
        table: "shares",
        column: "token_sealed",
        context_column: None,
        context: |tenant, id, _| {
            crate::shares::token_context(TenantId(tenant.unwrap_or_default()), crate::shares::ShareId(id))
        },
    },
    SealedColumn {
        label: "audit sink secrets",
        table: "audit_sinks",
        column: "secret_sealed",
        context_column: None,
        context: |tenant, id, _| crate::siem::sealed_secret_context(tenant, id),
    },
];

/// How a rotation run went.
#[derive(Debug, Clone, Default)]
pub struct RotationReport {
    /// Re-sealed rows per column label, in [`SEALED_COLUMNS`] order.
    pub resealed: Vec<(&'static str, u64)>,
    /// Rows changed by someone else between read and write (left for the next batch).
    pub raced: u64,
    /// True when `max_rows` stopped the run before everything was under the current key.
    pub paused: bool,
}

impl RotationReport {
    pub fn total(&self) -> u64 {
        self.resealed.iter().map(|(_, n)| n).sum()
    }
}

/// Options of a run.
#[derive(Debug, Clone, Copy)]
pub struct RotationOptions {
    /// Rows per transaction.
    pub batch_size: u64,
    /// Stop after re-sealing this many rows (run again to continue).
    pub max_rows: Option<u64>,
}

struct Pending {
    id: Uuid,
    tenant: Option<Uuid>,
    extra: String,
    sealed: String,
}

async fn pending(store: &Store, col: &SealedColumn, prefix: &str, limit: u64) -> AppResult<Vec<Pending>> {
    let mut q = Query::select();
    q.column(Alias::new("id"))
        .column(Alias::new("tenant_id"))
        .expr_as(Expr::col(Alias::new(col.column)), Alias::new("sealed"))
        .from(Alias::new(col.table))
        .and_where(Expr::col(Alias::new(col.column)).is_not_null())
        .and_where(Expr::col(Alias::new(col.column)).not_like(format!("{prefix}%")))
        .order_by(Alias::new("id"), Order::Asc)
        .limit(limit);
    if let Some(extra) = col.context_column {
        q.expr_as(Expr::col(Alias::new(extra)), Alias::new("extra"));
    }
    let stmt = store.backend().build(&q);
    let rows = store.conn().query_all_raw(stmt).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Pending {
                id: r.try_get("", "id")?,
                tenant: r.try_get("", "tenant_id")?,
                extra: if col.context_column.is_some() { r.try_get("", "extra")? } else { String::new() },
                sealed: r.try_get("", "sealed")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// Re-seals every secret not yet under the keyring's current key. Stops with an error naming
/// the row (never its secret) when one opens under no configured key: nothing is overwritten
/// with something unreadable.
pub async fn rotate(
    store: &Store,
    keyring: &Keyring,
    options: RotationOptions,
    progress: &mut dyn FnMut(&str, u64),
) -> AppResult<RotationReport> {
    let prefix = keyring.current_prefix();
    let batch_size = options.batch_size.clamp(1, 10_000);
    let mut report = RotationReport::default();
    let mut budget = options.max_rows.unwrap_or(u64::MAX);
    for col in SEALED_COLUMNS {
        let mut done = 0u64;
        loop {
            if budget == 0 {
                report.paused = !pending(store, col, &prefix, 1).await?.is_empty() || report.paused;
                break;
            }
            let rows = pending(store, col, &prefix, std::cmp::min(batch_size, budget)).await?;
            if rows.is_empty() {
                break;
            }
            let txn = store.begin().await?;
            let mut resealed = 0u64;
            for row in &rows {
                let context = (col.context)(row.tenant, row.id, &row.extra);
                let plain = keyring.decrypt(&row.sealed, &context).map_err(|e| {
                    AppError::Unavailable(format!("{} row {} in {}: {e}", col.label, row.id, col.table))
                })?;
                let fresh = keyring.encrypt(&plain, &context).map_err(AppError::Internal)?;
                let mut update = Query::update();
                update
                    .table(Alias::new(col.table))
                    .value(Alias::new(col.column), fresh)
                    .and_where(Expr::col(Alias::new("id")).eq(Value::from(row.id)))
                    .and_where(Expr::col(Alias::new(col.column)).eq(row.sealed.as_str()));
                let changed = txn.execute_raw(store.backend().build(&update)).await?.rows_affected();
                resealed += changed;
                if changed == 0 {
                    report.raced += 1;
                }
            }
            if resealed == 0 {
                // Every row changed under us: a replica keeps writing under another key.
                return Err(AppError::Conflict(format!(
                    "{} keep being rewritten under a key other than {}: is every replica running with \
                     the new secrets.master_key?",
                    col.label,
                    keyring.current_id()
                )));
            }
            audit::record(
                &*txn,
                NewEntry::new(None, &Actor::cli(), action::SECRETS_RESEALED).details(serde_json::json!({
                    "column": format!("{}.{}", col.table, col.column),
                    "resealed": resealed,
                    "key_id": keyring.current_id(),
                })),
            )
            .await?;
            txn.commit().await?;
            done += resealed;
            budget = budget.saturating_sub(resealed);
            progress(col.label, done);
        }
        report.resealed.push((col.label, done));
    }
    Ok(report)
}

/// Rows per column not yet under the current key (what a run would do).
pub async fn remaining(store: &Store, keyring: &Keyring) -> AppResult<Vec<(&'static str, u64)>> {
    let prefix = keyring.current_prefix();
    let mut out = Vec::new();
    for col in SEALED_COLUMNS {
        let mut q = Query::select();
        q.expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("n"))
            .from(Alias::new(col.table))
            .and_where(Expr::col(Alias::new(col.column)).is_not_null())
            .and_where(Expr::col(Alias::new(col.column)).not_like(format!("{prefix}%")));
        let row = store.conn().query_one_raw(store.backend().build(&q)).await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        out.push((col.label, u64::try_from(n).unwrap_or(0)));
    }
    Ok(out)
}

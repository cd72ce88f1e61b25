//! Plugins (uploaded once for the installation) and each tenant's chain of them. Components are
//! kept in the database so every replica runs the same bytes; listings never load them.
use super::entities::{plugin, plugin_version, tenant_plugin};
use super::{Conn, now};
use crate::domain::{TenantId, UserId};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Plugin {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A plugin version without its component bytes.
#[derive(Debug, Clone, FromQueryResult)]
pub struct VersionMeta {
    pub id: Uuid,
    pub plugin_id: Uuid,
    pub version: String,
    pub manifest: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
}

/// One entry of a tenant's chain.
#[derive(Debug, Clone)]
pub struct TenantPlugin {
    pub plugin_id: Uuid,
    pub version_id: Uuid,
    pub enabled: bool,
    pub position: i32,
    pub config: String,
    pub failure_policy: String,
    pub time_budget_ms: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<tenant_plugin::Model> for TenantPlugin {
    fn from(m: tenant_plugin::Model) -> Self {
        Self {
            plugin_id: m.plugin_id,
            version_id: m.version_id,
            enabled: m.enabled,
            position: m.position,
            config: m.config,
            failure_policy: m.failure_policy,
            time_budget_ms: m.time_budget_ms,
            updated_at: m.updated_at,
        }
    }
}

pub async fn plugin_by_name(conn: &impl Conn, name: &str) -> AppResult<Option<Plugin>> {
    Ok(plugin::Entity::find().filter(plugin::Column::Name.eq(name)).one(conn).await?.map(|m| Plugin {
        id: m.id,
        name: m.name,
        created_at: m.created_at,
    }))
}

pub async fn plugins(conn: &impl Conn) -> AppResult<Vec<Plugin>> {
    Ok(plugin::Entity::find()
        .order_by_asc(plugin::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| Plugin { id: m.id, name: m.name, created_at: m.created_at })
        .collect())
}

pub async fn insert_plugin(conn: &impl Conn, name: &str) -> AppResult<Plugin> {
    let at = now();
    let m = plugin::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(Plugin { id: m.id, name: m.name, created_at: m.created_at })
}

pub struct NewVersion<'a> {
    pub plugin_id: Uuid,
    pub version: &'a str,
    pub manifest: &'a str,
    pub component: &'a [u8],
    pub sha256: &'a str,
    pub uploaded_by: Option<UserId>,
}

pub async fn insert_version(conn: &impl Conn, v: NewVersion<'_>) -> AppResult<VersionMeta> {
    let m = plugin_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        plugin_id: Set(v.plugin_id),
        version: Set(v.version.into()),
        manifest: Set(v.manifest.into()),
        component: Set(v.component.to_vec()),
        sha256: Set(v.sha256.into()),
        size_bytes: Set(v.component.len() as i64),
        uploaded_by: Set(v.uploaded_by.map(|u| u.0)),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    Ok(VersionMeta {
        id: m.id,
        plugin_id: m.plugin_id,
        version: m.version,
        manifest: m.manifest,
        sha256: m.sha256,
        size_bytes: m.size_bytes,
        created_at: m.created_at,
    })
}

fn meta_query() -> sea_orm::Select<plugin_version::Entity> {
    plugin_version::Entity::find().select_only().columns([
        plugin_version::Column::Id,
        plugin_version::Column::PluginId,
        plugin_version::Column::Version,
        plugin_version::Column::Manifest,
        plugin_version::Column::Sha256,
        plugin_version::Column::SizeBytes,
        plugin_version::Column::CreatedAt,
    ])
}

/// Every version of every plugin (without bytes), oldest first.
pub async fn versions(conn: &impl Conn) -> AppResult<Vec<VersionMeta>> {
    Ok(meta_query().order_by_asc(plugin_version::Column::Id).into_model::<VersionMeta>().all(conn).await?)
}

pub async fn version(conn: &impl Conn, id: Uuid) -> AppResult<Option<VersionMeta>> {
    Ok(meta_query().filter(plugin_version::Column::Id.eq(id)).into_model::<VersionMeta>().one(conn).await?)
}

pub async fn version_of(conn: &impl Conn, plugin: Uuid, version: &str) -> AppResult<Option<VersionMeta>> {
    Ok(meta_query()
        .filter(plugin_version::Column::PluginId.eq(plugin))
        .filter(plugin_version::Column::Version.eq(version))
        .into_model::<VersionMeta>()
        .one(conn)
        .await?)
}

/// The component bytes of a version.
pub async fn component(conn: &impl Conn, id: Uuid) -> AppResult<Option<Vec<u8>>> {
    Ok(plugin_version::Entity::find_by_id(id).one(conn).await?.map(|m| m.component))
}

/// The tenant's chain, in order.
pub async fn chain(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<TenantPlugin>> {
    Ok(tenant_plugin::Entity::find()
        .filter(tenant_plugin::Column::TenantId.eq(tenant.0))
        .order_by_asc(tenant_plugin::Column::Position)
        .order_by_asc(tenant_plugin::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub struct ChainSettings<'a> {
    pub version_id: Uuid,
    pub enabled: bool,
    pub config: &'a str,
    pub failure_policy: &'a str,
    pub time_budget_ms: i32,
}

/// Adds a plugin to the end of the tenant's chain, or updates its entry in place.
pub async fn upsert(conn: &impl Conn, tenant: TenantId, plugin: Uuid, s: ChainSettings<'_>) -> AppResult<()> {
    let existing = tenant_plugin::Entity::find()
        .filter(tenant_plugin::Column::TenantId.eq(tenant.0))
        .filter(tenant_plugin::Column::PluginId.eq(plugin))
        .one(conn)
        .await?;
    let at = now();
    match existing {
        Some(row) => {
            let mut row: tenant_plugin::ActiveModel = row.into();
            row.version_id = Set(s.version_id);
            row.enabled = Set(s.enabled);
            row.config = Set(s.config.into());
            row.failure_policy = Set(s.failure_policy.into());
            row.time_budget_ms = Set(s.time_budget_ms);
            row.updated_at = Set(at);
            row.update(conn).await?;
        }
        None => {
            let last = chain(conn, tenant).await?.iter().map(|e| e.position).max().unwrap_or(0);
            tenant_plugin::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.0),
                plugin_id: Set(plugin),
                version_id: Set(s.version_id),
                enabled: Set(s.enabled),
                position: Set(last + 1),
                config: Set(s.config.into()),
                failure_policy: Set(s.failure_policy.into()),
                time_budget_ms: Set(s.time_budget_ms),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

pub async fn remove(conn: &impl Conn, tenant: TenantId, plugin: Uuid) -> AppResult<bool> {
    let res = tenant_plugin::Entity::delete_many()
        .filter(tenant_plugin::Column::TenantId.eq(tenant.0))
        .filter(tenant_plugin::Column::PluginId.eq(plugin))
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}

pub async fn set_position(conn: &impl Conn, tenant: TenantId, plugin: Uuid, position: i32) -> AppResult<()> {
    tenant_plugin::Entity::update_many()
        .col_expr(tenant_plugin::Column::Position, position.into())
        .col_expr(tenant_plugin::Column::UpdatedAt, now().into())
        .filter(tenant_plugin::Column::TenantId.eq(tenant.0))
        .filter(tenant_plugin::Column::PluginId.eq(plugin))
        .exec(conn)
        .await?;
    Ok(())
}

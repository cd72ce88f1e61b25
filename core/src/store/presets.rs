//! Presets and their immutable versions. A preset row names the current version; every edit
//! inserts a new version row and moves that pointer, so a version, once written, never changes.
//! Every query is filtered by tenant; who may see a preset (tenant presets: everyone in the
//! tenant; personal presets: their owner) is decided here too.
use super::entities::{preset, preset_policy, preset_version};
use super::{Conn, now};
use crate::domain::{PresetId, PresetVersionId, TenantId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// What a version pins: everything a turn takes from its preset.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetSettings {
    pub name: String,
    pub description: String,
    pub model: Option<String>,
    pub system_prompt: String,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct PresetVersion {
    pub id: PresetVersionId,
    pub preset_id: PresetId,
    pub version: i32,
    pub settings: PresetSettings,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl From<preset_version::Model> for PresetVersion {
    fn from(m: preset_version::Model) -> Self {
        Self {
            id: PresetVersionId(m.id),
            preset_id: PresetId(m.preset_id),
            version: m.version,
            settings: PresetSettings {
                name: m.name,
                description: m.description,
                model: m.model,
                system_prompt: m.system_prompt,
                temperature: m.temperature,
                max_tokens: m.max_tokens,
            },
            created_by: m.created_by.map(UserId),
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Preset {
    pub id: PresetId,
    pub tenant_id: TenantId,
    /// `None` for a tenant preset.
    pub owner_id: Option<UserId>,
    pub archived: bool,
    pub current: PresetVersion,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn version_model(
    tenant: TenantId,
    preset: PresetId,
    version: i32,
    by: UserId,
    s: &PresetSettings,
) -> preset_version::ActiveModel {
    preset_version::ActiveModel {
        id: Set(PresetVersionId::new().0),
        tenant_id: Set(tenant.0),
        preset_id: Set(preset.0),
        version: Set(version),
        name: Set(s.name.clone()),
        description: Set(s.description.clone()),
        model: Set(s.model.clone()),
        system_prompt: Set(s.system_prompt.clone()),
        temperature: Set(s.temperature),
        max_tokens: Set(s.max_tokens),
        created_by: Set(Some(by.0)),
        created_at: Set(now()),
    }
}

pub async fn insert(
    conn: &impl Conn,
    tenant: TenantId,
    owner: Option<UserId>,
    by: UserId,
    settings: &PresetSettings,
) -> AppResult<Preset> {
    let at = now();
    let id = PresetId::new();
    let row = preset::ActiveModel {
        id: Set(id.0),
        tenant_id: Set(tenant.0),
        owner_id: Set(owner.map(|o| o.0)),
        current_version: Set(1),
        archived: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await?;
    let version = version_model(tenant, id, 1, by, settings).insert(conn).await?;
    Ok(assemble(row, version.into()))
}

fn assemble(row: preset::Model, current: PresetVersion) -> Preset {
    Preset {
        id: PresetId(row.id),
        tenant_id: TenantId(row.tenant_id),
        owner_id: row.owner_id.map(UserId),
        archived: row.archived,
        current,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Tenant presets and the user's own ones; nothing else.
fn visible_to(tenant: TenantId, user: UserId) -> sea_orm::Select<preset::Entity> {
    preset::Entity::find()
        .filter(preset::Column::TenantId.eq(tenant.0))
        .filter(Condition::any().add(preset::Column::OwnerId.is_null()).add(preset::Column::OwnerId.eq(user.0)))
}

/// A preset the user may see (archived ones included: pinned conversations still name them).
pub async fn get(conn: &impl Conn, tenant: TenantId, user: UserId, id: PresetId) -> AppResult<Option<Preset>> {
    let Some(row) = visible_to(tenant, user).filter(preset::Column::Id.eq(id.0)).one(conn).await? else {
        return Ok(None);
    };
    let version = version(conn, tenant, id, row.current_version).await?.ok_or(AppError::NotFound("preset version"))?;
    Ok(Some(assemble(row, version)))
}

/// The presets a user can choose from: the tenant's and their own, not archived, by name.
pub async fn list(conn: &impl Conn, tenant: TenantId, user: UserId) -> AppResult<Vec<Preset>> {
    let rows = visible_to(tenant, user).filter(preset::Column::Archived.eq(false)).all(conn).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Every current version in one query.
    let current = rows.iter().fold(Condition::any(), |any, row| {
        any.add(
            Condition::all()
                .add(preset_version::Column::PresetId.eq(row.id))
                .add(preset_version::Column::Version.eq(row.current_version)),
        )
    });
    let mut versions: std::collections::HashMap<uuid::Uuid, PresetVersion> = preset_version::Entity::find()
        .filter(preset_version::Column::TenantId.eq(tenant.0))
        .filter(current)
        .all(conn)
        .await?
        .into_iter()
        .map(|v| (v.preset_id, v.into()))
        .collect();
    let mut out: Vec<Preset> =
        rows.into_iter().filter_map(|row| versions.remove(&row.id).map(|current| assemble(row, current))).collect();
    out.sort_by(|a, b| {
        (a.owner_id.is_some(), a.current.settings.name.to_lowercase())
            .cmp(&(b.owner_id.is_some(), b.current.settings.name.to_lowercase()))
    });
    Ok(out)
}

pub async fn version(conn: &impl Conn, tenant: TenantId, preset: PresetId, n: i32) -> AppResult<Option<PresetVersion>> {
    Ok(preset_version::Entity::find()
        .filter(preset_version::Column::TenantId.eq(tenant.0))
        .filter(preset_version::Column::PresetId.eq(preset.0))
        .filter(preset_version::Column::Version.eq(n))
        .one(conn)
        .await?
        .map(Into::into))
}

/// A version by id, in the tenant (a conversation's pinned version).
pub async fn version_by_id(
    conn: &impl Conn,
    tenant: TenantId,
    id: PresetVersionId,
) -> AppResult<Option<PresetVersion>> {
    Ok(preset_version::Entity::find_by_id(id.0)
        .filter(preset_version::Column::TenantId.eq(tenant.0))
        .one(conn)
        .await?
        .map(Into::into))
}

/// Every version of a preset, newest first.
pub async fn versions(conn: &impl Conn, tenant: TenantId, preset: PresetId) -> AppResult<Vec<PresetVersion>> {
    Ok(preset_version::Entity::find()
        .filter(preset_version::Column::TenantId.eq(tenant.0))
        .filter(preset_version::Column::PresetId.eq(preset.0))
        .order_by_desc(preset_version::Column::Version)
        .limit(1000)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Writes the next version and makes it current. `expected` is the version the editor saw:
/// a concurrent edit in between is a conflict, not a silent overwrite.
pub async fn add_version(
    conn: &impl Conn,
    tenant: TenantId,
    preset: PresetId,
    expected: i32,
    by: UserId,
    settings: &PresetSettings,
) -> AppResult<PresetVersion> {
    let next = expected + 1;
    let res = preset::Entity::update_many()
        .col_expr(preset::Column::CurrentVersion, next.into())
        .col_expr(preset::Column::UpdatedAt, now().into())
        .filter(preset::Column::Id.eq(preset.0))
        .filter(preset::Column::TenantId.eq(tenant.0))
        .filter(preset::Column::CurrentVersion.eq(expected))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::Conflict("the preset was changed meanwhile; reload it and try again".into()));
    }
    Ok(version_model(tenant, preset, next, by, settings).insert(conn).await?.into())
}

pub async fn set_archived(conn: &impl Conn, tenant: TenantId, preset: PresetId, archived: bool) -> AppResult<()> {
    let res = preset::Entity::update_many()
        .col_expr(preset::Column::Archived, archived.into())
        .col_expr(preset::Column::UpdatedAt, now().into())
        .filter(preset::Column::Id.eq(preset.0))
        .filter(preset::Column::TenantId.eq(tenant.0))
        .exec(conn)
        .await?;
    super::expect_one(res.rows_affected, "preset")
}

/// The models presets of the tenant may use; `None` allows every model in the catalogue.
pub async fn allowed_models(conn: &impl Conn, tenant: TenantId) -> AppResult<Option<Vec<String>>> {
    let row = preset_policy::Entity::find_by_id(tenant.0).one(conn).await?;
    Ok(row.and_then(|r| r.allowed_models).and_then(|json| serde_json::from_str(&json).ok()))
}

pub async fn set_allowed_models(conn: &impl Conn, tenant: TenantId, models: Option<&[String]>) -> AppResult<()> {
    let json = models.map(|m| serde_json::to_string(m).unwrap_or_else(|_| "[]".into()));
    preset_policy::Entity::insert(preset_policy::ActiveModel {
        tenant_id: Set(tenant.0),
        allowed_models: Set(json),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(preset_policy::Column::TenantId)
            .update_columns([preset_policy::Column::AllowedModels, preset_policy::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

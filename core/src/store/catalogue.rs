//! A tenant's own models and provider keys (the installation's come from configuration).
use super::entities::{provider_key, tenant_model};
use super::{Conn, now};
use crate::domain::TenantId;
use crate::error::AppResult;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

#[derive(Debug, Clone, PartialEq)]
pub struct TenantModel {
    pub model_id: String,
    pub provider: String,
    pub upstream_model: String,
    pub display_name: String,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub input_price_per_million: f64,
    pub output_price_per_million: f64,
    /// Takes images (vision models).
    pub vision: bool,
}

impl From<tenant_model::Model> for TenantModel {
    fn from(m: tenant_model::Model) -> Self {
        Self {
            model_id: m.model_id,
            provider: m.provider,
            upstream_model: m.upstream_model,
            display_name: m.display_name,
            context_window: m.context_window.clamp(0, u32::MAX as i64) as u32,
            max_output_tokens: m.max_output_tokens.clamp(0, u32::MAX as i64) as u32,
            input_price_per_million: m.input_price_per_million,
            output_price_per_million: m.output_price_per_million,
            vision: m.vision,
        }
    }
}

pub async fn models(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<TenantModel>> {
    Ok(tenant_model::Entity::find()
        .filter(tenant_model::Column::TenantId.eq(tenant.0))
        .order_by_asc(tenant_model::Column::ModelId)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn upsert_model(conn: &impl Conn, tenant: TenantId, m: &TenantModel) -> AppResult<()> {
    let at = now();
    tenant_model::Entity::insert(tenant_model::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        model_id: Set(m.model_id.clone()),
        provider: Set(m.provider.clone()),
        upstream_model: Set(m.upstream_model.clone()),
        display_name: Set(m.display_name.clone()),
        context_window: Set(m.context_window as i64),
        max_output_tokens: Set(m.max_output_tokens as i64),
        input_price_per_million: Set(m.input_price_per_million),
        output_price_per_million: Set(m.output_price_per_million),
        vision: Set(m.vision),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([tenant_model::Column::TenantId, tenant_model::Column::ModelId])
            .update_columns([
                tenant_model::Column::Provider,
                tenant_model::Column::UpstreamModel,
                tenant_model::Column::DisplayName,
                tenant_model::Column::ContextWindow,
                tenant_model::Column::MaxOutputTokens,
                tenant_model::Column::InputPricePerMillion,
                tenant_model::Column::OutputPricePerMillion,
                tenant_model::Column::Vision,
                tenant_model::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

pub async fn delete_model(conn: &impl Conn, tenant: TenantId, model_id: &str) -> AppResult<bool> {
    let res = tenant_model::Entity::delete_many()
        .filter(tenant_model::Column::TenantId.eq(tenant.0))
        .filter(tenant_model::Column::ModelId.eq(model_id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Every encrypted key a tenant stored: (provider, ciphertext).
pub async fn provider_keys(conn: &impl Conn, tenant: TenantId) -> AppResult<Vec<(String, String)>> {
    Ok(provider_key::Entity::find()
        .filter(provider_key::Column::TenantId.eq(tenant.0))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.provider, m.ciphertext))
        .collect())
}

pub async fn set_provider_key(conn: &impl Conn, tenant: TenantId, provider: &str, ciphertext: &str) -> AppResult<()> {
    let at = now();
    provider_key::Entity::insert(provider_key::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        provider: Set(provider.to_string()),
        ciphertext: Set(ciphertext.to_string()),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([provider_key::Column::TenantId, provider_key::Column::Provider])
            .update_columns([provider_key::Column::Ciphertext, provider_key::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

pub async fn delete_provider_key(conn: &impl Conn, tenant: TenantId, provider: &str) -> AppResult<bool> {
    let res = provider_key::Entity::delete_many()
        .filter(provider_key::Column::TenantId.eq(tenant.0))
        .filter(provider_key::Column::Provider.eq(provider))
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Option<String>,
    pub scopes: String,
    pub allowed_domains: String,
    pub email_claim: String,
    pub name_claim: String,
    pub groups_claim: Option<String>,
    pub jit_provisioning: bool,
    pub allow_passwords: bool,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

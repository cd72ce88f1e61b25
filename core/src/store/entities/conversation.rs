use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub archived: bool,
    pub active_leaf_id: Option<Uuid>,
    pub preset_version_id: Option<Uuid>,
    pub plugin_preset_version_id: Option<Uuid>,
    pub plugin_preset_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set by the owner's delete: hidden everywhere, hard-deleted by the purge after the grace period.
    pub deleted_at: Option<DateTimeUtc>,
    /// Whether any of its messages ever carried a file (`message_parts`).
    pub has_files: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

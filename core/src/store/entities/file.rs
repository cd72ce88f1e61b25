use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub media_type: String,
    pub kind: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub extracted_text: Option<String>,
    pub text_chars: Option<i64>,
    pub text_truncated: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

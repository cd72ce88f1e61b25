//! SCIM 2.0 provisioning per tenant and the group → role mapping it shares with single sign-on:
//! the tenant's SCIM bearer tokens (hashed), which members the identity provider manages (with the
//! attributes it sent, kept per tenant), its groups and their members, and which group grants
//! which role.
use crate::{tenant_fk, timestamp, timestamp_null, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScimTokens {
    Table,
    Id,
    TenantId,
    Name,
    Prefix,
    TokenHash,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ScimUsers {
    Table,
    Id,
    TenantId,
    UserId,
    UserName,
    ExternalId,
    Attributes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScimGroups {
    Table,
    Id,
    TenantId,
    DisplayName,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScimGroupMembers {
    Table,
    Id,
    TenantId,
    GroupId,
    UserId,
}

#[derive(DeriveIden)]
enum RoleMappings {
    Table,
    Id,
    TenantId,
    GroupName,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

const POLICY: &[(&str, &str, &str)] =
    &[("tenant_admin", "identity", "manage"), ("tenant_admin", "identity", "read"), ("auditor", "identity", "read")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScimTokens::Table)
                    .col(uuid_pk(ScimTokens::Id))
                    .col(ColumnDef::new(ScimTokens::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ScimTokens::Name).string_len(100).not_null())
                    // The first characters, to recognise a token in the list.
                    .col(ColumnDef::new(ScimTokens::Prefix).string_len(16).not_null())
                    // SHA-256 of the token, hex; the token itself is shown once.
                    .col(ColumnDef::new(ScimTokens::TokenHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(ScimTokens::CreatedBy).uuid().null())
                    .col(timestamp(ScimTokens::CreatedAt))
                    .col(timestamp_null(ScimTokens::LastUsedAt))
                    .col(timestamp_null(ScimTokens::RevokedAt))
                    .foreign_key(&mut tenant_fk(ScimTokens::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scim_tokens_tenant")
                    .table(ScimTokens::Table)
                    .col(ScimTokens::TenantId)
                    .col(ScimTokens::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimUsers::Table)
                    .col(uuid_pk(ScimUsers::Id))
                    .col(ColumnDef::new(ScimUsers::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ScimUsers::UserId).uuid().not_null())
                    // SCIM's `userName`, lower-cased (unique per tenant, matched case-insensitively).
                    .col(ColumnDef::new(ScimUsers::UserName).string_len(512).not_null())
                    .col(ColumnDef::new(ScimUsers::ExternalId).string_len(512).null())
                    // The SCIM attributes the provider sent (JSON), this tenant's own copy: names,
                    // e-mails, the enterprise extension. Identity fields live on `users`.
                    .col(ColumnDef::new(ScimUsers::Attributes).text().not_null())
                    .col(timestamp(ScimUsers::CreatedAt))
                    .col(timestamp(ScimUsers::UpdatedAt))
                    .foreign_key(&mut tenant_fk(ScimUsers::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimUsers::Table, ScimUsers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scim_users_tenant_user")
                    .table(ScimUsers::Table)
                    .col(ScimUsers::TenantId)
                    .col(ScimUsers::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scim_users_tenant_name")
                    .table(ScimUsers::Table)
                    .col(ScimUsers::TenantId)
                    .col(ScimUsers::UserName)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scim_users_tenant_external")
                    .table(ScimUsers::Table)
                    .col(ScimUsers::TenantId)
                    .col(ScimUsers::ExternalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimGroups::Table)
                    .col(uuid_pk(ScimGroups::Id))
                    .col(ColumnDef::new(ScimGroups::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ScimGroups::DisplayName).string_len(256).not_null())
                    .col(ColumnDef::new(ScimGroups::ExternalId).string_len(512).null())
                    .col(timestamp(ScimGroups::CreatedAt))
                    .col(timestamp(ScimGroups::UpdatedAt))
                    .foreign_key(&mut tenant_fk(ScimGroups::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scim_groups_tenant_name")
                    .table(ScimGroups::Table)
                    .col(ScimGroups::TenantId)
                    .col(ScimGroups::DisplayName)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimGroupMembers::Table)
                    .col(uuid_pk(ScimGroupMembers::Id))
                    .col(ColumnDef::new(ScimGroupMembers::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ScimGroupMembers::GroupId).uuid().not_null())
                    .col(ColumnDef::new(ScimGroupMembers::UserId).uuid().not_null())
                    .foreign_key(&mut tenant_fk(ScimGroupMembers::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimGroupMembers::Table, ScimGroupMembers::GroupId)
                            .to(ScimGroups::Table, ScimGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimGroupMembers::Table, ScimGroupMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scim_group_members_group_user")
                    .table(ScimGroupMembers::Table)
                    .col(ScimGroupMembers::GroupId)
                    .col(ScimGroupMembers::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scim_group_members_tenant_user")
                    .table(ScimGroupMembers::Table)
                    .col(ScimGroupMembers::TenantId)
                    .col(ScimGroupMembers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleMappings::Table)
                    .col(uuid_pk(RoleMappings::Id))
                    .col(ColumnDef::new(RoleMappings::TenantId).uuid().not_null())
                    // A group's display name or external id, as SCIM sends it or a groups claim
                    // names it (single sign-on).
                    .col(ColumnDef::new(RoleMappings::GroupName).string_len(512).not_null())
                    .col(ColumnDef::new(RoleMappings::Role).string_len(32).not_null())
                    .col(timestamp(RoleMappings::CreatedAt))
                    .foreign_key(&mut tenant_fk(RoleMappings::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("role_mappings_tenant_group")
                    .table(RoleMappings::Table)
                    .col(RoleMappings::TenantId)
                    .col(RoleMappings::GroupName)
                    .unique()
                    .to_owned(),
            )
            .await?;
        crate::grant(manager, POLICY).await
    }
}

//! OpenID Connect single sign-on per tenant: the tenant's provider (issuer, client, sealed client
//! secret, claim mapping, provisioning and password policy), which provider identity (issuer and
//! subject) is which user, and the sign-ins under way (state, nonce and PKCE verifier, single use).
use crate::{tenant_fk, timestamp, timestamp_null, uuid_pk};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SsoProviders {
    Table,
    Id,
    TenantId,
    DisplayName,
    Issuer,
    ClientId,
    ClientSecretSealed,
    Scopes,
    AllowedDomains,
    EmailClaim,
    NameClaim,
    GroupsClaim,
    JitProvisioning,
    AllowPasswords,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SsoIdentities {
    Table,
    Id,
    TenantId,
    SubjectKey,
    Issuer,
    Subject,
    UserId,
    CreatedAt,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum SsoLogins {
    Table,
    Id,
    TenantId,
    StateHash,
    BrowserHash,
    Nonce,
    PkceVerifier,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum TenantDomains {
    Table,
    Id,
    TenantId,
    Domain,
    Token,
    VerifiedAt,
    VerifiedBy,
    VerifiedDomain,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    SsoTenantId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SsoProviders::Table)
                    .col(uuid_pk(SsoProviders::Id))
                    // One provider per tenant.
                    .col(ColumnDef::new(SsoProviders::TenantId).uuid().not_null().unique_key())
                    // The button's label: "Sign in with <display_name>".
                    .col(ColumnDef::new(SsoProviders::DisplayName).string_len(100).not_null())
                    .col(ColumnDef::new(SsoProviders::Issuer).string_len(2048).not_null())
                    .col(ColumnDef::new(SsoProviders::ClientId).string_len(512).not_null())
                    // Sealed under the master key (`v1:<key id>:…`); NULL for a public client.
                    .col(ColumnDef::new(SsoProviders::ClientSecretSealed).text().null())
                    // Space-separated, `openid` first.
                    .col(ColumnDef::new(SsoProviders::Scopes).string_len(1024).not_null())
                    // Space-separated, lower-case; empty allows any domain.
                    .col(ColumnDef::new(SsoProviders::AllowedDomains).text().not_null())
                    .col(ColumnDef::new(SsoProviders::EmailClaim).string_len(100).not_null())
                    .col(ColumnDef::new(SsoProviders::NameClaim).string_len(100).not_null())
                    // NULL: roles are not taken from the provider.
                    .col(ColumnDef::new(SsoProviders::GroupsClaim).string_len(100).null())
                    .col(ColumnDef::new(SsoProviders::JitProvisioning).boolean().not_null())
                    .col(ColumnDef::new(SsoProviders::AllowPasswords).boolean().not_null())
                    .col(ColumnDef::new(SsoProviders::Enabled).boolean().not_null())
                    .col(timestamp(SsoProviders::CreatedAt))
                    .col(timestamp(SsoProviders::UpdatedAt))
                    .foreign_key(&mut tenant_fk(SsoProviders::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoIdentities::Table)
                    .col(uuid_pk(SsoIdentities::Id))
                    .col(ColumnDef::new(SsoIdentities::TenantId).uuid().not_null())
                    // SHA-256 (hex) of issuer and subject: the lookup key.
                    .col(ColumnDef::new(SsoIdentities::SubjectKey).string_len(64).not_null())
                    .col(ColumnDef::new(SsoIdentities::Issuer).string_len(2048).not_null())
                    .col(ColumnDef::new(SsoIdentities::Subject).string_len(512).not_null())
                    .col(ColumnDef::new(SsoIdentities::UserId).uuid().not_null())
                    .col(timestamp(SsoIdentities::CreatedAt))
                    .col(timestamp_null(SsoIdentities::LastSignInAt))
                    .foreign_key(&mut tenant_fk(SsoIdentities::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoIdentities::Table, SsoIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sso_identities_tenant_subject")
                    .table(SsoIdentities::Table)
                    .col(SsoIdentities::TenantId)
                    .col(SsoIdentities::SubjectKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoLogins::Table)
                    .col(uuid_pk(SsoLogins::Id))
                    .col(ColumnDef::new(SsoLogins::TenantId).uuid().not_null())
                    // SHA-256 (hex) of the `state` sent to the provider.
                    .col(ColumnDef::new(SsoLogins::StateHash).string_len(64).not_null().unique_key())
                    // SHA-256 (hex) of the browser-binding cookie set with the redirect.
                    .col(ColumnDef::new(SsoLogins::BrowserHash).string_len(64).not_null())
                    .col(ColumnDef::new(SsoLogins::Nonce).string_len(128).not_null())
                    .col(ColumnDef::new(SsoLogins::PkceVerifier).string_len(128).not_null())
                    .col(timestamp(SsoLogins::CreatedAt))
                    .col(timestamp(SsoLogins::ExpiresAt))
                    .foreign_key(&mut tenant_fk(SsoLogins::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("sso_logins_expires").table(SsoLogins::Table).col(SsoLogins::ExpiresAt).to_owned(),
            )
            .await?;
        // E-mail domains a tenant claims, and whether it proved it controls them (a DNS TXT record,
        // or the operator's word). Only a verified domain routes sign-ins by e-mail address to the
        // tenant's provider and lets its provider create or adopt accounts (just-in-time).
        manager
            .create_table(
                Table::create()
                    .table(TenantDomains::Table)
                    .col(uuid_pk(TenantDomains::Id))
                    .col(ColumnDef::new(TenantDomains::TenantId).uuid().not_null())
                    .col(ColumnDef::new(TenantDomains::Domain).string_len(253).not_null())
                    // The value the TXT record must hold (random, per claim).
                    .col(ColumnDef::new(TenantDomains::Token).string_len(64).not_null())
                    .col(timestamp_null(TenantDomains::VerifiedAt))
                    // `dns` or `operator`; NULL while pending.
                    .col(ColumnDef::new(TenantDomains::VerifiedBy).string_len(16).null())
                    // The domain again once verified, NULL before: one tenant at most holds a
                    // verified domain (a unique index allows any number of NULLs).
                    .col(ColumnDef::new(TenantDomains::VerifiedDomain).string_len(253).null().unique_key())
                    .col(timestamp(TenantDomains::CreatedAt))
                    .foreign_key(&mut tenant_fk(TenantDomains::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenant_domains_tenant_domain")
                    .table(TenantDomains::Table)
                    .col(TenantDomains::TenantId)
                    .col(TenantDomains::Domain)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenant_domains_domain")
                    .table(TenantDomains::Table)
                    .col(TenantDomains::Domain)
                    .to_owned(),
            )
            .await?;
        // A session a tenant's provider vouched for is bound to that tenant: it cannot switch to
        // the user's other tenants (another tenant's provider never signs anyone into them).
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(ColumnDef::new(Sessions::SsoTenantId).uuid().null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

//! E-mail domains a tenant claims and proves it controls. A tenant admin adds a domain and gets a
//! random token; publishing it as a DNS TXT record at `_confab-challenge.<domain>` and asking for
//! verification proves control (an operator may also vouch for a domain with `confab admin
//! verify-domain`, for installations without public DNS). One tenant at most holds a verified
//! domain.
//!
//! A verified domain is what lets single sign-on act on people the tenant does not already have:
//! sign-in pages route an address of the domain to the tenant's provider, and just-in-time
//! provisioning creates (or adopts) accounts only for addresses of verified domains. Without it, a
//! tenant admin could point any company's domain at a provider they run.

use crate::audit::{self, Actor, NewEntry, action};
use crate::auth::secrets;
use crate::domain::TenantId;
use crate::error::{AppError, AppResult};
use crate::store::sso::TenantDomain;
use crate::store::{self, Store};
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::{ResolveErrorKind, Resolver};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

/// The label under which the TXT record is published.
pub const CHALLENGE_LABEL: &str = "_confab-challenge";
/// The prefix of the TXT record's value.
pub const TXT_PREFIX: &str = "confab-domain-verification=";
/// At most this many domains per tenant.
const MAX_DOMAINS: usize = 50;

/// How a domain was verified.
pub mod by {
    pub const DNS: &str = "dns";
    pub const OPERATOR: &str = "operator";
}

/// The record a tenant admin publishes for a claim.
pub fn txt_name(domain: &str) -> String {
    format!("{CHALLENGE_LABEL}.{domain}")
}

pub fn txt_value(token: &str) -> String {
    format!("{TXT_PREFIX}{token}")
}

fn invalid(reason: impl Into<String>) -> AppError {
    AppError::Validation { field: "domain", reason: reason.into() }
}

/// A domain name as a tenant writes it: lower-case host name with at least two labels (a leading
/// `@` and a trailing `.` dropped). The error is the reason, for the caller's field.
pub fn parse(raw: &str) -> Result<String, String> {
    let d = raw.trim().trim_start_matches('@').trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    if d.len() > 253 || !d.contains('.') || !labels_ok {
        return Err(format!("`{d}` is not a domain name (e.g. example.com)"));
    }
    Ok(d)
}

/// [`parse`] for the `domain` field.
pub fn normalise(raw: &str) -> AppResult<String> {
    parse(raw).map_err(invalid)
}

pub struct DomainService {
    store: Store,
    /// The resolver, or why there is none: a host without a system resolver configuration (a
    /// minimal container image has no `/etc/resolv.conf`) serves on, and verification through DNS
    /// answers 503 saying how to set one.
    resolver: Result<Resolver<TokioConnectionProvider>, String>,
}

impl DomainService {
    /// `nameserver`: the DNS server to ask (`ip:port`); `None` uses the system's configuration.
    pub fn new(store: Store, nameserver: Option<&str>) -> Result<Self, String> {
        let mut builder = match nameserver {
            Some(addr) => {
                let addr: SocketAddr = addr.parse().map_err(|e| format!("auth.domain_dns_server `{addr}`: {e}"))?;
                let group = NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true);
                Resolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], group),
                    TokioConnectionProvider::default(),
                )
            }
            None => match Resolver::builder_tokio() {
                Ok(builder) => builder,
                Err(e) => {
                    let why = format!("the system's DNS configuration cannot be read ({e})");
                    tracing::warn!(
                        "domain verification through DNS is off: {why}; set auth.domain_dns_server \
                         (or verify domains with `confab admin verify-domain`)"
                    );
                    return Ok(Self { store, resolver: Err(why) });
                }
            },
        };
        let opts = builder.options_mut();
        // An admin who just published the record asks again: never answer from a cache.
        opts.cache_size = 0;
        // An unanswering DNS server is a 503 within about ten seconds (three tries of three), not
        // a request that hangs.
        opts.timeout = Duration::from_secs(3);
        opts.attempts = 2;
        Ok(Self { store, resolver: Ok(builder.build()) })
    }

    pub async fn list(&self, tenant: TenantId) -> AppResult<Vec<TenantDomain>> {
        store::sso::domains(self.store.conn(), tenant).await
    }

    /// Claims a domain for the tenant (pending until verified). Claiming one the tenant already
    /// has answers that claim.
    pub async fn claim(&self, tenant: TenantId, actor: &Actor, raw: &str) -> AppResult<TenantDomain> {
        let domain = normalise(raw)?;
        let txn = self.store.begin().await?;
        if let Some(existing) = store::sso::domain(&*txn, tenant, &domain).await? {
            return Ok(existing);
        }
        if store::sso::domains(&*txn, tenant).await?.len() >= MAX_DOMAINS {
            return Err(invalid(format!("a tenant claims at most {MAX_DOMAINS} domains")));
        }
        let claimed = store::sso::insert_domain(&*txn, tenant, &domain, &secrets::random_token()).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(tenant), actor, action::DOMAIN_CLAIMED)
                .target("tenant_domain", claimed.id)
                .details(json!({ "domain": domain })),
        )
        .await?;
        txn.commit().await?;
        Ok(claimed)
    }

    /// Looks the challenge record up and, when it holds the claim's token, marks the domain
    /// verified. A failed check is a 422 saying what was found, and changes nothing.
    pub async fn verify(&self, tenant: TenantId, actor: &Actor, raw: &str) -> AppResult<TenantDomain> {
        let domain = normalise(raw)?;
        let claim =
            store::sso::domain(self.store.conn(), tenant, &domain).await?.ok_or(AppError::NotFound("domain"))?;
        if claim.verified_at.is_some() {
            return Ok(claim);
        }
        let name = txt_name(&domain);
        let expected = txt_value(&claim.token);
        let resolver = self.resolver.as_ref().map_err(|why| {
            AppError::Unavailable(format!(
                "DNS lookups are not available on this server: {why}; the operator can set \
                 auth.domain_dns_server, or verify the domain with `confab admin verify-domain`"
            ))
        })?;
        let found = match resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => lookup
                .iter()
                .map(|txt| txt.txt_data().iter().map(|part| String::from_utf8_lossy(part)).collect::<String>())
                .collect::<Vec<_>>(),
            // "No such name" and "no TXT records" are answers. A server failure or refusal is not,
            // although hickory reports them as "no records found" too.
            Err(e)
                if matches!(e.kind(), ResolveErrorKind::Proto(p) if matches!(
                    p.kind(),
                    ProtoErrorKind::NoRecordsFound { response_code: ResponseCode::NXDomain | ResponseCode::NoError, .. }
                )) =>
            {
                vec![]
            }
            Err(e) => {
                tracing::info!(%domain, error = %e, "domain verification: DNS lookup failed");
                return Err(AppError::Unavailable(format!("the DNS lookup of {name} failed; try again later")));
            }
        };
        if !found.iter().any(|v| v.trim() == expected) {
            let reason = if found.is_empty() {
                format!("no TXT record at {name} yet (DNS changes can take a while to appear)")
            } else {
                format!("the TXT records at {name} do not include {expected}")
            };
            return Err(invalid(reason));
        }
        self.mark_verified(tenant, actor, &claim, by::DNS).await
    }

    /// An operator vouches for a claimed domain (no DNS check), e.g. on an installation without
    /// public DNS.
    pub async fn verify_by_operator(&self, tenant: TenantId, actor: &Actor, raw: &str) -> AppResult<TenantDomain> {
        let domain = normalise(raw)?;
        let claim = match store::sso::domain(self.store.conn(), tenant, &domain).await? {
            Some(c) => c,
            None => self.claim(tenant, actor, &domain).await?,
        };
        if claim.verified_at.is_some() {
            return Ok(claim);
        }
        self.mark_verified(tenant, actor, &claim, by::OPERATOR).await
    }

    async fn mark_verified(
        &self,
        tenant: TenantId,
        actor: &Actor,
        claim: &TenantDomain,
        how: &str,
    ) -> AppResult<TenantDomain> {
        let txn = self.store.begin().await?;
        if store::sso::verified_owner(&*txn, &claim.domain).await?.is_some_and(|owner| owner != tenant) {
            return Err(AppError::Conflict(format!("{} is already verified by another tenant", claim.domain)));
        }
        store::sso::mark_domain_verified(&*txn, tenant, &claim.domain, how).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(tenant), actor, action::DOMAIN_VERIFIED)
                .target("tenant_domain", claim.id)
                .details(json!({ "domain": claim.domain, "verified_by": how })),
        )
        .await?;
        // A race with another tenant verifying it meets the unique index (a 409).
        txn.commit().await?;
        store::sso::domain(self.store.conn(), tenant, &claim.domain).await?.ok_or(AppError::NotFound("domain"))
    }

    pub async fn remove(&self, tenant: TenantId, actor: &Actor, raw: &str) -> AppResult<()> {
        let domain = normalise(raw)?;
        let txn = self.store.begin().await?;
        let claim = store::sso::domain(&*txn, tenant, &domain).await?.ok_or(AppError::NotFound("domain"))?;
        store::sso::delete_domain(&*txn, tenant, &domain).await?;
        audit::record(
            &*txn,
            NewEntry::new(Some(tenant), actor, action::DOMAIN_REMOVED)
                .target("tenant_domain", claim.id)
                .details(json!({ "domain": domain, "was_verified": claim.verified_at.is_some() })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn domains_are_normalised_host_names() {
        assert_eq!(normalise(" @Acme.Example. ").unwrap(), "acme.example");
        assert!(normalise("localhost").is_err());
        assert!(normalise("bad_domain.com").is_err());
        assert!(normalise("-x.com").is_err());
        assert!(normalise("a..b").is_err());
    }

    #[test]
    fn the_record_is_named_after_the_domain() {
        assert_eq!(txt_name("acme.example"), "_confab-challenge.acme.example");
        assert_eq!(txt_value("abc"), "confab-domain-verification=abc");
    }
}

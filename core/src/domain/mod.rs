//! Values parsed at the boundary, so the core never handles a raw string where it means an id,
//! an e-mail address, a tenant slug or a role.

mod principal;
mod quota;
mod scope;

pub use principal::{ActiveTenant, Credential, Principal, Surface};
pub use quota::{Period, QuotaRefusal};
pub use scope::{PlatformScope, TenantScope};

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(TenantId, "A tenant (a casbin domain).");
id_type!(UserId, "A user identity, which may belong to several tenants.");
id_type!(SessionId, "A browser session.");
id_type!(ApiTokenId, "An API token.");
id_type!(ConversationId, "A conversation (owned by one user in one tenant).");
id_type!(MessageId, "A message in a conversation's tree.");
id_type!(PresetId, "A preset: a tenant's (admin-managed) or a user's personal one.");
id_type!(PresetVersionId, "One immutable version of a preset; conversations pin one.");
id_type!(AuditSinkId, "A SIEM sink that the audit log is streamed to.");
id_type!(FileId, "An uploaded file (an attachment), owned by one user in one tenant.");
id_type!(ChoiceSetId, "Several answers to one message, generated at once; the user picks one.");

/// Why a value was refused at the boundary: the field and a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

impl Invalid {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}

/// A syntactically valid e-mail address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_lowercase();
        let bad = || Invalid::new("email", "must be an e-mail address such as ada@example.com");
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant's URL-safe short name: 2–63 lower-case letters, digits and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = (2..=63).contains(&raw.len())
            && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(Invalid::new("slug", "must be 2–63 lower-case letters, digits or inner hyphens"))
        }
    }

    /// A slug derived from a display name ("Acme Corp." → "acme-corp").
    pub fn from_name(name: &str) -> Result<Self, Invalid> {
        let mut slug = String::new();
        for c in name.trim().to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.trim_end_matches('-').chars().take(63).collect();
        Self::parse(slug.trim_end_matches('-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A non-empty display name of at most `max` characters, trimmed.
pub fn display_name(field: &'static str, raw: &str, max: usize) -> Result<String, Invalid> {
    let value = raw.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(Invalid::new(field, format!("must be 1–{max} printable characters")));
    }
    Ok(value.to_string())
}

/// A tenant role. Ordered: every role may do what the roles below it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Auditor,
    TenantAdmin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Member, Role::Auditor, Role::TenantAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Auditor => "auditor",
            Role::TenantAdmin => "tenant_admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| Invalid::new("role", "must be one of member, auditor, tenant_admin"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the OpenAI-compatible endpoint keeps of the calls made with an API token. The usage
/// event (tokens and cost, which quotas count) is kept whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepMode {
    /// Nothing beyond the usage event.
    Nothing,
    /// An audit entry per call: model, tokens, cost, outcome; never content.
    #[default]
    Metadata,
    /// The audit entry, and the exchange as a conversation in the user's history.
    Conversation,
}

impl KeepMode {
    pub const ALL: [KeepMode; 3] = [KeepMode::Nothing, KeepMode::Metadata, KeepMode::Conversation];

    pub fn as_str(self) -> &'static str {
        match self {
            KeepMode::Nothing => "nothing",
            KeepMode::Metadata => "metadata",
            KeepMode::Conversation => "conversation",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        KeepMode::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| Invalid::new("keep", "must be one of nothing, metadata, conversation"))
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    System,
    User,
    Assistant,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::System => "system",
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
        }
    }

    pub fn from_db(raw: &str) -> Self {
        match raw {
            "system" => MessageRole::System,
            "assistant" => MessageRole::Assistant,
            _ => MessageRole::User,
        }
    }
}

/// Where a message is in its lifecycle:
/// `queued → streaming → completed | cancelled | failed | partial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Streaming,
    Completed,
    Cancelled,
    Failed,
    /// The stream broke after some output; the user can continue it.
    Partial,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Streaming => "streaming",
            MessageStatus::Completed => "completed",
            MessageStatus::Cancelled => "cancelled",
            MessageStatus::Failed => "failed",
            MessageStatus::Partial => "partial",
        }
    }

    pub fn from_db(raw: &str) -> Self {
        match raw {
            "queued" => MessageStatus::Queued,
            "streaming" => MessageStatus::Streaming,
            "completed" => MessageStatus::Completed,
            "cancelled" => MessageStatus::Cancelled,
            "partial" => MessageStatus::Partial,
            _ => MessageStatus::Failed,
        }
    }

    pub fn is_terminal(self) -> bool {
        !matches!(self, MessageStatus::Queued | MessageStatus::Streaming)
    }
}

/// Whether a tenant, user or membership may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Disabled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Disabled => "disabled",
        }
    }

    pub fn from_db(raw: &str) -> Self {
        if raw == "active" { Status::Active } else { Status::Disabled }
    }
}

/// A new password that passed the installation's policy. Never logged, never `Debug`-printed.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str, min_len: usize, email: Option<&Email>) -> Result<Self, Invalid> {
        let chars = raw.chars().count();
        if chars < min_len {
            return Err(Invalid::new("password", format!("must be at least {min_len} characters")));
        }
        if chars > 1024 {
            return Err(Invalid::new("password", "must be at most 1024 characters"));
        }
        let distinct: std::collections::HashSet<char> = raw.chars().collect();
        if distinct.len() < 5 {
            return Err(Invalid::new("password", "is too simple: use more different characters"));
        }
        if let Some(email) = email {
            let local = email.as_str().split('@').next().unwrap_or_default();
            if raw.to_lowercase().contains(email.as_str()) || (local.len() >= 4 && raw.to_lowercase() == local) {
                return Err(Invalid::new("password", "must not contain the e-mail address"));
            }
        }
        const COMMON: &[&str] = &["password1234", "123456789012", "qwertyuiopas", "passwordpassword", "letmein12345"];
        if COMMON.contains(&raw.to_lowercase().as_str()) {
            return Err(Invalid::new("password", "is too common"));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Ada@Example.COM ").map(|e| e.0), Ok("ada@example.com".into()));
        for bad in
            ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "a@@example.com", "a@example..com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(TenantSlug::from_name("Acme Corp.").map(|s| s.0), Ok("acme-corp".into()));
        assert!(TenantSlug::parse("-acme").is_err());
        assert!(TenantSlug::parse("Acme").is_err());
        assert!(TenantSlug::parse("a").is_err());
    }

    #[test]
    fn passwords() {
        let email = Email::parse("ada@example.com").ok();
        assert!(NewPassword::parse("short", 12, None).is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaaaaaa", 12, None).is_err());
        assert!(NewPassword::parse("ada@example.com!!", 12, email.as_ref()).is_err());
        assert!(NewPassword::parse("correct horse battery", 12, email.as_ref()).is_ok());
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::TenantAdmin > Role::Auditor && Role::Auditor > Role::Member);
        assert_eq!(Role::parse("tenant_admin"), Ok(Role::TenantAdmin));
        assert!(Role::parse("platform_admin").is_err());
    }
}

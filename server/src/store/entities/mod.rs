//! sea-orm entities, one per table. Private to `store`: the rest of the server sees repositories.
pub mod api_token;
pub mod audit_chain;
pub mod audit_log;
pub mod casbin_rule;
pub mod conversation;
pub mod idempotency_key;
pub mod membership;
pub mod message;
pub mod policy_version;
pub mod provider_key;
pub mod session;
pub mod setup_token;
pub mod tenant;
pub mod tenant_model;
pub mod user;

//! sea-orm entities, one per table. Private to `store`: the rest of the server sees repositories.
pub mod api_token;
pub mod audit_chain;
pub mod audit_log;
pub mod casbin_rule;
pub mod membership;
pub mod policy_version;
pub mod session;
pub mod setup_token;
pub mod tenant;
pub mod user;

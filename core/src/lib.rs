//! Confab's core: everything a turn needs except HTTP.
//!
//! Layout (one folder per concern): `domain` ids, roles and the types every layer shares;
//! `store` persistence (sea-orm, tenant-scoped repositories); `auth` sessions and tokens; `authz`
//! casbin policy; `accounts` tenants and users; `audit` the hash-chained log; `limits` rate limits
//! and quotas; `usage` usage events and budgets; `providers` upstream model adapters; `presets`;
//! `plugins` the wasm plugin service; `chat` conversations and the turn engine; `files` attachments (uploads, sniffing, extraction, the file store); `shares`;
//! `retention` policies, legal holds, the purge and erasure; `search` SQL full-text and OpenSearch; `siem` streaming of the audit log to SIEM sinks; `cluster` Redis for several replicas; `telemetry` OpenTelemetry traces; `config`.
//! Nothing here depends on poem: `confab-server` puts HTTP on top.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod context;
pub mod crashpoint;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod files;
pub mod identity;
pub mod key_rotation;
pub mod limits;
pub mod metrics;
pub mod personal;
pub mod plugins;
pub mod presets;
pub mod providers;
pub mod retention;
pub mod search;
pub mod shares;
pub mod siem;
pub mod store;
pub mod telemetry;
pub mod usage;

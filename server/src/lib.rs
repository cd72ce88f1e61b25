//! Confab's server: the `confab` binary's library.
//!
//! Layout (one folder per concern; `app.rs` wires them): `api/` HTTP surface, `auth/` sessions and
//! tokens, `authz/` casbin policy, `accounts/` tenants and users, `audit/` the hash-chained log,
//! `limits/` rate limits, `store/` persistence, `config.rs` configuration.

pub mod accounts;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod chat;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod context;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod plugins;
pub mod presets;
pub mod providers;
pub mod search;
pub mod shares;
pub mod store;
pub mod usage;
pub mod web;

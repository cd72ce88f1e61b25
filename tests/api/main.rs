//! Confab's end-to-end suite: one binary, a module per area. Each test spawns the real server
//! and runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod auth;
mod authz;
mod chat;
mod choices;
mod cli;
mod console;
mod files;
mod input;
mod oidc;
mod openai;
mod opensearch;
mod personal;
mod plugins;
mod presets;
mod private;
mod retention;
mod scale;
mod scim;
mod search;
mod shares;
mod siem;
mod system;
mod telemetry;
mod telemetry_traces;
mod tokens;
mod upgrade;
mod upstream;
mod usage;

//! Confab's server: HTTP on top of `confab-core`, and the `confab` binary's library.
//!
//! `api/` the OpenAPI-described HTTP surface (the one place that maps errors to HTTP), `web` the
//! server-rendered pages and the web chat's files, `cookie` the session cookie both use, `state`
//! every core service built once, `openai` the OpenAI-compatible endpoint, `serve` the HTTP server around them, `cli` the command line.

pub mod api;
pub mod cli;
pub mod cookie;
pub mod openai;
pub mod scim;
pub mod serve;
pub mod state;
pub mod web;

//! `confab-sdk-e2e-server`: the real parts that the SDKs' and the OpenAI-compatible endpoint's
//! tests outside Rust (`openapi/sdks/python`, `openapi/sdks/typescript`, `tests/openai`,
//! `tests/schemathesis`) run against. It starts the scripted upstream (in this process) and a
//! `confab serve` process wired to it, seeds tenants, users and API tokens, prints one JSON line
//! with the URLs and secrets, and runs until its standard input closes.
//!
//! Usage: `confab-sdk-e2e-server [--postgres]`. `CONFAB_BIN` picks the server binary.
//!
//! The printed line:
//! ```json
//! { "base": "http://127.0.0.1:…", "upstream": "http://127.0.0.1:…",
//!   "models": ["gpt-4o", "claude", …],
//!   "admin":        { "email", "password", "token" },   // tenant admin of acme
//!   "member":       { "email", "password", "token" },   // member of acme
//!   "auditor":      { "email", "password", "token" },   // auditor of acme
//!   "quota_user":   { "email", "password", "token" },   // member of acme with a token budget of 0
//!   "other_tenant": { "email", "password", "token" },  // tenant admin of globex
//!   // For the OpenAI-compatible endpoint (tests/openai):
//!   "acme_preset": "preset/<id>",                      // a tenant preset of acme (model claude)
//!   "other_tenant_models": ["globex-only", "preset/<id>"], // globex's own model and preset
//!   "plugin_tenant": { "email", "password", "token" }  // tenant admin of initech, whose chain
//!                                                       // runs the example pii-redactor
//! }
//! ```
//! The pii-redactor comes from `plugins/dist` (plugins/build.sh); without it `plugin_tenant` is
//! null.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use confab_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, Backend, Options, PASSWORD, ScriptedUpstream, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Read;

#[derive(Parser, Debug)]
struct Args {
    /// Run on PostgreSQL (`TEST_PG_URL`, as the Rust tests) instead of SQLite.
    #[arg(long)]
    postgres: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default()
        .upstream(&upstream)
        // SDK tests send many turns quickly; the limiter is tested elsewhere.
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "100000")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_TENANT", "100000")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_IP", "100000");
    let backend = if args.postgres { Backend::Postgres } else { Backend::Sqlite };
    let app = TestApp::spawn_with(backend, opts).await;

    let admin = app.admin().await;
    let (admin_token, _) = admin.create_token(json!({ "name": "sdk-tests" })).await;

    let member_email = "alice@acme.example";
    app.create_user(&admin, member_email, "member").await;
    let member = app.login(member_email, PASSWORD).await;
    let (member_token, _) = member.create_token(json!({ "name": "sdk-tests" })).await;

    // An auditor (read-only audit and usage), for the chaos suite's schemathesis run per role.
    let auditor_email = "audrey@acme.example";
    app.create_user(&admin, auditor_email, "auditor").await;
    let auditor = app.login(auditor_email, PASSWORD).await;
    let (auditor_token, _) = auditor.create_token(json!({ "name": "sdk-tests" })).await;

    // A member whose token budget is spent, to see a quota refusal.
    let quota_email = "carol@acme.example";
    let carol = app.create_user(&admin, quota_email, "member").await;
    put_ok(
        &admin,
        "/v1/tenant/quotas",
        json!({ "subject": "user", "user_id": carol, "period": "day", "token_limit": 0 }),
    )
    .await;
    let quota = app.login(quota_email, PASSWORD).await;
    let (quota_token, _) = quota.create_token(json!({ "name": "sdk-tests" })).await;

    let (_, globex) = app.second_tenant("globex").await;
    let (globex_token, _) = globex.create_token(json!({ "name": "sdk-tests" })).await;

    // The OpenAI-compatible endpoint's suite: a preset in acme, a model and a preset only globex
    // has, and a tenant whose plugin chain redacts personal data.
    let acme_preset = create_preset(
        &admin,
        json!({ "source": "tenant", "name": "SDK reviewer", "model": "claude", "system_prompt": "You review code." }),
    )
    .await;
    let globex_model = json!({ "provider": "openai", "upstream_model": "gpt-4o", "display_name": "Globex only",
        "context_window": 8000, "max_output_tokens": 100, "input_price_per_million": 0, "output_price_per_million": 0 });
    put_ok(&globex, "/v1/models/globex-only", globex_model).await;
    let globex_preset = create_preset(&globex, json!({ "source": "tenant", "name": "Globex preset" })).await;
    let plugin_tenant = match pii_redactor() {
        Some((manifest, component)) => {
            let resp = admin.post("/v1/plugins", json!({ "manifest": manifest, "component_base64": component })).await;
            assert_eq!(resp.status(), StatusCode::CREATED, "uploading pii-redactor: {}", resp.text().await.unwrap());
            let (_, initech) = app.second_tenant("initech").await;
            put_ok(
                &initech,
                "/v1/tenant/plugins/pii-redactor",
                json!({ "version": manifest["version"], "enabled": true }),
            )
            .await;
            let (token, _) = initech.create_token(json!({ "name": "sdk-tests" })).await;
            json!({ "email": "admin@initech.example", "password": PASSWORD, "token": token })
        }
        None => Value::Null,
    };

    let models: Vec<Value> = member.get_json("/v1/models").await["items"]
        .as_array()
        .map(|items| items.iter().map(|m| m["id"].clone()).collect())
        .unwrap_or_default();

    println!(
        "{}",
        json!({
            "base": app.base,
            "upstream": upstream.base_url(),
            "models": models,
            "admin": { "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "token": admin_token },
            "member": { "email": member_email, "password": PASSWORD, "token": member_token },
            "auditor": { "email": auditor_email, "password": PASSWORD, "token": auditor_token },
            "quota_user": { "email": quota_email, "password": PASSWORD, "token": quota_token },
            "other_tenant": { "email": "admin@globex.example", "password": PASSWORD, "token": globex_token },
            "acme_preset": acme_preset,
            "other_tenant_models": ["globex-only", globex_preset],
            "plugin_tenant": plugin_tenant,
        })
    );
    // Serve until the test runner closes our standard input (or dies).
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
    drop(app);
    drop(upstream);
}

/// Creates a preset; returns its name as a model of the OpenAI-compatible endpoint.
async fn create_preset(api: &Api, body: Value) -> String {
    let resp = api.post("/v1/presets", body).await;
    let status = resp.status();
    let preset: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "creating a preset: {preset}");
    format!("preset/{}", preset["id"].as_str().unwrap())
}

/// The example pii-redactor as plugins/build.sh built it (manifest, component in base64).
fn pii_redactor() -> Option<(Value, String)> {
    use base64::Engine;
    let dist = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins/dist");
    let manifest: Value = serde_json::from_slice(&std::fs::read(dist.join("pii-redactor.manifest.json")).ok()?).ok()?;
    let component = std::fs::read(dist.join(format!("pii-redactor-{}.wasm", manifest["version"].as_str()?))).ok()?;
    Some((manifest, base64::engine::general_purpose::STANDARD.encode(component)))
}

async fn put_ok(api: &Api, path: &str, body: Value) {
    let resp = api.put(path, body).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status == StatusCode::OK || status == StatusCode::CREATED, "PUT {path}: {status} {text}");
}

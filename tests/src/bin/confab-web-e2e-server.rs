//! `confab-web-e2e-server`: the real parts the web chat's end-to-end tests (`web/e2e/`) run
//! against. It starts the scripted upstream (in this process) and a `confab serve` process wired to
//! it and serving the built web chat, seeds the accounts the tests sign in with, prints one JSON
//! line with the URLs and credentials, and runs until its standard input closes.
//!
//! Usage: `confab-web-e2e-server --web-dir web/dist [--admin-dir admin/dist] [--long-turns 500]`.
//! The admin console (`admin_base`) is served on its own listener; the admin console's tests
//! (`admin/e2e/`) use the same server, with an auditor and a plain member besides.
//!
//! Single sign-on: a third tenant, `initech`, signs in through a real OpenID provider (panva's
//! `oidc-provider`, `tests/oidc`; `npm ci` there first) with just-in-time provisioning and the
//! group `initech-admins` mapped to tenant admin; its domain `initech.example` is verified through
//! a DNS server in this process (`sso` in the printed JSON). While it runs, a line
//! `txt <name> <value>…` on standard input publishes TXT records there (domain verification in the
//! admin console); closing standard input stops everything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use confab_tests::dns::DnsServer;
use confab_tests::oidc::OidcProvider;
use confab_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, Options, PASSWORD, ScriptedUpstream, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Parser, Debug)]
struct Args {
    /// The built web chat (`npm run build`).
    #[arg(long)]
    web_dir: PathBuf,
    /// The built admin console (`npm run build` in `admin/`).
    #[arg(long)]
    admin_dir: Option<PathBuf>,
    /// Turns of the long conversation seeded for the scrolling test (two messages each).
    #[arg(long, default_value_t = 0)]
    long_turns: usize,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let web_dir = std::fs::canonicalize(&args.web_dir).expect("the web directory exists");
    let upstream = ScriptedUpstream::start().await;
    let dns = DnsServer::start().await;
    let (dns_var, dns_addr) = dns.env();
    let mut opts = Options::default().env(&dns_var, &dns_addr);
    if let Some(dir) = &args.admin_dir {
        let dir = std::fs::canonicalize(dir).expect("the admin console directory exists");
        // On its own listener, and mounted at /admin/ on the main one too.
        opts = opts.env("CONFAB_ADMIN__DIR", dir.to_str().unwrap()).env("CONFAB_ADMIN__MOUNT_ON_MAIN", "true");
    }
    let opts = opts
        .upstream(&upstream)
        .env("CONFAB_SERVER__WEB_DIR", web_dir.to_str().unwrap())
        // Tenant admins can store provider keys (encrypted with it) in the console.
        .env("CONFAB_SECRETS__MASTER_KEY", "Y29uZmFiLWUyZS1tYXN0ZXIta2V5LTMyLWJ5dGVzISE=")
        // The tests send many turns quickly; the limiter is tested elsewhere.
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "100000")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_TENANT", "100000")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_IP", "100000");
    let app = TestApp::spawn_with(Backend::Sqlite, opts).await;
    let admin = app.admin().await;

    // A member whose token budget is spent, to see a quota refusal.
    let quota_email = "carol@acme.example";
    let carol = app.create_user(&admin, quota_email, "member").await;
    let resp = admin
        .put("/v1/tenant/quotas", json!({ "subject": "user", "user_id": carol, "period": "day", "token_limit": 0 }))
        .await;
    assert!(resp.status().is_success(), "setting carol's quota: {}", resp.text().await.unwrap());

    // Link shares are off until a tenant admin allows them.
    let resp = admin.put("/v1/tenant/sharing", json!({ "links_allowed": true })).await;
    assert!(resp.status().is_success(), "allowing link shares: {}", resp.text().await.unwrap());

    // Another tenant, for "a user of another tenant cannot read a tenant share".
    let (_, _other) = app.second_tenant("globex").await;

    // A member of both tenants, for the tenant switcher.
    let both_email = "dave@acme.example";
    app.create_user(&admin, both_email, "member").await;
    let out = app.cli(&["admin", "create-user", "--tenant", "globex", "--email", both_email, "--role", "member"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The running server notices memberships made elsewhere within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // A user with more conversations than one page of the list holds.
    let many_email = "erin@acme.example";
    app.create_user(&admin, many_email, "member").await;
    let erin = app.login(many_email, PASSWORD).await;
    for i in 1..=45 {
        let (s, body) =
            erin.send(reqwest::Method::POST, "/v1/conversations", Some(json!({ "title": format!("Topic {i}") }))).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }

    // The admin console's read-only auditor and a member it turns away.
    let auditor_email = "audrey@acme.example";
    app.create_user(&admin, auditor_email, "auditor").await;
    let member_email = "mike@acme.example";
    app.create_user(&admin, member_email, "member").await;

    let sso = seed_sso(&app, &dns).await;

    let long_conversation = if args.long_turns > 0 { Some(seed_long(&admin, args.long_turns).await) } else { None };

    println!(
        "{}",
        json!({
            "base": app.base,
            "admin_base": app.admin_base,
            "upstream": upstream.base_url(),
            "admin": { "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD },
            "quota_user": { "email": quota_email, "password": PASSWORD },
            "auditor": { "email": auditor_email, "password": PASSWORD },
            "member": { "email": member_email, "password": PASSWORD },
            "other_tenant_user": { "email": "admin@globex.example", "password": PASSWORD },
            "two_tenant_user": { "email": both_email, "password": PASSWORD },
            "many_conversations_user": { "email": many_email, "password": PASSWORD },
            "long_conversation": long_conversation,
            "sso": sso.json,
        })
    );
    // Serve until the test runner closes our standard input (or dies); `txt` lines publish DNS
    // records meanwhile.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        let mut words = line.split_whitespace();
        if words.next() == Some("txt")
            && let Some(name) = words.next()
        {
            let values: Vec<&str> = words.collect();
            dns.set_txt(name, &values);
        }
    }
    drop(sso.provider);
    drop(app);
    drop(upstream);
}

struct Sso {
    provider: OidcProvider,
    json: serde_json::Value,
}

/// The `initech` tenant on single sign-on: its admin, the group mapping, the verified domain and
/// the provider (a public client: PKCE without a secret).
async fn seed_sso(app: &TestApp, dns: &DnsServer) -> Sso {
    let (_, initech_admin) = app.second_tenant("initech").await;
    let provider = OidcProvider::start(
        json!([{ "client_id": "confab-initech", "redirect_uris": [app.url("/v1/auth/oidc/callback")],
                 "post_logout_redirect_uris": [app.url("/")] }]),
        json!({
            // Logins are the e-mail addresses (the sign-in page passes the typed one on as
            // `login_hint`, which the provider's form fills in).
            "sam@initech.example": { "email": "sam@initech.example", "name": "Sam Lumbergh", "groups": ["everyone"] },
            "pat@initech.example": { "email": "pat@initech.example", "name": "Pat Bolton", "groups": ["initech-admins"] },
        }),
    );
    let (s, claim) = initech_admin
        .send(reqwest::Method::POST, "/v1/tenant/domains", Some(json!({ "domain": "initech.example" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{claim}");
    dns.set_txt(claim["txt_name"].as_str().unwrap(), &[claim["txt_value"].as_str().unwrap()]);
    let (s, v) = initech_admin.send(reqwest::Method::POST, "/v1/tenant/domains/initech.example/verify", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = initech_admin
        .send(
            reqwest::Method::PUT,
            "/v1/tenant/role-mappings",
            Some(json!({ "mappings": [{ "group": "initech-admins", "role": "tenant_admin" }] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = initech_admin
        .send(
            reqwest::Method::PUT,
            "/v1/tenant/sso",
            Some(json!({
                "display_name": "Initech SSO", "issuer": provider.issuer, "client_id": "confab-initech",
                "scopes": ["openid", "email", "profile", "groups"], "allowed_domains": ["initech.example"],
                "groups_claim": "groups", "jit_provisioning": true,
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let json = json!({
        "tenant": "initech",
        "issuer": provider.issuer,
        "admin": { "email": "admin@initech.example", "password": PASSWORD },
        // Logins at the provider (its development form takes any password).
        "member_login": "sam@initech.example", "member_email": "sam@initech.example",
        "admin_login": "pat@initech.example", "admin_email": "pat@initech.example",
        "admin_group": "initech-admins",
    });
    Sso { provider, json }
}

/// A conversation of `turns` question/answer pairs, sent one after another.
async fn seed_long(admin: &confab_tests::Api, turns: usize) -> String {
    let (s, body) = admin
        .send(reqwest::Method::POST, "/v1/conversations", Some(json!({ "title": "A very long conversation" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    for i in 0..turns {
        let body = json!({
            "content": format!("Question number {i}: what comes next? [upstream tokens=12]"),
            "model": "gpt-4o",
        });
        // Asking for the event stream and reading it to the end waits for the answer.
        let resp = admin.stream(&format!("/v1/conversations/{id}/messages"), &format!("long-{i}"), body).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let events = resp.text().await.unwrap();
        assert!(events.contains("message.completed"), "{events}");
    }
    id
}

//! OpenID Connect single sign-on per tenant, against a real provider (panva's OpenID-certified
//! `oidc-provider`, `tests/oidc/provider.mjs`) for the flows that should work, and against a
//! small Rust issuer under the test's control (`confab_tests::oidc::TestIssuer`) for the ID
//! tokens a certified provider never issues: wrong audience or issuer, expired, replayed nonce,
//! tampered signature, unknown key — and for key rotation.
use confab_tests::dns::{DnsMode, DnsServer};
use confab_tests::oidc::{Bad, Browser, IssuerUser, OidcProvider, SignIn, TestIssuer};
use confab_tests::*;
use hickory_proto::op::ResponseCode;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const MASTER_KEY: &str = "c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=";
const START: &str = "/v1/auth/oidc/acme/start";

/// A server with a master key (client secrets) whose domain verification asks `dns`.
async fn spawn(b: Backend) -> (TestApp, DnsServer) {
    let dns = DnsServer::start().await;
    let (k, v) = dns.env();
    let app =
        TestApp::spawn_with(b, Options::default().env("CONFAB_SECRETS__MASTER_KEY", MASTER_KEY).env(&k, &v)).await;
    (app, dns)
}

/// Claims `domain` for the admin's tenant, publishes its TXT record and verifies it.
async fn verify_domain(dns: &DnsServer, admin: &Api, domain: &str) -> Value {
    let (s, claim) = admin.send(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": domain }))).await;
    assert_eq!(s, StatusCode::CREATED, "{claim}");
    dns.set_txt(claim["txt_name"].as_str().unwrap(), &[claim["txt_value"].as_str().unwrap()]);
    let (s, v) = admin.send(Method::POST, &format!("/v1/tenant/domains/{domain}/verify"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], true, "{v}");
    v
}

fn user(login: &str, groups: &[&str]) -> Value {
    json!({ "email": format!("{login}@acme.example"), "name": login.to_uppercase(), "groups": groups })
}

async fn configure(admin: &Api, body: Value) -> Value {
    let (s, v) = admin.send(Method::PUT, "/v1/tenant/sso", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn me(api: &Api) -> (StatusCode, Value) {
    api.send(Method::GET, "/v1/me", None).await
}

async fn audit(admin: &Api, action: &str) -> Vec<Value> {
    let page = admin.get_json(&format!("/v1/audit?action={action}&limit=200")).await;
    page["items"].as_array().cloned().unwrap_or_default()
}

/// Sign-in through the certified provider: just-in-time accounts, roles from the groups claim
/// re-evaluated at every sign-in (a user dropped from the admin group loses the role and their
/// other sessions), password sign-in refused when the tenant says so (platform admins excepted,
/// audited), RP-initiated logout, and no single sign-on into a platform admin's account.
async fn signs_in_through_a_certified_provider(b: Backend) {
    let (app, dns) = spawn(b).await;
    let admin = app.admin().await;
    let provider = OidcProvider::start(
        json!([{ "client_id": "confab-acme", "client_secret": "acme-secret-1",
                 "redirect_uris": [app.url("/v1/auth/oidc/callback")],
                 "post_logout_redirect_uris": [app.url("/")] }]),
        json!({ "alice": user("alice", &["confab-admins"]), "bob": user("bob", &[]),
                "root": { "email": ADMIN_EMAIL, "name": "Root" } }),
    );
    let (s, v) = admin
        .send(
            Method::PUT,
            "/v1/tenant/role-mappings",
            Some(json!({ "mappings": [{ "group": "confab-admins", "role": "tenant_admin" }] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    verify_domain(&dns, &admin, "acme.example").await;
    let view = configure(
        &admin,
        json!({
            "display_name": "Acme IdP", "issuer": provider.issuer, "client_id": "confab-acme",
            "client_secret": "acme-secret-1", "scopes": ["openid", "email", "profile", "groups"],
            "allowed_domains": ["acme.example"], "groups_claim": "groups", "jit_provisioning": true,
        }),
    )
    .await;
    assert_eq!(view["has_client_secret"], true);
    assert_eq!(view["redirect_uri"], app.url("/v1/auth/oidc/callback"));
    let text = admin.get("/v1/tenant/sso").await.text().await.unwrap();
    assert!(!text.contains("acme-secret-1"), "the secret is write-only: {text}");

    // Which button: by the e-mail's domain only.
    let anon = app.anonymous();
    let d = anon.get_json("/v1/auth/oidc/discover?email=someone%40ACME.example").await;
    assert_eq!(d["sso"]["tenant_slug"], "acme", "{d}");
    assert_eq!(d["sso"]["display_name"], "Acme IdP");
    assert_eq!(d["sso"]["start_url"], START);
    let d = anon.get_json("/v1/auth/oidc/discover?email=someone%40elsewhere.example").await;
    assert!(d["sso"].is_null(), "{d}");
    let d = anon.get_json("/v1/auth/oidc/discover?tenant=acme").await;
    assert_eq!(d["sso"]["passwords_allowed"], true, "{d}");

    // Alice: a new account, tenant admin through her group.
    let alice_1 = Browser::new();
    assert!(matches!(alice_1.sign_in(&app.base, START, "alice").await, SignIn::SignedIn));
    let alice_api_1 = alice_1.api(&app.base).await;
    let (s, m) = me(&alice_api_1).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["email"], "alice@acme.example");
    assert_eq!(m["display_name"], "ALICE");
    assert_eq!(m["active_tenant"]["slug"], "acme");
    assert_eq!(m["active_tenant"]["role"], "tenant_admin", "{m}");
    assert_eq!(audit(&admin, "sso.user_provisioned").await.len(), 1);
    // The session is an ordinary one: a CSRF-protected change works.
    let (s, v) = alice_api_1.send(Method::GET, "/v1/tenant/sso", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Bob: in no mapped group, a member.
    let bob = Browser::new();
    assert!(matches!(bob.sign_in(&app.base, START, "bob").await, SignIn::SignedIn));
    let (_, m) = me(&bob.api(&app.base).await).await;
    assert_eq!(m["active_tenant"]["role"], "member", "{m}");

    // Alice leaves the admin group at the provider: her next sign-in (another browser) makes her
    // a member and ends her other session.
    provider.put_user("alice", user("alice", &["everyone"])).await;
    let (s, _) = me(&alice_api_1).await;
    assert_eq!(s, StatusCode::OK, "nothing changes before she signs in again");
    let alice_2 = Browser::new();
    assert!(matches!(alice_2.sign_in(&app.base, START, "alice").await, SignIn::SignedIn));
    let (_, m) = me(&alice_2.api(&app.base).await).await;
    assert_eq!(m["active_tenant"]["role"], "member", "{m}");
    let (s, _) = me(&alice_api_1).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "her older session ended with the role");
    let changes = audit(&admin, "user.role_changed").await;
    assert!(
        changes.iter().any(|e| e["details"]["via"] == "sso_groups" && e["details"]["to"] == "member"),
        "{changes:?}"
    );

    // A platform admin's account is not for single sign-on (a tenant's provider must not mint
    // platform rights).
    let root = Browser::new();
    match root.sign_in(&app.base, START, "root").await {
        SignIn::Refused(code) => assert_eq!(code, "use_password"),
        other => panic!("{other:?}"),
    }

    // Passwords off: a local member is refused; the platform admin still gets in (break-glass).
    app.create_user(&admin, "carol@acme.example", "member").await;
    configure(
        &admin,
        json!({
            "display_name": "Acme IdP", "issuer": provider.issuer, "client_id": "confab-acme",
            "scopes": ["openid", "email", "profile", "groups"], "allowed_domains": ["acme.example"],
            "groups_claim": "groups", "jit_provisioning": true, "allow_passwords": false,
        }),
    )
    .await;
    let (s, v) = anon
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": "carol@acme.example", "password": PASSWORD })))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("single sign-on"), "{v}");
    let admin_again = app.admin().await;
    let (_, m) = me(&admin_again).await;
    assert_eq!(m["active_tenant"]["slug"], "acme", "{m}");
    assert_eq!(audit(&admin_again, "auth.login_break_glass").await.len(), 1);
    // The stored secret was kept (the request left it out): sign-in still works.
    let bob_2 = Browser::new();
    assert!(matches!(bob_2.sign_in(&app.base, START, "bob").await, SignIn::SignedIn));

    // RP-initiated logout: the provider's end-session URL, and the session is over.
    let bob_api = bob_2.api(&app.base).await;
    let (s, out) = bob_api.send(Method::POST, "/v1/auth/oidc/logout", Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let redirect = out["redirect"].as_str().unwrap();
    assert!(redirect.starts_with(&format!("{}/session/end?", provider.issuer)), "{redirect}");
    assert!(redirect.contains("client_id=confab-acme"), "{redirect}");
    let (s, _) = me(&bob_api).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A password session signs out without a provider redirect.
    let (s, out) = admin_again.send(Method::POST, "/v1/auth/oidc/logout", Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert!(out["redirect"].is_null(), "{out}");
}

/// Settings are validated with clear 4xx answers; only tenant admins change them.
async fn settings_are_validated(b: Backend) {
    let (app, _dns) = spawn(b).await;
    let admin = app.admin().await;
    let issuer = TestIssuer::start(
        "confab-test",
        "s3cret",
        IssuerUser { sub: "1".into(), email: "x@acme.example".into(), name: "X".into(), groups: vec![] },
    )
    .await;
    let (s, v) = admin.send(Method::GET, "/v1/tenant/sso", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let good = json!({ "display_name": "IdP", "issuer": issuer.issuer, "client_id": "confab-test",
                       "client_secret": "s3cret", "allowed_domains": ["acme.example"] });
    let cases = [
        (json!({ "issuer": "http://idp.example.com" }), "issuer"),
        (json!({ "issuer": "http://127.0.0.1:9" }), "issuer"),
        (json!({ "scopes": ["bad scope"] }), "scopes"),
        (json!({ "allowed_domains": ["not a domain"] }), "allowed_domains"),
        (json!({ "allowed_domains": [], "jit_provisioning": true }), "allowed_domains"),
        // Provisioning needs the domain verified first.
        (json!({ "jit_provisioning": true }), "verified"),
        (json!({ "display_name": "" }), "display_name"),
        (json!({ "groups_claim": "has space" }), "groups_claim"),
    ];
    for (change, field) in cases {
        let mut body = good.clone();
        body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        let (s, v) = admin.send(Method::PUT, "/v1/tenant/sso", Some(body.clone())).await;
        assert_eq!(error_code(s, &v, 422), "validation_failed", "{body}");
        assert!(v["error"]["message"].as_str().unwrap().contains(field), "{body}: {v}");
    }
    let (s, v) = admin.send(Method::PUT, "/v1/tenant/sso", Some(json!({ "display_name": "x" }))).await;
    assert!(s.is_client_error(), "{v}");
    let (s, v) = admin.send(Method::GET, "/v1/tenant/sso", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nothing was stored: {v}");
    // A member may not.
    app.create_user(&admin, "mel@acme.example", "member").await;
    let mel = app.login("mel@acme.example", PASSWORD).await;
    let (s, v) = mel.send(Method::PUT, "/v1/tenant/sso", Some(good.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Stored, audited without the secret; removed.
    configure(&admin, good).await;
    let entries = audit(&admin, "sso.configured").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["details"]["client_secret"], "set");
    assert!(!entries[0].to_string().contains("s3cret"));
    let (s, _) = admin.send(Method::DELETE, "/v1/tenant/sso", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(audit(&admin, "sso.removed").await.len(), 1);
    let d = app.anonymous().get_json("/v1/auth/oidc/discover?email=a%40acme.example").await;
    assert!(d["sso"].is_null());
    // The operator's command line: the same settings, the secret from a file, never printed.
    let out = app.cli(&["admin", "show-sso", "--tenant", "acme"], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
    // The operator vouches for the domain (no public DNS on this installation).
    let out = app.cli(&["admin", "verify-domain", "--tenant", "acme", "--domain", "ACME.example"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("acme.example is verified for acme (operator)"), "{}", out.stdout);
    let out = app.cli(&["admin", "list-domains", "--tenant", "acme"], None);
    assert!(out.stdout.contains("acme.example\tverified"), "{}", out.stdout);
    let secret_file = app.db.dir.join("sso-secret.txt");
    std::fs::write(&secret_file, "s3cret\n").unwrap();
    let out = app.cli(
        &[
            "admin",
            "set-sso",
            "--tenant",
            "acme",
            "--display-name",
            "CLI IdP",
            "--issuer",
            &issuer.issuer,
            "--client-id",
            "confab-test",
            "--client-secret-file",
            secret_file.to_str().unwrap(),
            "--allowed-domains",
            "acme.example",
            "--jit",
            "--groups-claim",
            "groups",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("/v1/auth/oidc/callback"), "{}", out.stdout);
    let out = app.cli(&["admin", "show-sso", "--tenant", "acme"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("CLI IdP") && out.stdout.contains("(stored)"), "{}", out.stdout);
    assert!(!out.stdout.contains("s3cret"));
    let view = admin.get_json("/v1/tenant/sso").await;
    assert_eq!(view["groups_claim"], "groups", "{view}");
    assert_eq!(view["jit_provisioning"], true);
    let out = app.cli(
        &["admin", "set-sso", "--tenant", "acme", "--display-name", "x", "--issuer", "ftp://x", "--client-id", "c"],
        None,
    );
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("issuer"), "{}", out.stderr);
    let out = app.cli(&["admin", "remove-sso", "--tenant", "acme"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // Without a master key, a client secret cannot be stored.
    let bare = TestApp::spawn(b).await;
    let bare_admin = bare.admin().await;
    let body = json!({ "display_name": "IdP", "issuer": issuer.issuer, "client_id": "confab-test",
                       "client_secret": "s3cret" });
    let (s, v) = bare_admin.send(Method::PUT, "/v1/tenant/sso", Some(body)).await;
    assert_eq!(error_code(s, &v, 409), "conflict", "{v}");
}

/// ID tokens a provider should never send are refused (audited, the browser gets a code); a
/// small clock skew is tolerated; a rotated signing key is fetched and accepted; a `state` is
/// good once, in the browser that started it.
async fn bad_id_tokens_are_refused_and_rotated_keys_accepted(b: Backend) {
    let (app, dns) = spawn(b).await;
    let admin = app.admin().await;
    let dave =
        IssuerUser { sub: "dave-1".into(), email: "dave@acme.example".into(), name: "Dave".into(), groups: vec![] };
    let issuer = TestIssuer::start("confab-test", "s3cret", dave).await;
    verify_domain(&dns, &admin, "acme.example").await;
    configure(
        &admin,
        json!({ "display_name": "Test issuer", "issuer": issuer.issuer, "client_id": "confab-test",
                "client_secret": "s3cret", "allowed_domains": ["acme.example"], "jit_provisioning": true }),
    )
    .await;
    let sign_in = || async { Browser::new().sign_in(&app.base, START, "dave").await };
    assert!(matches!(sign_in().await, SignIn::SignedIn));

    // Expired 20 s ago: within the 60 s tolerance.
    issuer.misbehave(Bad::Expired(20));
    assert!(matches!(sign_in().await, SignIn::SignedIn));

    // The provider rotates its key: an unknown `kid` makes Confab fetch the JWKS again.
    issuer.misbehave(Bad::No);
    let fetches = issuer.jwks_fetches();
    issuer.rotate("key-2", false);
    assert!(matches!(sign_in().await, SignIn::SignedIn), "a rotated key is accepted");
    assert!(issuer.jwks_fetches() > fetches);

    let bad = [
        (Bad::WrongAudience, "audience"),
        (Bad::WrongIssuer, "issuer"),
        (Bad::Expired(600), "expired"),
        (Bad::TamperedSignature, "signature"),
        (Bad::ReplayedNonce, "nonce"),
        (Bad::UnknownKid, "key"),
    ];
    for (i, (mode, why)) in bad.iter().enumerate() {
        if *mode == Bad::UnknownKid {
            // Past the refetch interval, so the refusal comes after a fresh JWKS.
            tokio::time::sleep(std::time::Duration::from_millis(5200)).await;
        }
        let before = issuer.jwks_fetches();
        issuer.misbehave(mode.clone());
        match sign_in().await {
            SignIn::Refused(code) => assert_eq!(code, "invalid_token", "{mode:?}"),
            SignIn::SignedIn => panic!("{mode:?} signed in"),
        }
        if *mode == Bad::UnknownKid {
            assert!(issuer.jwks_fetches() > before, "an unknown key refetches the JWKS before refusing");
        }
        let failures = audit(&admin, "sso.login_failed").await;
        assert_eq!(failures.len(), i + 1);
        let reason = failures[0]["details"]["reason"].as_str().unwrap().to_lowercase();
        assert!(reason.contains(why), "{mode:?}: {reason}");
        assert_eq!(failures[0]["outcome"], "failure");
    }
    issuer.misbehave(Bad::No);

    // A `state` works once, and only in the browser that started the sign-in.
    let browser = Browser::new();
    let (_, to_issuer, _) = browser.get(&app.url(START)).await;
    let (_, callback, _) = browser.get(&to_issuer.unwrap()).await;
    let callback = callback.unwrap();
    let other = Browser::new();
    let (_, to, _) = other.get(&callback).await;
    assert_eq!(to.as_deref(), Some("/?sso_error=expired&tenant=acme"), "another browser");
    // The state is spent now, even for the right browser.
    let (_, to, _) = browser.get(&callback).await;
    assert_eq!(to.as_deref(), Some("/?sso_error=expired"), "a spent state names no tenant");
    // A fresh one works, once.
    let (_, to_issuer, _) = browser.get(&app.url(START)).await;
    let (_, callback, _) = browser.get(&to_issuer.unwrap()).await;
    let callback = callback.unwrap();
    let (_, to, _) = browser.get(&callback).await;
    assert_eq!(to.as_deref(), Some("/"));
    let (_, to, _) = browser.get(&callback).await;
    assert_eq!(to.as_deref(), Some("/?sso_error=expired"), "replayed callback");

    // The provider refuses (the user cancelled).
    let (_, to_issuer, _) = browser.get(&app.url(START)).await;
    let state = to_issuer.unwrap().split("state=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let (_, to, _) = browser.get(&app.url(&format!("/v1/auth/oidc/callback?state={state}&error=access_denied"))).await;
    assert_eq!(to.as_deref(), Some("/?sso_error=denied&tenant=acme"), "back to the tenant's button");

    // An unknown tenant, and a tenant without single sign-on.
    let (_, to, _) = browser.get(&app.url("/v1/auth/oidc/nope/start")).await;
    assert_eq!(to.as_deref(), Some("/?sso_error=not_configured&tenant=nope"));

    // Outside the allowed domains.
    issuer.set_user(IssuerUser {
        sub: "eve".into(),
        email: "eve@evil.example".into(),
        name: "Eve".into(),
        groups: vec![],
    });
    match sign_in().await {
        SignIn::Refused(code) => assert_eq!(code, "email_not_allowed"),
        other => panic!("{other:?}"),
    }
}

/// Two tenants, two providers: a sign-in through tenant A's provider opens a session that stays
/// in A, and neither provider's authorization code opens a session through the other tenant.
async fn two_tenants_with_two_providers_stay_apart(b: Backend) {
    let (app, dns) = spawn(b).await;
    let admin = app.admin().await;
    let (_, beta_admin) = app.second_tenant("beta").await;
    let callback = app.url("/v1/auth/oidc/callback");
    let erin = json!({ "email": "erin@acme.example", "name": "Erin" });
    let provider_a = OidcProvider::start(
        json!([{ "client_id": "client-a", "client_secret": "secret-a", "redirect_uris": [callback] }]),
        json!({ "erin": erin }),
    );
    let provider_b = OidcProvider::start(
        json!([{ "client_id": "client-b", "client_secret": "secret-b", "redirect_uris": [callback] }]),
        json!({ "erin": erin }),
    );
    // Erin is a member of both tenants (no just-in-time provisioning here).
    app.create_user(&admin, "erin@acme.example", "member").await;
    let (s, v) = beta_admin
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "erin@acme.example", "password": PASSWORD, "role": "tenant_admin" })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    configure(
        &admin,
        json!({ "display_name": "A", "issuer": provider_a.issuer, "client_id": "client-a",
                "client_secret": "secret-a", "allowed_domains": ["acme.example"] }),
    )
    .await;
    // A verified domain belongs to one tenant: beta may claim it but never verify it, even with
    // the record published, and its claim routes nobody.
    verify_domain(&dns, &admin, "acme.example").await;
    let (s, claim) =
        beta_admin.send(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": "acme.example" }))).await;
    assert_eq!(s, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["verified"], false);
    dns.set_txt(claim["txt_name"].as_str().unwrap(), &[claim["txt_value"].as_str().unwrap()]);
    let (s, v) = beta_admin.send(Method::POST, "/v1/tenant/domains/acme.example/verify", None).await;
    assert_eq!(error_code(s, &v, 409), "conflict", "{v}");
    let (s, v) = beta_admin
        .send(
            Method::PUT,
            "/v1/tenant/sso",
            Some(json!({ "display_name": "B", "issuer": provider_b.issuer, "client_id": "client-b",
                         "client_secret": "secret-b", "allowed_domains": ["acme.example"], "jit_provisioning": true })),
        )
        .await;
    assert_eq!(error_code(s, &v, 422), "validation_failed", "{v}");
    let d = app.anonymous().get_json("/v1/auth/oidc/discover?email=erin%40acme.example").await;
    assert_eq!(d["sso"]["tenant_slug"], "acme", "the verified owner's provider: {d}");
    configure(
        &beta_admin,
        json!({ "display_name": "B", "issuer": provider_b.issuer, "client_id": "client-b",
                "client_secret": "secret-b" }),
    )
    .await;

    // Through A: a session in acme that cannot switch to beta.
    let browser = Browser::new();
    assert!(matches!(browser.sign_in(&app.base, START, "erin").await, SignIn::SignedIn));
    let api = browser.api(&app.base).await;
    let (_, m) = me(&api).await;
    assert_eq!(m["active_tenant"]["slug"], "acme", "{m}");
    assert!(!m["is_platform_admin"].as_bool().unwrap());
    let beta_id = m["tenants"].as_array().unwrap().iter().find(|t| t["slug"] == "beta").unwrap()["id"].clone();
    let (s, v) = api.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": beta_id }))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Codes and states crossed between the tenants are refused.
    let (xa, xb) = (Browser::new(), Browser::new());
    let back_a = xa.until_callback(&app.base, START, "erin").await;
    let back_b = xb.until_callback(&app.base, "/v1/auth/oidc/beta/start", "erin").await;
    let param = |url: &str, name: &str| {
        reqwest::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).unwrap().1.to_string()
    };
    let crossed =
        app.url(&format!("/v1/auth/oidc/callback?state={}&code={}", param(&back_b, "state"), param(&back_a, "code")));
    let (_, to, _) = xb.get(&crossed).await;
    assert_eq!(to.as_deref(), Some("/?sso_error=invalid_token&tenant=beta"), "A's code through B's sign-in");
    let crossed =
        app.url(&format!("/v1/auth/oidc/callback?state={}&code={}", param(&back_a, "state"), param(&back_b, "code")));
    let (_, to, _) = xa.get(&crossed).await;
    assert_eq!(to.as_deref(), Some("/?sso_error=invalid_token&tenant=acme"), "B's code through A's sign-in");
    for x in [&xa, &xb] {
        let (s, _) = x.api(&app.base).await.send(Method::GET, "/v1/me", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "no session from crossed codes");
    }
}

/// A tenant proves it controls an e-mail domain with a DNS TXT record; only then do sign-ins by
/// address route to its provider and does just-in-time provisioning take its addresses.
async fn domains_are_verified_through_dns(b: Backend) {
    let (app, dns) = spawn(b).await;
    let admin = app.admin().await;
    let (_, beta_admin) = app.second_tenant("beta").await;
    let (s, claim) = admin.send(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": " Acme.Example. " }))).await;
    assert_eq!(s, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["domain"], "acme.example");
    assert_eq!(claim["verified"], false);
    assert_eq!(claim["txt_name"], "_confab-challenge.acme.example");
    let value = claim["txt_value"].as_str().unwrap().to_string();
    assert!(value.starts_with("confab-domain-verification=") && value.len() > 40, "{value}");
    // Claiming again answers the same claim.
    let (_, again) = admin.send(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": "acme.example" }))).await;
    assert_eq!(again["txt_value"], claim["txt_value"]);
    for bad in ["localhost", "not a domain", "a..b", "-x.example"] {
        let (s, v) = admin.send(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": bad }))).await;
        assert_eq!(error_code(s, &v, 422), "validation_failed", "{bad}");
    }

    // No record yet, then a wrong one: 422 saying what was found, nothing changes.
    let (s, v) = admin.send(Method::POST, "/v1/tenant/domains/acme.example/verify", None).await;
    assert_eq!(error_code(s, &v, 422), "validation_failed", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("no TXT record"), "{v}");
    dns.set_txt("_confab-challenge.acme.example", &["confab-domain-verification=someone-else", "v=spf1 -all"]);
    let (s, v) = admin.send(Method::POST, "/v1/tenant/domains/acme.example/verify", None).await;
    assert_eq!(error_code(s, &v, 422), "validation_failed", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("do not include"), "{v}");
    assert!(dns.queries_for("_confab-challenge.acme.example") >= 2, "it asked the DNS server");
    // The DNS server fails, refuses or does not answer: 503 (try again later), not "no record".
    for mode in [DnsMode::Fail(ResponseCode::ServFail), DnsMode::Fail(ResponseCode::Refused), DnsMode::Silent] {
        dns.set_mode(mode);
        let started = std::time::Instant::now();
        let (s, v) = admin.send(Method::POST, "/v1/tenant/domains/acme.example/verify", None).await;
        assert_eq!(error_code(s, &v, 503), "unavailable", "{mode:?}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("try again later"), "{v}");
        let took = started.elapsed();
        eprintln!("DNS {mode:?}: 503 after {took:?}");
        assert!(took < std::time::Duration::from_secs(60), "{mode:?}: {took:?}");
    }
    dns.set_mode(DnsMode::Answer);
    let list = admin.get_json("/v1/tenant/domains").await;
    assert_eq!(list["domains"][0]["verified"], false, "{list}");

    // Beta claims the same domain: a claim of its own, with another token.
    let (_, beta_claim) =
        beta_admin.send(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": "acme.example" }))).await;
    assert_ne!(beta_claim["txt_value"], claim["txt_value"]);

    // The right record among others: verified.
    dns.set_txt("_confab-challenge.acme.example", &["v=spf1 -all", &value]);
    let (s, v) = admin.send(Method::POST, "/v1/tenant/domains/acme.example/verify", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["verified_by"], "dns");
    let entries = audit(&admin, "domain.verified").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["details"]["verified_by"], "dns");
    assert_eq!(audit(&admin, "domain.claimed").await.len(), 1, "the repeated claim is not a new one");

    // Beta publishes its own record too late: acme holds the domain.
    dns.set_txt("_confab-challenge.acme.example", &[&value, beta_claim["txt_value"].as_str().unwrap()]);
    let (s, v) = beta_admin.send(Method::POST, "/v1/tenant/domains/acme.example/verify", None).await;
    assert_eq!(error_code(s, &v, 409), "conflict", "{v}");

    // Who may: auditors read, members neither read nor claim; another tenant's claim is 404.
    app.create_user(&admin, "mel@acme.example", "member").await;
    let mel = app.login("mel@acme.example", PASSWORD).await;
    let (s, _) = mel.send(Method::GET, "/v1/tenant/domains", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = mel.send(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": "mel.example" }))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = beta_admin.send(Method::DELETE, "/v1/tenant/domains/other.example", None).await;
    assert_eq!(error_code(s, &v, 404), "not_found", "{v}");

    // Routing by address follows the verified owner's provider.
    let issuer = TestIssuer::start(
        "confab-test",
        "s3cret",
        IssuerUser { sub: "new-1".into(), email: "newbie@acme.example".into(), name: "Newbie".into(), groups: vec![] },
    )
    .await;
    configure(
        &admin,
        json!({ "display_name": "Acme IdP", "issuer": issuer.issuer, "client_id": "confab-test",
                "client_secret": "s3cret", "allowed_domains": ["acme.example"], "jit_provisioning": true }),
    )
    .await;
    let anon = app.anonymous();
    let d = anon.get_json("/v1/auth/oidc/discover?email=newbie%40acme.example").await;
    assert_eq!(d["sso"]["tenant_slug"], "acme", "{d}");
    assert!(matches!(Browser::new().sign_in(&app.base, START, "newbie").await, SignIn::SignedIn));

    // Giving the domain up: no routing, and no more accounts made for its addresses.
    let (s, _) = admin.send(Method::DELETE, "/v1/tenant/domains/acme.example", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(audit(&admin, "domain.removed").await.len(), 1);
    let d = anon.get_json("/v1/auth/oidc/discover?email=newbie%40acme.example").await;
    assert!(d["sso"].is_null(), "{d}");
    issuer.set_user(IssuerUser {
        sub: "new-2".into(),
        email: "second@acme.example".into(),
        name: "Second".into(),
        groups: vec![],
    });
    match Browser::new().sign_in(&app.base, START, "second").await {
        SignIn::Refused(code) => assert_eq!(code, "no_account"),
        other => panic!("{other:?}"),
    }
    // Someone the tenant already has still signs in.
    issuer.set_user(IssuerUser {
        sub: "new-1".into(),
        email: "newbie@acme.example".into(),
        name: "Newbie".into(),
        groups: vec![],
    });
    assert!(matches!(Browser::new().sign_in(&app.base, START, "newbie").await, SignIn::SignedIn));
}

both_backends!(
    signs_in_through_a_certified_provider,
    settings_are_validated,
    bad_id_tokens_are_refused_and_rotated_keys_accepted,
    two_tenants_with_two_providers_stay_apart,
    domains_are_verified_through_dns,
);

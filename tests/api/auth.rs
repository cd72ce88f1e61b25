//! Sign-in, sessions, CSRF, password changes and locking users out.
use confab_tests::*;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

async fn login_sets_a_hardened_cookie_and_me_shows_the_tenant(b: Backend) {
    let app = TestApp::spawn(b).await;
    let resp =
        app.anonymous().post("/v1/auth/login", json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })).await;
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("confab_session="), "{cookie}");
    let value = cookie.trim_start_matches("confab_session=").split(';').next().unwrap();
    assert!(value.len() >= 43, "a 256-bit token, URL-safe base64: {value}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");

    let admin = app.admin().await;
    let me = admin.get_json("/v1/me").await;
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["is_platform_admin"], true);
    assert_eq!(me["credential"], "session");
    assert_eq!(me["active_tenant"]["slug"], "acme");
    assert_eq!(me["active_tenant"]["role"], "tenant_admin");
    assert_eq!(me["csrf_token"].as_str().unwrap().len(), 64);
    // Every sign-in gets a new token.
    let again = app.admin().await;
    assert_ne!(again.csrf, admin.csrf);
}

async fn over_tls_the_cookie_is_host_prefixed_and_secure(b: Backend) {
    let app =
        TestApp::spawn_with(b, Options::default().env("CONFAB_SERVER__PUBLIC_URL", "https://chat.acme.example")).await;
    let resp =
        app.anonymous().post("/v1/auth/login", json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })).await;
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-confab_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(resp.headers().contains_key("strict-transport-security"));
}

async fn wrong_password_and_unknown_account_are_indistinguishable_and_audited(b: Backend) {
    let app = TestApp::spawn(b).await;
    let anon = app.anonymous();
    let (s1, wrong) = anon
        .send(
            Method::POST,
            "/v1/auth/login",
            Some(json!({ "email": ADMIN_EMAIL, "password": "not the password at all" })),
        )
        .await;
    let (s2, unknown) = anon
        .send(
            Method::POST,
            "/v1/auth/login",
            Some(json!({ "email": "nobody@acme.example", "password": "not the password at all" })),
        )
        .await;
    assert_eq!(error_code(s1, &wrong, 401), "invalid_credentials");
    assert_eq!(error_code(s2, &unknown, 401), "invalid_credentials");
    assert_eq!(wrong["error"]["message"], unknown["error"]["message"]);

    let admin = app.admin().await;
    let failures = admin.get_json("/v1/audit?action=auth.login_failed").await;
    let items = failures["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the known account's failure is in its tenant's log: {failures}");
    assert_eq!(items[0]["outcome"], "failure");
    assert_eq!(items[0]["details"]["reason"], "wrong_password");
    assert_eq!(items[0]["ip"], "127.0.0.1");
    // The unknown account belongs to no tenant: only the platform log has it.
    let platform = admin.get_json("/v1/platform/audit?action=auth.login_failed").await;
    let items = platform["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{platform}");
    assert_eq!(items[0]["actor"], "nobody@acme.example");
    // No password ever reaches the log.
    assert!(!app.server_log().contains("not the password at all"));
}

async fn login_is_rate_limited_per_account(b: Backend) {
    let app = TestApp::spawn_with(b, Options::default().env("CONFAB_AUTH__LOGIN_FAILURES_PER_ACCOUNT", "3")).await;
    let admin = app.admin().await;
    app.create_user(&admin, "carol@acme.example", "member").await;
    let anon = app.anonymous();
    for _ in 0..3 {
        let (s, body) = anon
            .send(
                Method::POST,
                "/v1/auth/login",
                Some(json!({ "email": ADMIN_EMAIL, "password": "guess guess guess" })),
            )
            .await;
        assert_eq!(error_code(s, &body, 401), "invalid_credentials");
    }
    let resp = anon.post("/v1/auth/login", json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })).await;
    assert_eq!(resp.status(), 429, "even the right password waits once the account is locked");
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Other accounts are unaffected.
    app.login("carol@acme.example", PASSWORD).await;
}

async fn login_is_rate_limited_per_address(b: Backend) {
    let app = TestApp::spawn_with(b, Options::default().env("CONFAB_AUTH__LOGIN_FAILURES_PER_IP", "4")).await;
    let anon = app.anonymous();
    for i in 0..4 {
        let (s, _) = anon
            .send(
                Method::POST,
                "/v1/auth/login",
                Some(json!({ "email": format!("u{i}@acme.example"), "password": "guess guess guess" })),
            )
            .await;
        assert_eq!(s, 401);
    }
    let (s, body) = anon
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })))
        .await;
    assert_eq!(error_code(s, &body, 429), "rate_limited");
}

async fn logout_ends_the_session(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let resp = admin.post("/v1/auth/logout", json!({})).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    // The browser forgot the cookie; replaying the old one must fail too.
    let (s, body) = admin.send(Method::GET, "/v1/me", None).await;
    assert_eq!(error_code(s, &body, 401), "unauthenticated");
    let admin2 = app.admin().await;
    assert_eq!(app.audit_count(&admin2, "auth.logout").await, 1);
}

async fn replayed_cookie_after_logout_is_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let resp =
        app.anonymous().post("/v1/auth/login", json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })).await;
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body: serde_json::Value = resp.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let me = client.get(app.url("/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let out = client
        .post(app.url("/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let me = client.get(app.url("/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), 401);
}

async fn sessions_expire_when_idle_and_absolutely(b: Backend) {
    let opts =
        Options::default().env("CONFAB_AUTH__SESSION_IDLE_SECS", "3").env("CONFAB_AUTH__SESSION_ABSOLUTE_SECS", "6");
    let app = TestApp::spawn_with(b, opts).await;
    // Idle: untouched for longer than the idle timeout.
    let idle = app.admin().await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (s, _) = idle.send(Method::GET, "/v1/me", None).await;
    assert_eq!(s, 401, "an idle session must expire");
    // Activity keeps a session alive past the idle timeout, but not past the absolute one.
    let active = app.admin().await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (s, body) = active.send(Method::GET, "/v1/me", None).await;
        assert_eq!(s, 200, "an active session stays signed in: {body}");
    }
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let (s, _) = active.send(Method::GET, "/v1/me", None).await;
    assert_eq!(s, 401, "the absolute lifetime ends even an active session");
}

async fn cookie_mutations_need_the_csrf_token(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let no_csrf = Api { csrf: None, ..admin.clone() };
    let (s, body) = no_csrf.send(Method::POST, "/v1/me/tokens", Some(json!({ "name": "sneaky" }))).await;
    assert_eq!(error_code(s, &body, 403), "csrf_failed");
    let wrong = Api { csrf: Some("0".repeat(64)), ..admin.clone() };
    let (s, body) = wrong.send(Method::POST, "/v1/me/tokens", Some(json!({ "name": "sneaky" }))).await;
    assert_eq!(error_code(s, &body, 403), "csrf_failed");
    let (s, body) = no_csrf.send(Method::POST, "/v1/auth/logout", None).await;
    assert_eq!(error_code(s, &body, 403), "csrf_failed");
    // Nothing was written, and the session is still alive.
    let tokens = no_csrf.get_json("/v1/me/tokens").await;
    assert_eq!(tokens["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.audit_count(&admin, "token.created").await, 0);
    // With the token it works; API tokens need no CSRF token (no ambient credential).
    let (secret, _) = admin.create_token(json!({ "name": "ok" })).await;
    let bearer = app.with_token(&secret);
    let (s, _) = bearer.send(Method::POST, "/v1/me/tokens", Some(json!({ "name": "from token" }))).await;
    assert_eq!(s, 201);
}

async fn password_change_revokes_every_other_session(b: Backend) {
    let app = TestApp::spawn(b).await;
    let a = app.admin().await;
    let other = app.admin().await;
    let new_password = "a brand new passphrase 7";
    // A weak password is refused and changes nothing.
    let (s, body) = a
        .send(
            Method::POST,
            "/v1/me/password",
            Some(json!({ "current_password": ADMIN_PASSWORD, "new_password": "short" })),
        )
        .await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(body["error"]["field"], "password");
    // A wrong current password is refused.
    let (s, body) = a
        .send(
            Method::POST,
            "/v1/me/password",
            Some(json!({ "current_password": "wrong wrong wrong", "new_password": new_password })),
        )
        .await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(other.send(Method::GET, "/v1/me", None).await.0, 200);

    let resp =
        a.post("/v1/me/password", json!({ "current_password": ADMIN_PASSWORD, "new_password": new_password })).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().starts_with("confab_session="));
    let me: serde_json::Value = resp.json().await.unwrap();
    let a = Api { csrf: me["csrf_token"].as_str().map(str::to_string), ..a };
    assert_eq!(a.send(Method::GET, "/v1/me", None).await.0, 200, "the caller stays signed in with a fresh session");
    assert_eq!(other.send(Method::GET, "/v1/me", None).await.0, 401, "other sessions end");
    let (s, _) = app
        .anonymous()
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })))
        .await;
    assert_eq!(s, 401);
    let fresh = app.login(ADMIN_EMAIL, new_password).await;
    assert_eq!(app.audit_count(&fresh, "auth.password_changed").await, 1);
}

async fn disabled_users_are_locked_out_everywhere(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let id = app.create_user(&admin, "eve@acme.example", "member").await;
    let eve = app.login("eve@acme.example", PASSWORD).await;
    let (token, _) = eve.create_token(json!({ "name": "eve's script" })).await;
    let eve_token = app.with_token(&token);
    assert_eq!(eve_token.send(Method::GET, "/v1/me", None).await.0, 200);

    let (s, body) = admin.send(Method::POST, &format!("/v1/users/{id}/disable"), None).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "disabled");
    assert_eq!(eve.send(Method::GET, "/v1/me", None).await.0, 401, "issued session");
    assert_eq!(eve_token.send(Method::GET, "/v1/me", None).await.0, 401, "issued API token");
    let (s, body) = app
        .anonymous()
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": "eve@acme.example", "password": PASSWORD })))
        .await;
    assert_eq!(error_code(s, &body, 401), "invalid_credentials", "same answer as a wrong password");
    assert_eq!(app.audit_count(&admin, "user.disabled").await, 1);

    let (s, _) = admin.send(Method::POST, &format!("/v1/users/{id}/enable"), None).await;
    assert_eq!(s, 200);
    app.login("eve@acme.example", PASSWORD).await;
    assert_eq!(eve_token.send(Method::GET, "/v1/me", None).await.0, 200, "the token works again once re-enabled");
    // Admins cannot lock themselves (or the tenant's last admin) out.
    let me = admin.get_json("/v1/me").await;
    let (s, body) = admin.send(Method::POST, &format!("/v1/users/{}/disable", me["id"].as_str().unwrap()), None).await;
    assert_eq!(error_code(s, &body, 409), "conflict");
}

async fn a_role_change_takes_effect_at_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let id = app.create_user(&admin, "bob@acme.example", "tenant_admin").await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    assert_eq!(bob.send(Method::GET, "/v1/users", None).await.0, 200);
    let (s, body) = admin.send(Method::PUT, &format!("/v1/users/{id}/role"), Some(json!({ "role": "member" }))).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["role"], "member");
    assert_eq!(bob.send(Method::GET, "/v1/me", None).await.0, 401, "sessions end on a role change");
    let bob = app.login("bob@acme.example", PASSWORD).await;
    assert_eq!(bob.send(Method::GET, "/v1/users", None).await.0, 403);
    let entries = admin.get_json("/v1/audit?action=user.role_changed").await;
    assert_eq!(entries["items"].as_array().unwrap().len(), 1);
    assert_eq!(entries["items"][0]["details"], json!({ "from": "tenant_admin", "to": "member" }));
}

async fn users_switch_between_their_tenants(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (globex, globex_admin) = app.second_tenant("globex").await;
    // Make acme's admin a member of globex as well (an operator command).
    let out = app.cli(&["admin", "set-role", "--tenant", "globex", "--email", ADMIN_EMAIL, "--role", "member"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    drop(admin);
    let admin = app.admin().await;
    let me = admin.get_json("/v1/me").await;
    assert_eq!(me["tenants"].as_array().unwrap().len(), 2, "{me}");
    let (s, me) = admin.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": globex }))).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["active_tenant"]["slug"], "globex");
    assert_eq!(me["active_tenant"]["role"], "member");
    assert_eq!(admin.send(Method::GET, "/v1/users", None).await.0, 403, "a member in globex");
    // A tenant the user does not belong to is not found.
    let (_, other) = app.second_tenant("initech").await;
    let initech = other.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let (s, body) = admin.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": initech }))).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    // API tokens are bound to their tenant and cannot switch.
    let (token, _) = globex_admin.create_token(json!({ "name": "t" })).await;
    let (s, _) =
        app.with_token(&token).send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": globex }))).await;
    assert_eq!(s, 422);
}

/// A tenant admin cannot learn whether an e-mail address has an account in another tenant:
/// adding it answers exactly as adding a new address does, and writes the same audit entry.
async fn adding_a_user_does_not_reveal_accounts_in_other_tenants(b: Backend) {
    let app = TestApp::spawn(b).await;
    let acme_admin = app.admin().await;
    let (_, globex_admin) = app.second_tenant("globex").await;
    // Zoe has an account, in acme only.
    app.create_user(&acme_admin, "zoe@acme.example", "member").await;

    let add = |email: &str| json!({ "email": email, "display_name": "Someone", "password": "another-strong-pass-9", "role": "auditor" });
    let (s_existing, existing) = globex_admin.send(Method::POST, "/v1/users", Some(add("zoe@acme.example"))).await;
    let (s_new, new) = globex_admin.send(Method::POST, "/v1/users", Some(add("nobody@acme.example"))).await;
    assert_eq!(s_existing, 201, "{existing}");
    assert_eq!(s_new, 201, "{new}");
    // Same fields, same values apart from the address, the id and the instant.
    let shape = |v: &serde_json::Value| {
        let mut v = v.clone();
        for k in ["id", "email", "created_at"] {
            assert!(v[k].is_string(), "{k} in {v}");
            v[k] = json!("…");
        }
        v
    };
    assert_eq!(shape(&existing), shape(&new));
    assert_eq!(existing["display_name"], "Someone");
    assert_eq!(existing["status"], "active");
    let age = |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v["created_at"].as_str().unwrap()).unwrap();
    assert!((age(&new) - age(&existing)).num_seconds().abs() < 5, "no account age leaks: {existing} {new}");
    // The tenant's own record of it is the same as well.
    let audit = globex_admin.get_json("/v1/audit?action=user.created").await;
    let details: Vec<_> = audit["items"].as_array().unwrap().iter().map(|e| e["details"].clone()).collect();
    assert!(details.contains(&json!({ "email": "zoe@acme.example", "role": "auditor" })), "{audit}");
    assert!(details.contains(&json!({ "email": "nobody@acme.example", "role": "auditor" })), "{audit}");
    // Zoe's account is the same account (her password stays hers) and is now in globex too.
    let zoe = app.login("zoe@acme.example", PASSWORD).await;
    let me = zoe.get_json("/v1/me").await;
    assert_eq!(me["tenants"].as_array().map(Vec::len), Some(2), "{me}");
    let (s, _) = app
        .anonymous()
        .send(
            Method::POST,
            "/v1/auth/login",
            Some(json!({ "email": "zoe@acme.example", "password": "another-strong-pass-9" })),
        )
        .await;
    assert_eq!(s, 401, "another tenant's admin cannot set an existing account's password");
    // Adding someone already in this tenant is a conflict, which the admin could see anyway.
    let (s, body) = globex_admin.send(Method::POST, "/v1/users", Some(add("zoe@acme.example"))).await;
    assert_eq!(error_code(s, &body, 409), "conflict");
    let (s, body) = globex_admin.send(Method::POST, "/v1/users", Some(add("nobody@acme.example"))).await;
    assert_eq!(error_code(s, &body, 409), "conflict");
}

both_backends!(
    login_sets_a_hardened_cookie_and_me_shows_the_tenant,
    over_tls_the_cookie_is_host_prefixed_and_secure,
    wrong_password_and_unknown_account_are_indistinguishable_and_audited,
    login_is_rate_limited_per_account,
    login_is_rate_limited_per_address,
    logout_ends_the_session,
    replayed_cookie_after_logout_is_refused,
    sessions_expire_when_idle_and_absolutely,
    cookie_mutations_need_the_csrf_token,
    password_change_revokes_every_other_session,
    disabled_users_are_locked_out_everywhere,
    a_role_change_takes_effect_at_once,
    users_switch_between_their_tenants,
    adding_a_user_does_not_reveal_accounts_in_other_tenants,
);

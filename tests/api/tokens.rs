//! API tokens: shown once, bound to one tenant and scope, revocable, expiring.
use confab_tests::*;
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::json;

async fn a_token_acts_in_its_tenant_within_its_scope(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (member_scoped, _) = admin.create_token(json!({ "name": "reporting", "role": "member" })).await;
    assert!(member_scoped.starts_with("cfb_"), "{member_scoped}");
    let narrow = app.with_token(&member_scoped);
    let me = narrow.get_json("/v1/me").await;
    assert_eq!(me["credential"], "api_token");
    assert_eq!(me["active_tenant"]["slug"], "acme");
    assert_eq!(me["active_tenant"]["role"], "member", "the scope caps the admin's role");
    assert_eq!(me["csrf_token"], serde_json::Value::Null);
    assert_eq!(narrow.send(Method::GET, "/v1/users", None).await.0, 403);
    assert_eq!(narrow.send(Method::GET, "/v1/tenants", None).await.0, 403, "tokens never carry platform rights");

    let (admin_scoped, _) = admin.create_token(json!({ "name": "provisioning" })).await;
    let wide = app.with_token(&admin_scoped);
    let users = wide.get_json("/v1/users").await;
    assert_eq!(users["items"].as_array().unwrap().len(), 1);
    assert_eq!(wide.send(Method::GET, "/v1/tenants", None).await.0, 403);
}

async fn the_secret_is_shown_once_and_stored_hashed(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (secret, id) = admin.create_token(json!({ "name": "ci", "expires_in_days": 30 })).await;
    let list = admin.get_json("/v1/me/tokens").await;
    let text = list.to_string();
    assert!(!text.contains(&secret), "the list never shows the secret");
    let item = &list["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert!(secret.starts_with(item["prefix"].as_str().unwrap()));
    assert!(item["expires_at"].is_string());
    // The database holds a digest, not the token.
    let db = app.db.connect().await;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT token_hash FROM api_tokens"))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get("", "token_hash").unwrap();
    assert_ne!(stored, secret);
    assert_eq!(stored.len(), 64);
    // Using it records when it was last used.
    app.with_token(&secret).get_json("/v1/me").await;
    let list = admin.get_json("/v1/me/tokens").await;
    assert!(list["items"][0]["last_used_at"].is_string(), "{list}");
}

async fn revoked_and_expired_tokens_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (secret, id) = admin.create_token(json!({ "name": "to revoke" })).await;
    let api = app.with_token(&secret);
    assert_eq!(api.send(Method::GET, "/v1/me", None).await.0, 200);
    assert_eq!(admin.delete(&format!("/v1/me/tokens/{id}")).await.status(), 204);
    let (s, body) = api.send(Method::GET, "/v1/me", None).await;
    assert_eq!(error_code(s, &body, 401), "unauthenticated");
    // Revoking twice is a conflict, not a second audit entry.
    assert_eq!(admin.delete(&format!("/v1/me/tokens/{id}")).await.status(), 409);
    assert_eq!(app.audit_count(&admin, "token.revoked").await, 1);

    let (secret, id) = admin.create_token(json!({ "name": "to expire" })).await;
    let db = app.db.connect().await;
    let past = "2020-01-01T00:00:00Z";
    let sql = match b {
        Backend::Sqlite => format!(
            "UPDATE api_tokens SET expires_at = '{past}' WHERE id = (SELECT id FROM api_tokens WHERE name = 'to expire')"
        ),
        Backend::Postgres => format!("UPDATE api_tokens SET expires_at = '{past}' WHERE id = '{id}'"),
    };
    db.execute_unprepared(&sql).await.unwrap();
    let (s, _) = app.with_token(&secret).send(Method::GET, "/v1/me", None).await;
    assert_eq!(s, 401);
    // Garbage and malformed headers.
    for header in ["Bearer cfb_not-a-real-token", "Bearer something", "Basic YWxhZGRpbjpvcGVu", "Bearer "] {
        let resp = reqwest::Client::new().get(app.url("/v1/me")).header("authorization", header).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{header}");
    }
}

async fn a_token_cannot_exceed_its_owners_role(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    let mia = app.login("mia@acme.example", PASSWORD).await;
    let (s, body) =
        mia.send(Method::POST, "/v1/me/tokens", Some(json!({ "name": "escalate", "role": "tenant_admin" }))).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(body["error"]["field"], "role");
    assert_eq!(mia.get_json("/v1/me/tokens").await["items"].as_array().unwrap().len(), 0);
}

async fn admins_list_and_revoke_tokens_of_their_tenant_only(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    let mia = app.login("mia@acme.example", PASSWORD).await;
    let (mia_secret, mia_token) = mia.create_token(json!({ "name": "mia's" })).await;
    let (_, globex_admin) = app.second_tenant("globex").await;
    let (globex_secret, globex_token) = globex_admin.create_token(json!({ "name": "globex's" })).await;

    let all = admin.get_json("/v1/tokens").await;
    let ids: Vec<&str> = all["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![mia_token.as_str()], "only acme's tokens");
    // Members cannot revoke other people's tokens, even knowing the id.
    let (admin_secret, admin_token) = admin.create_token(json!({ "name": "admin's" })).await;
    assert_eq!(mia.delete(&format!("/v1/me/tokens/{admin_token}")).await.status(), 404);
    assert_eq!(app.with_token(&admin_secret).send(Method::GET, "/v1/me", None).await.0, 200);
    // Another tenant's token is not found, and keeps working.
    let (s, body) = admin.send(Method::DELETE, &format!("/v1/tokens/{globex_token}"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    assert_eq!(app.with_token(&globex_secret).send(Method::GET, "/v1/me", None).await.0, 200);
    // Their own tenant's: revoked.
    assert_eq!(admin.delete(&format!("/v1/tokens/{mia_token}")).await.status(), 204);
    assert_eq!(app.with_token(&mia_secret).send(Method::GET, "/v1/me", None).await.0, 401);
}

async fn a_token_cannot_reach_another_tenants_objects(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (token, _) = admin.create_token(json!({ "name": "acme admin token" })).await;
    let api = app.with_token(&token);
    let (_, globex_admin) = app.second_tenant("globex").await;
    let globex_me = globex_admin.get_json("/v1/me").await;
    let globex_user = globex_me["id"].as_str().unwrap();
    for (method, path, body) in [
        (Method::GET, format!("/v1/users/{globex_user}"), None),
        (Method::PUT, format!("/v1/users/{globex_user}/role"), Some(json!({ "role": "member" }))),
        (Method::POST, format!("/v1/users/{globex_user}/disable"), None),
    ] {
        let (s, body) = api.send(method.clone(), &path, body).await;
        assert_eq!(error_code(s, &body, 404), "not_found", "{method} {path}");
    }
    // Nothing changed for globex's admin.
    let me = globex_admin.get_json("/v1/me").await;
    assert_eq!(me["active_tenant"]["role"], "tenant_admin");
    assert_eq!(globex_admin.send(Method::GET, "/v1/users", None).await.0, 200);
}

async fn a_disabled_tenant_stops_its_tokens(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (globex, globex_admin) = app.second_tenant("globex").await;
    let (token, _) = globex_admin.create_token(json!({ "name": "g" })).await;
    let (s, body) = admin.send(Method::POST, &format!("/v1/tenants/{globex}/disable"), None).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "disabled");
    assert_eq!(app.with_token(&token).send(Method::GET, "/v1/me", None).await.0, 401);
    let (s, _) = globex_admin.send(Method::GET, "/v1/users", None).await;
    assert_eq!(s, 403, "the session has no usable tenant any more");
    let (s, _) = admin.send(Method::POST, &format!("/v1/tenants/{globex}/enable"), None).await;
    assert_eq!(s, 200);
    assert_eq!(app.with_token(&token).send(Method::GET, "/v1/me", None).await.0, 200);
}

both_backends!(
    a_token_acts_in_its_tenant_within_its_scope,
    the_secret_is_shown_once_and_stored_hashed,
    revoked_and_expired_tokens_are_refused,
    a_token_cannot_exceed_its_owners_role,
    admins_list_and_revoke_tokens_of_their_tenant_only,
    a_token_cannot_reach_another_tenants_objects,
    a_disabled_tenant_stops_its_tokens,
);

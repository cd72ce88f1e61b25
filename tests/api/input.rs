//! Bad input gets the documented 4xx and changes nothing.
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn users(admin: &Api) -> usize {
    admin.get_json("/v1/users").await["items"].as_array().unwrap().len()
}

async fn audit_len(admin: &Api) -> usize {
    admin.get_json("/v1/audit?limit=200").await["items"].as_array().unwrap().len()
}

async fn post_raw(
    api: &Api,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (reqwest::StatusCode, Value) {
    let resp = api.request(Method::POST, path).header("content-type", content_type).body(body).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn malformed_bodies_are_refused_and_change_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (users_before, audit_before) = (users(&admin).await, audit_len(&admin).await);

    let (s, body) = post_raw(&admin, "/v1/users", "application/json", "{\"email\": ").await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "truncated JSON");
    let (s, body) = post_raw(&admin, "/v1/users", "application/json", "not json at all").await;
    assert_eq!(error_code(s, &body, 400), "bad_request");
    let (s, body) = admin
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "a@acme.example", "password": { "not": "a string" }, "role": "member" })),
        )
        .await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "wrong type");
    let (s, body) = admin
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "a@acme.example", "password": PASSWORD, "role": "overlord" })),
        )
        .await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "unknown enum value");
    let (s, body) =
        admin.send(Method::POST, "/v1/users", Some(json!({ "email": "a@acme.example", "password": PASSWORD }))).await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "missing field");
    let (s, body) = admin
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "a@acme.example", "password": PASSWORD, "role": "member", "admin": true })),
        )
        .await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "unknown field");
    let (s, body) = post_raw(&admin, "/v1/users", "text/plain", "email=a").await;
    assert!(s == 400 || s == 415, "wrong content type: {s} {body}");
    assert!(body["error"]["code"].is_string());

    assert_eq!(users(&admin).await, users_before);
    assert_eq!(audit_len(&admin).await, audit_before);
}

async fn invalid_values_are_422_with_the_field(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (users_before, audit_before) = (users(&admin).await, audit_len(&admin).await);
    for (body, field) in [
        (json!({ "email": "not-an-email", "password": PASSWORD, "role": "member" }), "email"),
        (json!({ "email": "a b@acme.example", "password": PASSWORD, "role": "member" }), "email"),
        (json!({ "email": "ok@acme.example", "password": "short", "role": "member" }), "password"),
        (json!({ "email": "ok@acme.example", "password": "aaaaaaaaaaaaaaaaaaaa", "role": "member" }), "password"),
        (json!({ "email": "ok@acme.example", "password": "ok@acme.example-pass", "role": "member" }), "password"),
        (
            json!({ "email": "ok@acme.example", "display_name": "", "password": PASSWORD, "role": "member" }),
            "display_name",
        ),
    ] {
        let (s, resp) = admin.send(Method::POST, "/v1/users", Some(body.clone())).await;
        assert_eq!(error_code(s, &resp, 422), "validation_failed", "{body}");
        assert_eq!(resp["error"]["field"], field, "{body}");
    }
    for path in
        ["/v1/users?limit=0", "/v1/users?limit=201", "/v1/users?cursor=%%%", "/v1/audit?cursor=bm90LWEtbnVtYmVy"]
    {
        let (s, resp) = admin.send(Method::GET, path, None).await;
        assert!(s == 422 || s == 400, "{path}: {s} {resp}");
        assert!(resp["error"]["code"].is_string(), "{path}: {resp}");
    }
    let (s, resp) = admin.send(Method::GET, "/v1/users/not-a-uuid", None).await;
    assert_eq!(error_code(s, &resp, 400), "bad_request");
    let (s, resp) =
        admin.send(Method::POST, "/v1/me/tokens", Some(json!({ "name": "x", "expires_in_days": 100000 }))).await;
    assert_eq!(error_code(s, &resp, 422), "validation_failed");
    // A duplicate e-mail is a conflict.
    app.create_user(&admin, "dup@acme.example", "member").await;
    let (s, resp) = admin
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "DUP@acme.example", "password": PASSWORD, "role": "member" })),
        )
        .await;
    assert_eq!(error_code(s, &resp, 409), "conflict");
    assert_eq!(users(&admin).await, users_before + 1);
    assert_eq!(audit_len(&admin).await, audit_before + 1, "only the one real creation");
}

async fn oversized_bodies_get_413(b: Backend) {
    let app = TestApp::spawn_with(b, Options::default().env("CONFAB_SERVER__MAX_BODY_BYTES", "4096")).await;
    let admin = app.admin().await;
    let big = json!({ "email": "big@acme.example", "password": PASSWORD, "role": "member", "display_name": "x".repeat(10_000) });
    let (s, body) = admin.send(Method::POST, "/v1/users", Some(big.clone())).await;
    assert_eq!(error_code(s, &body, 413), "payload_too_large");
    // Without a Content-Length (chunked), the limit holds as well.
    let bytes = serde_json::to_vec(&big).unwrap();
    let stream = futures_stream(bytes);
    let resp = admin
        .request(Method::POST, "/v1/users")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(users(&admin).await, 1);
}

fn futures_stream(bytes: Vec<u8>) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::iter(bytes.chunks(1024).map(|c| Ok(c.to_vec())).collect::<Vec<_>>())
}

async fn unknown_routes_and_methods_get_the_error_body(b: Backend) {
    let app = TestApp::spawn(b).await;
    let anon = app.anonymous();
    let (s, body) = anon.send(Method::GET, "/v1/nothing-here", None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let (s, body) = anon.send(Method::DELETE, "/v1/auth/login", None).await;
    assert_eq!(error_code(s, &body, 405), "method_not_allowed");
}

both_backends!(
    malformed_bodies_are_refused_and_change_nothing,
    invalid_values_are_422_with_the_field,
    oversized_bodies_get_413,
    unknown_routes_and_methods_get_the_error_body,
);

//! SCIM 2.0 provisioning (`/scim/v2/{tenant}`): users and groups as an identity provider drives
//! them, per-tenant tokens, deprovisioning that reaches open streams and API tokens within two
//! seconds (one SQLite server; two replicas over PostgreSQL and Redis), and group → role mapping.
use confab_tests::redis::RedisServer;
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM client for one tenant: the base path and the bearer token.
#[derive(Clone)]
struct Scim {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Scim {
    fn new(app: &TestApp, tenant: &str, token: &str) -> Scim {
        Scim { client: reqwest::Client::new(), base: app.url(&format!("/scim/v2/{tenant}")), token: token.into() }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.header("content-type", "application/scim+json").body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        if status != StatusCode::NO_CONTENT {
            let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            assert!(ct.starts_with("application/scim+json"), "{path}: content type {ct}");
        }
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn create_user(&self, user_name: &str, extra: Value) -> String {
        let mut body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name });
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        let (s, u) = self.send(Method::POST, "/Users", Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        u["id"].as_str().unwrap().to_string()
    }
}

/// Asserts a SCIM error body with this status and `scimType`.
fn scim_error(status: StatusCode, body: &Value, expected: u16, scim_type: Option<&str>) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "{body}");
    assert_eq!(body["status"], expected.to_string(), "{body}");
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
}

/// A tenant admin creates a SCIM token; returns the secret.
async fn scim_token(admin: &Api) -> String {
    let (s, body) = admin.send(Method::POST, "/v1/tenant/scim/tokens", Some(json!({ "name": "Okta" }))).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert!(body["secret"].as_str().unwrap().starts_with("cfs_"));
    body["secret"].as_str().unwrap().to_string()
}

fn patch(ops: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
}

async fn users_are_created_read_replaced_patched_listed_and_deleted(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let scim = Scim::new(&app, "acme", &scim_token(&admin).await);

    let (s, ann) = scim
        .send(
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "Ann@Acme.example", "externalId": "okta-1",
                "name": { "givenName": "Ann", "familyName": "Lee" }, "displayName": "Ann Lee",
                "emails": [{ "value": "ann@acme.example", "type": "work", "primary": true }],
                "active": true
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ann}");
    let id = ann["id"].as_str().unwrap().to_string();
    assert_eq!(ann["userName"], "Ann@Acme.example");
    assert_eq!(ann["name"]["familyName"], "Lee");
    assert_eq!(ann["active"], true);
    assert_eq!(ann["meta"]["resourceType"], "User");
    assert!(ann["meta"]["location"].as_str().unwrap().ends_with(&format!("/scim/v2/acme/Users/{id}")));
    // The tenant sees her as a member.
    let view = admin.get_json(&format!("/v1/users/{id}")).await;
    assert_eq!((view["email"].clone(), view["role"].clone()), (json!("ann@acme.example"), json!("member")));

    assert_eq!(scim.send(Method::GET, &format!("/Users/{id}"), None).await.1["displayName"], "Ann Lee");
    // Duplicates and bad input get SCIM errors, and nothing is written.
    let (s, e) = scim.send(Method::POST, "/Users", Some(json!({ "userName": "ann@acme.example" }))).await;
    scim_error(s, &e, 409, Some("uniqueness"));
    let (s, e) = scim.send(Method::POST, "/Users", Some(json!({ "name": { "givenName": "x" } }))).await;
    scim_error(s, &e, 400, Some("invalidValue"));
    let (s, e) =
        scim.send(Method::POST, "/Users", Some(json!({ "userName": "z@acme.example", "active": "maybe" }))).await;
    scim_error(s, &e, 400, Some("invalidValue"));
    let resp = scim
        .client
        .post(format!("{}/Users", scim.base))
        .bearer_auth(&scim.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (s, e) = (resp.status(), resp.json::<Value>().await.unwrap());
    scim_error(s, &e, 400, Some("invalidSyntax"));
    let (s, e) = scim.send(Method::GET, &format!("/Users/{}", uuid::Uuid::now_v7()), None).await;
    scim_error(s, &e, 404, None);
    let (s, e) = scim.send(Method::GET, "/Users?filter=userName%20co%20%22a%22", None).await;
    scim_error(s, &e, 400, Some("invalidFilter"));

    // Filters: userName (case-insensitive) and externalId.
    let (s, page) = scim.send(Method::GET, "/Users?filter=userName%20eq%20%22ann%40acme.example%22", None).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]));
    assert_eq!((page["totalResults"].clone(), page["Resources"][0]["id"].clone()), (json!(1), json!(id)));
    let page = scim.send(Method::GET, "/Users?filter=externalId%20eq%20%22okta-1%22", None).await.1;
    assert_eq!(page["totalResults"], 1);
    let page = scim.send(Method::GET, "/Users?filter=userName%20eq%20%22nobody%22", None).await.1;
    assert_eq!((page["totalResults"].clone(), page["Resources"].clone()), (json!(0), json!([])));

    // Paging: 1-based startIndex and count.
    for n in 0..4 {
        scim.create_user(&format!("u{n}@acme.example"), json!({})).await;
    }
    let page = scim.send(Method::GET, "/Users?startIndex=2&count=2", None).await.1;
    assert_eq!(
        (page["totalResults"].clone(), page["itemsPerPage"].clone(), page["startIndex"].clone()),
        (json!(5), json!(2), json!(2))
    );
    let all: Vec<Value> =
        scim.send(Method::GET, "/Users?count=10", None).await.1["Resources"].as_array().unwrap().clone();
    assert_eq!(all.len(), 5);
    assert_eq!(page["Resources"][0]["id"], all[1]["id"]);
    let page = scim.send(Method::GET, "/Users?startIndex=5&count=10", None).await.1;
    assert_eq!(page["itemsPerPage"], 1);
    let (s, e) = scim.send(Method::GET, "/Users?count=lots", None).await;
    scim_error(s, &e, 400, Some("invalidValue"));

    // PUT replaces; PATCH adds, replaces and removes.
    let (s, put) = scim
        .send(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(json!({ "userName": "ann@acme.example", "name": { "givenName": "Anne" }, "externalId": "okta-1" })),
        )
        .await;
    assert_eq!(s, 200, "{put}");
    assert_eq!(put["name"], json!({ "givenName": "Anne" }));
    assert!(put.get("displayName").is_none(), "replaced, not merged: {put}");
    let (s, p) = scim
        .send(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(json!([
                { "op": "add", "path": "displayName", "value": "Anne Lee" },
                { "op": "Replace", "path": "name.familyName", "value": "Lee" },
                { "op": "add", "path": "emails", "value": [{ "value": "anne@acme.example", "type": "work" }] },
                { "op": "remove", "path": "externalId" }
            ]))),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!((p["displayName"].clone(), p["name"]["familyName"].clone()), (json!("Anne Lee"), json!("Lee")));
    assert!(p.get("externalId").is_none(), "{p}");
    let (s, p) = scim
        .send(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(
                json!([{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@acme.example" }]),
            )),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["emails"][0]["value"], "a@acme.example");
    let (s, e) =
        scim.send(Method::PATCH, &format!("/Users/{id}"), Some(patch(json!([{ "op": "jump", "path": "x" }])))).await;
    scim_error(s, &e, 400, Some("invalidSyntax"));
    let (s, e) = scim.send(Method::PATCH, &format!("/Users/{id}"), Some(patch(json!([{ "op": "remove" }])))).await;
    scim_error(s, &e, 400, Some("noTarget"));
    let (s, e) = scim
        .send(Method::PATCH, &format!("/Users/{id}"), Some(patch(json!([{ "op": "remove", "path": "userName" }]))))
        .await;
    scim_error(s, &e, 400, Some("invalidValue"));

    // DELETE: gone from SCIM, disabled in the tenant (their history stays), audited.
    let (s, _) = scim.send(Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = scim.send(Method::GET, &format!("/Users/{id}"), None).await;
    scim_error(s, &e, 404, None);
    let (s, e) = scim.send(Method::DELETE, &format!("/Users/{id}"), None).await;
    scim_error(s, &e, 404, None);
    assert_eq!(admin.get_json(&format!("/v1/users/{id}")).await["status"], "disabled");
    assert_eq!(app.audit_count(&admin, "scim.user_provisioned").await, 5);
    assert_eq!(app.audit_count(&admin, "scim.user_deleted").await, 1);

    // Discovery documents.
    let spc = scim.send(Method::GET, "/ServiceProviderConfig", None).await.1;
    assert_eq!(spc["patch"]["supported"], true);
    let types = scim.send(Method::GET, "/ResourceTypes", None).await.1;
    assert_eq!(types["totalResults"], 2);
    let schemas = scim.send(Method::GET, "/Schemas", None).await.1;
    assert_eq!(schemas["totalResults"], 3);
}

async fn tokens_belong_to_one_tenant_and_can_be_revoked(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (_, globex_admin) = app.second_tenant("globex").await;
    let acme_token = scim_token(&admin).await;
    let globex_token = scim_token(&globex_admin).await;
    let globex = Scim::new(&app, "globex", &globex_token);
    let zed = globex.create_user("zed@globex.example", json!({})).await;

    // Acme's token reads and writes nothing of globex's, and the answer does not tell that
    // globex exists.
    let cross = Scim::new(&app, "globex", &acme_token);
    for (m, path, body) in [
        (Method::GET, "/Users".to_string(), None),
        (Method::GET, format!("/Users/{zed}"), None),
        (Method::POST, "/Users".to_string(), Some(json!({ "userName": "evil@acme.example" }))),
        (Method::DELETE, format!("/Users/{zed}"), None),
    ] {
        let (s, e) = cross.send(m, &path, body).await;
        scim_error(s, &e, 401, None);
    }
    let (s, e) = Scim::new(&app, "nowhere", &acme_token).send(Method::GET, "/Users", None).await;
    scim_error(s, &e, 401, None);
    // Through its own tenant's endpoint, another tenant's user id is simply not there.
    let acme = Scim::new(&app, "acme", &acme_token);
    let (s, e) = acme.send(Method::GET, &format!("/Users/{zed}"), None).await;
    scim_error(s, &e, 404, None);
    let (s, e) =
        acme.send(Method::POST, "/Groups", Some(json!({ "displayName": "g", "members": [{ "value": zed }] }))).await;
    scim_error(s, &e, 400, Some("invalidValue"));
    assert_eq!(globex.send(Method::GET, &format!("/Users/{zed}"), None).await.0, 200);
    // No token, an API token, a made-up token.
    let (session_token, _) = admin.create_token(json!({ "name": "t" })).await;
    for token in ["", &session_token, "cfs_madeup"] {
        let (s, e) = Scim::new(&app, "acme", token).send(Method::GET, "/Users", None).await;
        scim_error(s, &e, 401, None);
    }

    // Listed without the secret; revoked at once; audited.
    let list = admin.get_json("/v1/tenant/scim/tokens").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert!(!list.to_string().contains(&acme_token));
    let id = list["items"][0]["id"].as_str().unwrap();
    assert_eq!(admin.delete(&format!("/v1/tenant/scim/tokens/{id}")).await.status(), 204);
    let (s, e) = acme.send(Method::GET, "/Users", None).await;
    scim_error(s, &e, 401, None);
    let (s, body) = admin.send(Method::DELETE, &format!("/v1/tenant/scim/tokens/{id}"), None).await;
    assert_eq!(error_code(s, &body, 409), "conflict");
    let (s, body) = globex_admin.send(Method::DELETE, &format!("/v1/tenant/scim/tokens/{id}"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    assert_eq!(app.audit_count(&admin, "scim.token_created").await, 1);
    assert_eq!(app.audit_count(&admin, "scim.token_revoked").await, 1);
    // Only tenant admins manage tokens.
    app.create_user(&admin, "mo@acme.example", "member").await;
    let mo = app.login("mo@acme.example", PASSWORD).await;
    let (s, body) = mo.send(Method::POST, "/v1/tenant/scim/tokens", Some(json!({ "name": "x" }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    let (s, body) = admin.send(Method::POST, "/v1/tenant/scim/tokens", Some(json!({ "name": "" }))).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(app.anonymous().get("/v1/tenant/scim/tokens").await.status(), 401);
}

async fn groups_set_roles_through_the_mapping(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let scim = Scim::new(&app, "acme", &scim_token(&admin).await);
    let (s, body) = admin
        .send(
            Method::PUT,
            "/v1/tenant/role-mappings",
            Some(json!({ "mappings": [
                { "group": "Confab Admins", "role": "tenant_admin" },
                { "group": "auditors", "role": "auditor" }
            ] })),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = admin
        .send(
            Method::PUT,
            "/v1/tenant/role-mappings",
            Some(json!({ "mappings": [{ "group": "a", "role": "member" }, { "group": "A", "role": "auditor" }] })),
        )
        .await;
    assert_eq!(s, 422, "mapped twice: {body}");
    let ann = scim.create_user("ann@acme.example", json!({ "password": PASSWORD })).await;
    let role = |id: String| {
        let admin = admin.clone();
        async move { admin.get_json(&format!("/v1/users/{id}")).await["role"].as_str().unwrap().to_string() }
    };
    assert_eq!(role(ann.clone()).await, "member");

    let (s, auditors) = scim
        .send(Method::POST, "/Groups", Some(json!({ "displayName": "Auditors", "members": [{ "value": ann }] })))
        .await;
    assert_eq!(s, 201, "{auditors}");
    let auditors = auditors["id"].as_str().unwrap().to_string();
    assert_eq!(role(ann.clone()).await, "auditor");
    let user = scim.send(Method::GET, &format!("/Users/{ann}"), None).await.1;
    assert_eq!(user["groups"][0]["display"], "Auditors");

    let (s, admins) = scim.send(Method::POST, "/Groups", Some(json!({ "displayName": "Confab Admins" }))).await;
    assert_eq!(s, 201, "{admins}");
    let admins = admins["id"].as_str().unwrap().to_string();
    let ann_session = app.login("ann@acme.example", PASSWORD).await;
    let (s, g) = scim
        .send(
            Method::PATCH,
            &format!("/Groups/{admins}"),
            Some(patch(json!([{ "op": "add", "path": "members", "value": [{ "value": ann }] }]))),
        )
        .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["members"][0]["value"], ann);
    assert_eq!(role(ann.clone()).await, "tenant_admin", "the highest mapped role wins");
    assert_eq!(ann_session.get("/v1/me").await.status(), 401, "a role change signs her out");
    let ann_session = app.login("ann@acme.example", PASSWORD).await;
    assert_eq!(ann_session.get("/v1/users").await.status(), 200);

    let filter = "/Groups?filter=displayName%20eq%20%22Confab%20Admins%22";
    assert_eq!(scim.send(Method::GET, filter, None).await.1["Resources"][0]["id"], admins);
    let (s, e) = scim.send(Method::POST, "/Groups", Some(json!({ "displayName": "Auditors" }))).await;
    scim_error(s, &e, 409, Some("uniqueness"));

    let path = format!("members[value eq \"{ann}\"]");
    let (s, g) = scim
        .send(Method::PATCH, &format!("/Groups/{admins}"), Some(patch(json!([{ "op": "remove", "path": path }]))))
        .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["members"], json!([]));
    assert_eq!(role(ann.clone()).await, "auditor");
    assert_eq!(ann_session.get("/v1/users").await.status(), 401);
    // The mapping itself changing applies at once too.
    let (s, _) = admin
        .send(
            Method::PUT,
            "/v1/tenant/role-mappings",
            Some(json!({ "mappings": [{ "group": "Auditors", "role": "tenant_admin" }] })),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(role(ann.clone()).await, "tenant_admin");
    assert_eq!(
        admin.get_json("/v1/tenant/role-mappings").await["mappings"],
        json!([{ "group": "Auditors", "role": "tenant_admin" }])
    );
    let (s, _) = scim.send(Method::DELETE, &format!("/Groups/{auditors}"), None).await;
    assert_eq!(s, 204);
    assert_eq!(role(ann.clone()).await, "member", "unmapped → member");
    let changes = admin.get_json("/v1/audit?action=user.role_changed").await;
    assert!(changes["items"].as_array().unwrap().len() >= 4, "{changes}");
    assert_eq!(changes["items"][0]["details"]["via"], "groups");
    assert_eq!(app.audit_count(&admin, "tenant.role_mappings_set").await, 2);
    // The bootstrap admin, not provisioned, keeps their role throughout.
    assert_eq!(admin.get("/v1/users").await.status(), 200);
}

/// Starts a long answer as `user`; returns the open stream.
async fn open_stream(user: &Api) -> SseReader {
    let conv = user.conversation().await;
    let resp = user
        .stream(
            &format!("/v1/conversations/{conv}/messages"),
            "k-stream",
            json!({ "content": "[upstream tokens=600 delay_ms=20] go", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let mut sse = SseReader::new(resp);
    for _ in 0..3 {
        sse.next().await.unwrap();
    }
    sse
}

/// Reads the stream until it ends; returns how long after `since` that was.
async fn stream_end(mut sse: SseReader, since: Instant) -> Duration {
    let ended = tokio::time::timeout(Duration::from_secs(8), async {
        while let Some(e) = sse.next().await {
            assert_ne!(e.event, "message.completed", "the stream ran to its end instead of being cut");
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream was still open 8 s after deprovisioning");
    since.elapsed()
}

/// Polls until the token is refused; returns how long after `since` that was.
async fn token_refused(api: &Api, since: Instant) -> Duration {
    loop {
        let status = api.get("/v1/conversations").await.status();
        if status == StatusCode::UNAUTHORIZED {
            return since.elapsed();
        }
        assert_eq!(status, StatusCode::OK);
        assert!(since.elapsed() < Duration::from_secs(5), "the API token still works");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deprovisioning_ends_streams_sessions_and_tokens_within_two_seconds(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    let scim = Scim::new(&app, "acme", &scim_token(&admin).await);
    let ann = scim.create_user("ann@acme.example", json!({ "password": PASSWORD })).await;
    let session = app.login("ann@acme.example", PASSWORD).await;
    let (secret, _) = session.create_token(json!({ "name": "ci" })).await;
    let token = app.with_token(&secret);
    assert_eq!(token.get("/v1/conversations").await.status(), 200);
    let sse = open_stream(&session).await;
    // And a long answer through the OpenAI-compatible endpoint with her API token.
    let mut openai = token
        .request(Method::POST, "/openai/v1/chat/completions")
        .json(&json!({ "model": "gpt-4o", "stream": true,
                       "messages": [{ "role": "user", "content": "[upstream tokens=600 delay_ms=20] go" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(openai.status(), 200);
    let mut openai_text = String::new();
    while openai_text.matches("data: ").count() < 3 {
        openai_text.push_str(&String::from_utf8_lossy(&openai.chunk().await.unwrap().expect("the stream is open")));
    }

    let started = Instant::now();
    let (s, u) = scim
        .send(
            Method::PATCH,
            &format!("/Users/{ann}"),
            Some(patch(json!([{ "op": "Replace", "path": "active", "value": "False" }]))),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["active"], false);
    let openai_end = async {
        let ended = tokio::time::timeout(Duration::from_secs(8), async {
            while let Some(chunk) = openai.chunk().await.unwrap() {
                openai_text.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await;
        assert!(ended.is_ok(), "the OpenAI-compatible stream was still open 8 s after deprovisioning");
        started.elapsed()
    };
    let (stream_took, token_took, openai_took) =
        tokio::join!(stream_end(sse, started), token_refused(&token, started), openai_end);
    eprintln!(
        "deprovisioned: stream ended after {stream_took:?}, API token refused after {token_took:?}, \
         OpenAI-compatible stream ended after {openai_took:?}"
    );
    assert!(stream_took < Duration::from_secs(2), "{stream_took:?}");
    assert!(token_took < Duration::from_secs(2), "{token_took:?}");
    assert!(openai_took < Duration::from_secs(2), "{openai_took:?}");
    // It ends with OpenAI's error event, not as if the answer were complete.
    assert!(!openai_text.contains("[DONE]"), "the OpenAI-compatible stream ran to its end: {openai_text}");
    let last = openai_text.trim_end().rsplit("data: ").next().unwrap();
    let last: Value = serde_json::from_str(last).unwrap();
    assert_eq!(last["error"]["type"], "authentication_error", "{last}");
    assert_eq!(last["error"]["code"], "credential_revoked", "{last}");
    assert_eq!(session.get("/v1/me").await.status(), 401);
    let (s, body) = app
        .anonymous()
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": "ann@acme.example", "password": PASSWORD })))
        .await;
    assert_eq!(error_code(s, &body, 401), "invalid_credentials");
    let tokens = admin.get_json("/v1/tokens").await;
    assert!(tokens["items"][0]["revoked_at"].is_string(), "the token is revoked, not just refused: {tokens}");
    assert_eq!(app.audit_count(&admin, "scim.user_deprovisioned").await, 1);
    // Reactivated: she can sign in again (her old token stays revoked).
    let (s, u) = scim
        .send(
            Method::PATCH,
            &format!("/Users/{ann}"),
            Some(patch(json!([{ "op": "replace", "value": { "active": true } }]))),
        )
        .await;
    assert_eq!((s, u["active"].clone()), (StatusCode::OK, json!(true)));
    app.login("ann@acme.example", PASSWORD).await;
    assert_eq!(token.get("/v1/conversations").await.status(), 401);
}

async fn the_operator_creates_a_scim_token_from_the_command_line(b: Backend) {
    let app = TestApp::spawn(b).await;
    let out = app.cli(&["admin", "create-scim-token", "--tenant", "acme", "--name", "Entra ID"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let secret = out.stdout.trim().to_string();
    assert!(secret.starts_with("cfs_"), "{secret}");
    let scim = Scim::new(&app, "acme", &secret);
    let (s, page) = scim.send(Method::GET, "/Users", None).await;
    assert_eq!(s, 200, "{page}");
    let (s, e) = Scim::new(&app, "nowhere", &secret).send(Method::GET, "/Users", None).await;
    scim_error(s, &e, 401, None);
    let out = app.cli(&["admin", "create-scim-token", "--tenant", "nowhere"], None);
    assert_ne!(out.code, 0);
    let admin = app.admin().await;
    let list = admin.get_json("/v1/tenant/scim/tokens").await;
    assert_eq!(list["items"][0]["name"], "Entra ID");
    assert!(list["items"][0]["created_by"].is_null());
}

both_backends!(
    the_operator_creates_a_scim_token_from_the_command_line,
    users_are_created_read_replaced_patched_listed_and_deleted,
    tokens_belong_to_one_tenant_and_can_be_revoked,
    groups_set_roles_through_the_mapping,
    deprovisioning_ends_streams_sessions_and_tokens_within_two_seconds,
);

/// Two replicas over PostgreSQL and Redis: deprovisioned through replica A, the user's stream and
/// API token on replica B end within two seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deprovisioning_on_one_replica_reaches_the_other_within_two_seconds() {
    let upstream = ScriptedUpstream::start().await;
    let redis = RedisServer::start();
    let a = TestApp::spawn_with(
        Backend::Postgres,
        Options::default().upstream(&upstream).env("CONFAB_REDIS__URL", &redis.url()),
    )
    .await;
    let b = a.replica(&[]);
    let admin = a.admin().await;
    let scim = Scim::new(&a, "acme", &scim_token(&admin).await);
    let ann = scim.create_user("ann@acme.example", json!({ "password": PASSWORD })).await;
    let session = a.login("ann@acme.example", PASSWORD).await;
    let (secret, _) = session.create_token(json!({ "name": "ci" })).await;
    let token_on_b = a.with_token(&secret).on(&b);
    for _ in 0..3 {
        assert_eq!(token_on_b.get("/v1/conversations").await.status(), 200, "warms B's cache");
    }
    let sse_on_b = open_stream(&session.on(&b)).await;

    let started = Instant::now();
    let (s, _) = scim.send(Method::DELETE, &format!("/Users/{ann}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (stream_took, token_took) = tokio::join!(stream_end(sse_on_b, started), token_refused(&token_on_b, started));
    eprintln!(
        "deprovisioned on A: stream on B ended after {stream_took:?}, API token refused on B after {token_took:?}"
    );
    assert!(stream_took < Duration::from_secs(2), "{stream_took:?}");
    assert!(token_took < Duration::from_secs(2), "{token_took:?}");
    assert_eq!(session.on(&b).get("/v1/me").await.status(), 401);
    drop(redis);
}

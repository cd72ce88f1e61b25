//! Health, readiness, metrics, headers, the docs and the committed OpenAPI contract.
use confab_tests::*;
use reqwest::Method;

async fn health_readiness_and_metrics(b: Backend) {
    let app = TestApp::spawn(b).await;
    let anon = app.anonymous();
    assert_eq!(anon.get_json("/healthz").await["status"], "ok");
    let ready = anon.get_json("/readyz").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["database"], "ok");
    assert_eq!(ready["checks"]["schema"], "current");
    let metrics = anon.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("confab_http_requests_total{method=\"GET\",status=\"200\"}"), "{metrics}");
    assert!(metrics.contains("confab_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("confab_database_up 1"));
}

async fn every_response_carries_security_headers_and_a_request_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    let client = reqwest::Client::new();
    for path in ["/healthz", "/v1/me", "/v1/nowhere", "/", "/openapi.json"] {
        let resp = client.get(app.url(path)).send().await.unwrap();
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h["x-request-id"].to_str().unwrap().len() >= 16, "{path}");
    }
    // A sane incoming request id is kept end to end and quoted in error bodies.
    let resp = client.get(app.url("/v1/me")).header("x-request-id", "trace-abc-123").send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-abc-123");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "trace-abc-123");
    // An unsafe one is replaced.
    let resp = client.get(app.url("/healthz")).header("x-request-id", "<script>").send().await.unwrap();
    assert_ne!(resp.headers()["x-request-id"], "<script>");
}

async fn the_docs_page_runs_under_a_hash_pinned_policy(b: Backend) {
    let app = TestApp::spawn(b).await;
    let resp = app.anonymous().get("/docs").await;
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = resp.text().await.unwrap();
    assert!(html.contains("SwaggerUIBundle"));
    // It shows the document `/openapi.json` serves, with the answer stream's event union.
    assert!(
        html.contains("x-event-schema") && html.contains("StreamEvent_MessageDelta"),
        "the docs page embeds another spec"
    );
    assert!(csp.contains("'sha256-"), "{csp}");
    assert!(!csp.split("script-src").nth(1).unwrap().split(';').next().unwrap().contains("unsafe-inline"), "{csp}");
}

async fn the_served_spec_matches_the_committed_file(b: Backend) {
    let app = TestApp::spawn(b).await;
    let served = app.anonymous().get("/openapi.json").await.text().await.unwrap();
    let committed_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let committed = std::fs::read_to_string(&committed_path).unwrap();
    let served: serde_json::Value = serde_json::from_str(&served).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert!(
        served == committed,
        "openapi/openapi.json is stale: regenerate it with `scripts/openapi.sh` (confab openapi --output openapi/openapi.json)"
    );
    // Every operation documents the error body.
    for (path, ops) in served["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for code in ["400", "401", "403", "404", "422", "500", "503"] {
                assert!(responses.contains_key(code), "{method} {path} does not document {code}");
            }
        }
    }
}

/// Without a built web chat (`server.web_dir` has no index.html, as in a fresh checkout before
/// `npm run build`), `/` is a plain server-rendered sign-in page.
async fn without_a_built_web_chat_the_start_page_signs_in_without_inline_script(b: Backend) {
    let app = TestApp::spawn(b).await;
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::limited(3)).build().unwrap();
    let page = client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<form method=\"post\" action=\"/login\">"), "{page}");
    assert!(!page.contains("<script") && !page.contains("style="));
    let resp = client
        .post(app.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    assert!(page.contains("Signed in as <strong>admin@acme.example</strong>"), "{page}");
    let resp = client
        .post(app.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", "wrong wrong wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // A form posted from another site is refused.
    let resp = reqwest::Client::new()
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

/// A built web chat: index.html for `/` and every client-side route (never cached, so a release
/// is picked up at once), hashed assets cached for a year, and the server's own paths unchanged.
async fn the_web_chat_is_served_at_its_routes_and_the_server_paths_keep_theirs(b: Backend) {
    let dir = std::env::temp_dir().join(format!("confab-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    let index = "<!doctype html><div id=\"root\"></div><script type=\"module\" src=\"/assets/app-1a2b3c.js\"></script>";
    std::fs::write(dir.join("index.html"), index).unwrap();
    std::fs::write(dir.join("assets/app-1a2b3c.js"), "console.log('confab')").unwrap();
    let app = TestApp::spawn_with(b, Options::default().env("CONFAB_SERVER__WEB_DIR", dir.to_str().unwrap())).await;
    let client = reqwest::Client::new();

    for path in ["/", "/c/0193a5b0-7a4e-7c3b-9f00-000000000001", "/s/some-share-token", "/shared/abc", "/presets"] {
        let resp = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers().clone();
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(resp.text().await.unwrap(), index, "{path}");
    }

    let resp = client.get(app.url("/assets/app-1a2b3c.js")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(resp.text().await.unwrap(), "console.log('confab')");
    for missing in ["/assets/app-000000.js", "/assets/..%2Findex.html", "/nowhere", "/c/1/extra"] {
        assert_eq!(client.get(app.url(missing)).send().await.unwrap().status(), 404, "{missing}");
    }

    // The API, docs, probes, setup and the old stylesheet are untouched.
    let (status, body) = app.anonymous().send(Method::GET, "/v1/nowhere", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert_eq!(app.anonymous().send(Method::GET, "/v1/me", None).await.0, 401);
    assert_eq!(app.anonymous().get_json("/healthz").await["status"], "ok");
    assert!(app.anonymous().get("/docs").await.text().await.unwrap().contains("SwaggerUIBundle"));
    assert!(app.anonymous().get("/metrics").await.text().await.unwrap().contains("confab_database_up"));
    let setup = app.anonymous().get("/setup?token=not-a-token").await;
    assert_eq!(setup.status(), 404);
    assert!(setup.text().await.unwrap().contains("setup link is not valid"));
    assert_eq!(app.anonymous().get("/assets/confab.css").await.status(), 200);
    std::fs::remove_dir_all(&dir).ok();
}

async fn sigterm_shuts_down_gracefully(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    assert_eq!(app.anonymous().send(Method::GET, "/healthz", None).await.0, 200);
    assert_eq!(app.terminate(), Some(0), "{}", app.server_log());
}

both_backends!(
    health_readiness_and_metrics,
    every_response_carries_security_headers_and_a_request_id,
    the_docs_page_runs_under_a_hash_pinned_policy,
    the_served_spec_matches_the_committed_file,
    without_a_built_web_chat_the_start_page_signs_in_without_inline_script,
    the_web_chat_is_served_at_its_routes_and_the_server_paths_keep_theirs,
    sigterm_shuts_down_gracefully,
);

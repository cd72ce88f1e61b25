//! SIEM streaming of the audit log: a local webhook receiver (which checks every signature) and
//! a local syslog listener get every entry of their scope exactly once, in order; a receiver
//! that is down builds a visible backlog that drains in order when it returns; tenants never
//! see each other's entries; bad sink definitions are refused and change nothing.
use base64::Engine;
use confab_tests::*;
use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;

const SECRET: &str = "whsec-0123456789abcdef-canary";

fn master_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

fn siem_options() -> Options {
    Options::default()
        .env("CONFAB_SECRETS__MASTER_KEY", &master_key())
        .env("CONFAB_SIEM__ALLOW_LOOPBACK", "true")
        .env("CONFAB_SIEM__POLL_INTERVAL_MS", "100")
        .env("CONFAB_SIEM__BATCH_SIZE", "3")
        .env("CONFAB_SIEM__MAX_BACKOFF_SECS", "1")
}

/// A webhook receiver on loopback that checks each request's signature and timestamp, and
/// answers 503 while switched off.
#[derive(Clone)]
struct Hooks {
    url: String,
    /// Bodies accepted (signature valid), in arrival order.
    bodies: Arc<Mutex<Vec<Value>>>,
    bad_signatures: Arc<AtomicUsize>,
    refused_while_down: Arc<AtomicUsize>,
    up: Arc<AtomicBool>,
}

impl Hooks {
    async fn start() -> Hooks {
        let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let hooks = Hooks {
            url: format!("http://{addr}/hook"),
            bodies: Arc::default(),
            bad_signatures: Arc::default(),
            refused_while_down: Arc::default(),
            up: Arc::new(AtomicBool::new(true)),
        };
        let h = hooks.clone();
        let endpoint = poem::endpoint::make(move |mut req: poem::Request| {
            let h = h.clone();
            async move {
                if !h.up.load(Ordering::SeqCst) {
                    h.refused_while_down.fetch_add(1, Ordering::SeqCst);
                    return poem::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                let (timestamp, signature) = (header("x-confab-timestamp"), header("x-confab-signature"));
                let body = req.take_body().into_string().await.unwrap_or_default();
                let ts: i64 = timestamp.as_deref().and_then(|t| t.parse().ok()).unwrap_or(0);
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(format!("{ts}.{body}").as_bytes());
                let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
                let fresh = (chrono::Utc::now().timestamp() - ts).abs() < 300;
                if signature.as_deref() != Some(expected.as_str()) || !fresh {
                    h.bad_signatures.fetch_add(1, Ordering::SeqCst);
                    return poem::http::StatusCode::UNAUTHORIZED;
                }
                h.bodies.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                poem::http::StatusCode::NO_CONTENT
            }
        });
        let app = poem::Route::new().at("/hook", poem::post(endpoint));
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
        hooks
    }

    /// Entries of real deliveries (not test events), in arrival order.
    fn entries(&self) -> Vec<Value> {
        let bodies = self.bodies.lock().unwrap();
        bodies.iter().filter(|b| b["test"] == false).flat_map(|b| b["entries"].as_array().unwrap().clone()).collect()
    }
}

/// A syslog collector on loopback: reads RFC 6587 octet-counted frames and keeps each message.
#[derive(Clone)]
struct Syslog {
    url: String,
    messages: Arc<Mutex<Vec<String>>>,
}

/// The messages of one connection's octet-counted frames.
fn frames(raw: &[u8]) -> Vec<String> {
    let mut rest = raw;
    let mut got = Vec::new();
    while !rest.is_empty() {
        let space = rest.iter().position(|&c| c == b' ').expect("a frame length");
        let len: usize = std::str::from_utf8(&rest[..space]).unwrap().parse().unwrap();
        got.push(String::from_utf8(rest[space + 1..space + 1 + len].to_vec()).unwrap());
        rest = &rest[space + 1 + len..];
    }
    got
}

/// A TLS acceptor with the certificate (and key) in `certs`.
fn tls_acceptor(certs: &confab_tests::tls::Certs) -> tokio_rustls::TlsAcceptor {
    tokio_rustls::TlsAcceptor::from(Arc::new(certs.server_config()))
}

impl Syslog {
    async fn start() -> Syslog {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let syslog = Syslog { url: format!("tcp://{}", listener.local_addr().unwrap()), messages: Arc::default() };
        let messages = syslog.messages.clone();
        // One connection at a time, in the order they were made: a batch per connection.
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut raw = Vec::new();
                socket.read_to_end(&mut raw).await.unwrap();
                messages.lock().unwrap().extend(frames(&raw));
            }
        });
        syslog
    }

    /// A collector speaking TLS with `acceptor`'s certificate, which the returned handle swaps.
    /// A connection whose handshake fails (the client refused the certificate) delivers nothing;
    /// the third value counts them.
    async fn start_tls(
        acceptor: tokio_rustls::TlsAcceptor,
    ) -> (Syslog, Arc<Mutex<tokio_rustls::TlsAcceptor>>, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let syslog = Syslog { url: format!("tls://{}", listener.local_addr().unwrap()), messages: Arc::default() };
        let acceptor = Arc::new(Mutex::new(acceptor));
        let refused = Arc::new(AtomicUsize::new(0));
        let (messages, current, failed) = (syslog.messages.clone(), acceptor.clone(), refused.clone());
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let acceptor = current.lock().unwrap().clone();
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    failed.fetch_add(1, Ordering::SeqCst);
                    continue;
                };
                let mut raw = Vec::new();
                // A connection that ends without TLS's close_notify is not a complete delivery.
                if tls.read_to_end(&mut raw).await.is_ok() {
                    messages.lock().unwrap().extend(frames(&raw));
                }
            }
        });
        (syslog, acceptor, refused)
    }

    /// Each message's entry (the JSON after the BOM), checking the RFC 5424 header on the way.
    fn entries(&self, test: bool) -> Vec<Value> {
        let messages = self.messages.lock().unwrap();
        messages
            .iter()
            .map(|m| {
                assert!(m.starts_with("<110>1 ") || m.starts_with("<108>1 "), "not RFC 5424 log-audit: {m}");
                let (header, json) = m.split_once('\u{feff}').expect("MSG with a BOM");
                let entry: Value = serde_json::from_str(json).unwrap();
                let fields: Vec<&str> = header.split(' ').collect();
                assert_eq!(fields[3], "confab", "APP-NAME: {m}");
                assert_eq!(fields[5], entry["action"].as_str().unwrap(), "MSGID is the action: {m}");
                assert!(header.contains(&format!("id=\"{}\"", entry["id"].as_str().unwrap())), "{m}");
                (header.contains(&format!("test=\"{test}\"")), entry)
            })
            .filter(|(wanted, _)| *wanted)
            .map(|(_, e)| e)
            .collect()
    }
}

fn ids(entries: &[Value]) -> Vec<String> {
    entries.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
}

/// The entries of a log (`/v1/audit` or `/v1/platform/audit`) from `first_seq` on, oldest first.
async fn log_from(reader: &Api, path: &str, first_seq: i64) -> Vec<Value> {
    let page = reader.get_json(&format!("{path}?limit=200")).await;
    let mut items: Vec<Value> =
        page["items"].as_array().unwrap().iter().filter(|e| e["seq"].as_i64().unwrap() >= first_seq).cloned().collect();
    items.reverse();
    items
}

/// Waits until every sink of the list has no backlog and has delivered at least up to `seq`.
async fn wait_drained(reader: &Api, path: &str, seq: i64) -> Value {
    for _ in 0..300 {
        let sinks = reader.get_json(path).await;
        let done = sinks["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["backlog"] == 0 && s["delivered_seq"].as_i64().unwrap() >= seq);
        if done {
            return sinks;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sinks did not catch up: {}", reader.get_json(path).await);
}

async fn create_sink(api: &Api, path: &str, body: Value) -> Value {
    let (status, sink) = api.send(Method::POST, path, Some(body)).await;
    assert_eq!(status, 201, "{sink}");
    sink
}

async fn every_entry_reaches_webhook_and_syslog_once_in_order(b: Backend) {
    let hooks = Hooks::start().await;
    let syslog = Syslog::start().await;
    let platform_syslog = Syslog::start().await;
    let app = TestApp::spawn_with(b, siem_options()).await;
    let admin = app.admin().await;

    let hook = create_sink(
        &admin,
        "/v1/tenant/audit-sinks",
        json!({ "name": "SIEM webhook", "kind": "webhook", "url": hooks.url, "secret": SECRET }),
    )
    .await;
    assert_eq!(hook["has_secret"], true);
    assert_eq!(hook["status"], "ok");
    assert!(hook.get("secret").is_none() && !hook.to_string().contains(SECRET), "{hook}");
    let sys = create_sink(
        &admin,
        "/v1/tenant/audit-sinks",
        json!({ "name": "Collector", "kind": "syslog", "url": syslog.url }),
    )
    .await;
    assert_eq!(sys["has_secret"], false);
    let platform = create_sink(
        &admin,
        "/v1/platform/audit-sinks",
        json!({ "name": "Operator SIEM", "kind": "syslog", "url": platform_syslog.url }),
    )
    .await;

    // A test event reaches each sink at once, marked as a test.
    let hook_id = hook["id"].as_str().unwrap();
    let (s, tested) = admin.send(Method::POST, &format!("/v1/tenant/audit-sinks/{hook_id}/test"), None).await;
    assert_eq!(s, 200, "{tested}");
    assert_eq!(tested["delivered"], true, "{tested}");
    let test_bodies: Vec<Value> = hooks.bodies.lock().unwrap().iter().filter(|b| b["test"] == true).cloned().collect();
    assert_eq!(test_bodies.len(), 1);
    assert_eq!(test_bodies[0]["entries"][0]["action"], "audit_sink.test");
    assert_eq!(test_bodies[0]["sink_id"], hook_id);
    let sys_id = sys["id"].as_str().unwrap();
    let (_, tested) = admin.send(Method::POST, &format!("/v1/tenant/audit-sinks/{sys_id}/test"), None).await;
    assert_eq!(tested["delivered"], true, "{tested}");

    // Activity in this tenant, in another tenant (created by the operator: a platform entry),
    // and more here.
    for i in 0..4 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
    }
    let (_, globex) = app.second_tenant("globex").await;
    for i in 0..3 {
        app.create_user(&globex, &format!("user{i}@globex.example"), "member").await;
    }
    for i in 4..7 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
    }

    let acme_last = admin.get_json("/v1/audit?limit=1").await["items"][0]["seq"].as_i64().unwrap();
    let sinks = wait_drained(&admin, "/v1/tenant/audit-sinks", acme_last).await;
    let platform_last = admin.get_json("/v1/platform/audit?limit=1").await["items"][0]["seq"].as_i64().unwrap();
    wait_drained(&admin, "/v1/platform/audit-sinks", platform_last).await;
    // Let any stray (duplicate) delivery arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Webhook: every entry of the tenant from the sink's creation on, once each, in order.
    let expected = log_from(&admin, "/v1/audit", hook["delivered_seq"].as_i64().unwrap() + 1).await;
    assert_eq!(expected[0]["action"], "audit_sink.created");
    assert!(expected.len() >= 11, "{expected:?}");
    let got = hooks.entries();
    assert_eq!(ids(&got), ids(&expected), "webhook entries differ from the tenant's log");
    assert_eq!(hooks.bad_signatures.load(Ordering::SeqCst), 0);
    let bodies = hooks.bodies.lock().unwrap().clone();
    assert!(bodies.iter().all(|b| b["entries"].as_array().unwrap().len() <= 3), "batches of at most 3");
    assert!(bodies.len() >= 4, "the backlog went in several batches");
    let created = got.iter().find(|e| e["action"] == "user.created").unwrap();
    assert!(created["seq"].as_i64().unwrap() > 0 && created["details"].is_object(), "{created}");
    // Syslog: the same from its own creation on, one message per entry.
    let expected = log_from(&admin, "/v1/audit", sys["delivered_seq"].as_i64().unwrap() + 1).await;
    assert_eq!(ids(&syslog.entries(false)), ids(&expected), "syslog entries differ from the tenant's log");
    assert_eq!(syslog.entries(true).len(), 1, "one test event");
    // Nothing of the other tenant reached this tenant's sinks.
    let acme = admin.get_json("/v1/me").await["active_tenant"]["id"].clone();
    for e in got.iter().chain(syslog.entries(false).iter()) {
        assert_eq!(e["tenant_id"], acme, "{e}");
        assert!(!e.to_string().contains("globex.example"), "{e}");
    }
    // The platform sink got the installation's own entries (the new tenant), and only those.
    let expected = log_from(&admin, "/v1/platform/audit", platform["delivered_seq"].as_i64().unwrap() + 1).await;
    let platform_got = platform_syslog.entries(false);
    assert_eq!(ids(&platform_got), ids(&expected));
    assert!(platform_got.iter().any(|e| e["action"] == "tenant.created"), "{platform_got:?}");
    assert!(platform_got.iter().all(|e| e["tenant_id"].is_null()));
    // Status: caught up and healthy; the tenant's sinks are not the other tenant's business.
    for s in sinks["items"].as_array().unwrap() {
        assert_eq!(s["status"], "ok", "{s}");
        assert!(s["last_success_at"].is_string() && s["last_error"].is_null(), "{s}");
    }
    assert_eq!(globex.get_json("/v1/tenant/audit-sinks").await["items"].as_array().unwrap().len(), 0);
    for (method, body) in
        [(Method::GET, None), (Method::PATCH, Some(json!({ "enabled": false }))), (Method::DELETE, None)]
    {
        let (s, resp) = globex.send(method.clone(), &format!("/v1/tenant/audit-sinks/{hook_id}"), body).await;
        assert_eq!(error_code(s, &resp, 404), "not_found", "{method}");
    }
    let (s, resp) = globex.send(Method::POST, &format!("/v1/tenant/audit-sinks/{hook_id}/test"), None).await;
    assert_eq!(error_code(s, &resp, 404), "not_found");
    assert_eq!(admin.get_json(&format!("/v1/tenant/audit-sinks/{hook_id}")).await["enabled"], true);
    // The secret appears nowhere: not in the audit log, not in the server's log.
    let log = admin.get_json("/v1/audit?limit=200").await.to_string();
    assert!(log.contains("audit_sink.created") && !log.contains(SECRET));
    assert!(!app.server_log().contains(SECRET));
}

async fn a_down_receiver_builds_a_visible_backlog_that_drains_in_order(b: Backend) {
    let hooks = Hooks::start().await;
    hooks.up.store(false, Ordering::SeqCst);
    let app = TestApp::spawn_with(b, siem_options()).await;
    let admin = app.admin().await;
    let hook = create_sink(
        &admin,
        "/v1/tenant/audit-sinks",
        json!({ "name": "SIEM", "kind": "webhook", "url": hooks.url, "secret": SECRET }),
    )
    .await;
    let path = format!("/v1/tenant/audit-sinks/{}", hook["id"].as_str().unwrap());
    for i in 0..4 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
    }
    // The failure shows: status, attempts, error, the backlog; readiness reports it but stays 200.
    let mut failing = Value::Null;
    for _ in 0..100 {
        failing = admin.get_json(&path).await;
        if failing["attempts"].as_i64().unwrap() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failing["status"], "failing", "{failing}");
    assert!(failing["attempts"].as_i64().unwrap() >= 2, "{failing}");
    assert!(failing["last_error"].as_str().unwrap().contains("503"), "{failing}");
    assert!(failing["next_attempt_at"].is_string() && failing["last_success_at"].is_null(), "{failing}");
    let first_seq = hook["delivered_seq"].as_i64().unwrap() + 1;
    let waiting = log_from(&admin, "/v1/audit", first_seq).await.len() as u64;
    assert!(waiting >= 5, "its creation and four users");
    assert_eq!(failing["backlog"].as_u64().unwrap(), waiting, "{failing}");
    let ready = app.anonymous().get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["checks"]["audit_sinks"]["status"], "failing", "{ready}");
    assert_eq!(ready["checks"]["audit_sinks"]["failing"], 1, "{ready}");
    assert!(ready["checks"]["audit_sinks"]["backlog"].as_u64().unwrap() >= 5, "{ready}");
    let health = admin.get_json("/v1/platform/health").await;
    assert!(
        health["checks"].as_array().unwrap().iter().any(|c| c["name"] == "audit_sinks" && c["ok"] == false),
        "{health}"
    );
    // The backlog grows while it is down.
    for i in 4..6 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
    }
    let waiting_more = log_from(&admin, "/v1/audit", first_seq).await.len() as u64;
    assert!(waiting_more >= waiting + 2);
    assert_eq!(admin.get_json(&path).await["backlog"], waiting_more);
    assert!(hooks.refused_while_down.load(Ordering::SeqCst) >= 2);
    assert!(hooks.bodies.lock().unwrap().is_empty());

    // Back up: everything arrives, in order, once.
    hooks.up.store(true, Ordering::SeqCst);
    let last = admin.get_json("/v1/audit?limit=1").await["items"][0]["seq"].as_i64().unwrap();
    wait_drained(&admin, "/v1/tenant/audit-sinks", last).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expected = log_from(&admin, "/v1/audit", first_seq).await;
    assert_eq!(expected.len() as u64, waiting_more);
    assert_eq!(ids(&hooks.entries()), ids(&expected));
    assert_eq!(hooks.bad_signatures.load(Ordering::SeqCst), 0);
    let healthy = admin.get_json(&path).await;
    assert_eq!(healthy["status"], "ok", "{healthy}");
    assert_eq!(healthy["attempts"], 0);
    assert!(healthy["last_error"].is_null() && healthy["last_success_at"].is_string(), "{healthy}");
    let ready: Value = app.anonymous().get_json("/readyz").await;
    assert_eq!(ready["checks"]["audit_sinks"]["status"], "ok", "{ready}");
    assert_eq!(ready["checks"]["audit_sinks"]["backlog"], 0, "{ready}");

    // Paused, it delivers nothing; changes are audited without the secret.
    let (s, paused) =
        admin.send(Method::PATCH, &path, Some(json!({ "enabled": false, "secret": "a-brand-new-secret-value" }))).await;
    assert_eq!(s, 200, "{paused}");
    assert_eq!(paused["status"], "disabled");
    let updates = admin.get_json("/v1/audit?action=audit_sink.updated").await;
    assert_eq!(updates["items"][0]["details"]["secret_rotated"], true, "{updates}");
    assert!(!updates.to_string().contains("a-brand-new-secret-value"));
    let (s, _) = admin.send(Method::DELETE, &path, None).await;
    assert_eq!(s, 204);
    assert_eq!(app.audit_count(&admin, "audit_sink.deleted").await, 1);
    let (s, resp) = admin.send(Method::GET, &path, None).await;
    assert_eq!(error_code(s, &resp, 404), "not_found");
}

async fn bad_sink_definitions_are_refused_and_change_nothing(b: Backend) {
    let app = TestApp::spawn_with(b, siem_options()).await;
    let admin = app.admin().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let webhook = |url: &str| json!({ "name": "x", "kind": "webhook", "url": url, "secret": SECRET });
    for (body, status, field) in [
        (json!({ "name": "x", "kind": "smtp", "url": "https://siem.example.com/" }), 400, None),
        (
            json!({ "name": "x", "kind": "webhook", "url": "https://siem.example.com/", "secret": SECRET, "extra": 1 }),
            400,
            None,
        ),
        (webhook("http://siem.example.com/hook"), 422, Some("url")),
        (webhook("ftp://siem.example.com/hook"), 422, Some("url")),
        (webhook("not a url"), 422, Some("url")),
        (webhook("https://10.0.0.8/hook"), 422, Some("url")),
        (webhook("https://169.254.169.254/latest"), 422, Some("url")),
        (webhook("https://[fd00::1]/hook"), 422, Some("url")),
        (webhook("https://user:pw@siem.example.com/hook"), 422, Some("url")),
        (json!({ "name": "x", "kind": "webhook", "url": "https://siem.example.com/" }), 422, Some("secret")),
        (
            json!({ "name": "x", "kind": "webhook", "url": "https://siem.example.com/", "secret": "short" }),
            422,
            Some("secret"),
        ),
        (
            json!({ "name": "", "kind": "webhook", "url": "https://siem.example.com/", "secret": SECRET }),
            422,
            Some("name"),
        ),
        (json!({ "name": "x", "kind": "syslog", "url": "tcp://siem.example.com:514" }), 422, Some("url")),
        (json!({ "name": "x", "kind": "syslog", "url": "tls://siem.example.com" }), 422, Some("url")),
        (
            json!({ "name": "x", "kind": "syslog", "url": format!("tcp://127.0.0.1:{port}"), "secret": SECRET }),
            422,
            Some("secret"),
        ),
    ] {
        let (s, resp) = admin.send(Method::POST, "/v1/tenant/audit-sinks", Some(body.clone())).await;
        assert_eq!(s.as_u16(), status, "{body} → {resp}");
        if let Some(field) = field {
            assert_eq!(resp["error"]["field"], field, "{body} → {resp}");
        }
    }
    assert_eq!(admin.get_json("/v1/tenant/audit-sinks").await["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.audit_count(&admin, "audit_sink.*").await, 0);

    // A bad change to a sink leaves it as it was.
    let sink = create_sink(
        &admin,
        "/v1/tenant/audit-sinks",
        json!({ "name": "Collector", "kind": "syslog", "url": format!("tcp://127.0.0.1:{port}"), "enabled": false }),
    )
    .await;
    let path = format!("/v1/tenant/audit-sinks/{}", sink["id"].as_str().unwrap());
    for body in [json!({ "url": "tcp://siem.example.com:514" }), json!({ "secret": SECRET }), json!({ "name": "" })] {
        let (s, resp) = admin.send(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(s, 422, "{body} → {resp}");
    }
    let (s, resp) = admin.send(Method::PATCH, &path, Some(json!({ "kind": "webhook" }))).await;
    assert_eq!(error_code(s, &resp, 400), "bad_request");
    let after = admin.get_json(&path).await;
    assert_eq!(after["url"], sink["url"]);
    assert_eq!(after["name"], "Collector");
    assert_eq!(after["updated_at"], sink["updated_at"]);
    assert_eq!(app.audit_count(&admin, "audit_sink.updated").await, 0);

    // Without the development flag, loopback and plaintext are refused too; without a master
    // key a webhook's secret cannot be stored.
    let strict = TestApp::spawn(b).await;
    let admin = strict.admin().await;
    for body in [
        json!({ "name": "x", "kind": "webhook", "url": format!("http://127.0.0.1:{port}/hook"), "secret": SECRET }),
        json!({ "name": "x", "kind": "syslog", "url": format!("tcp://127.0.0.1:{port}") }),
        json!({ "name": "x", "kind": "webhook", "url": format!("https://localhost:{port}/hook"), "secret": SECRET }),
    ] {
        let (s, resp) = admin.send(Method::POST, "/v1/tenant/audit-sinks", Some(body.clone())).await;
        assert_eq!(error_code(s, &resp, 422), "validation_failed", "{body}");
    }
    let (s, resp) =
        admin.send(Method::POST, "/v1/tenant/audit-sinks", Some(webhook("https://siem.example.com/hook"))).await;
    assert_eq!(error_code(s, &resp, 409), "conflict", "{resp}");
    assert_eq!(admin.get_json("/v1/tenant/audit-sinks").await["items"].as_array().unwrap().len(), 0);
    assert_eq!(strict.audit_count(&admin, "audit_sink.*").await, 0);
    drop(listener);
}

async fn syslog_over_tls_delivers_once_in_order_and_a_wrong_certificate_loses_nothing(b: Backend) {
    // The collector's CA is trusted through `siem.ca_cert`; another CA's certificate is not.
    let dir = std::env::temp_dir().join(format!("confab-siem-tls-{}", uuid::Uuid::new_v4().simple()));
    let good = confab_tests::tls::ca_and_server(&dir.join("good"));
    let wrong = confab_tests::tls::ca_and_server(&dir.join("wrong"));
    let (syslog, certificate, refused) = Syslog::start_tls(tls_acceptor(&wrong)).await;
    let app =
        TestApp::spawn_with(b, siem_options().env("CONFAB_SIEM__CA_CERT_FILE", good.ca_cert.to_str().unwrap())).await;
    let admin = app.admin().await;
    let sink = create_sink(
        &admin,
        "/v1/tenant/audit-sinks",
        json!({ "name": "TLS collector", "kind": "syslog", "url": syslog.url }),
    )
    .await;
    assert!(sink["url"].as_str().unwrap().starts_with("tls://127.0.0.1:"), "{sink}");
    let path = format!("/v1/tenant/audit-sinks/{}", sink["id"].as_str().unwrap());
    for i in 0..3 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
    }
    // The wrong certificate: the status says why, the backlog holds everything, nothing arrives.
    let mut failing = Value::Null;
    for _ in 0..100 {
        failing = admin.get_json(&path).await;
        if failing["attempts"].as_i64().unwrap() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failing["status"], "failing", "{failing}");
    let error = failing["last_error"].as_str().unwrap();
    assert!(error.contains("TLS handshake failed") && error.contains("certificate"), "{failing}");
    let first_seq = sink["delivered_seq"].as_i64().unwrap() + 1;
    let waiting = log_from(&admin, "/v1/audit", first_seq).await.len() as u64;
    assert!(waiting >= 4, "its creation and three users");
    assert_eq!(failing["backlog"].as_u64().unwrap(), waiting, "{failing}");
    for i in 3..5 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
    }
    let waiting_more = log_from(&admin, "/v1/audit", first_seq).await.len() as u64;
    assert!(waiting_more >= waiting + 2);
    assert_eq!(admin.get_json(&path).await["backlog"], waiting_more, "the backlog grows");
    assert!(refused.load(Ordering::SeqCst) >= 2, "the sink kept trying");
    assert!(syslog.messages.lock().unwrap().is_empty(), "nothing went over an untrusted connection");

    // The right certificate: every entry arrives once, in order, over TLS.
    *certificate.lock().unwrap() = tls_acceptor(&good);
    let last = admin.get_json("/v1/audit?limit=1").await["items"][0]["seq"].as_i64().unwrap();
    wait_drained(&admin, "/v1/tenant/audit-sinks", last).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expected = log_from(&admin, "/v1/audit", first_seq).await;
    assert!(expected.len() as u64 >= waiting_more);
    assert_eq!(ids(&syslog.entries(false)), ids(&expected), "syslog entries differ from the tenant's log");
    let healthy = admin.get_json(&path).await;
    assert_eq!(healthy["status"], "ok", "{healthy}");
    assert!(healthy["last_error"].is_null() && healthy["last_success_at"].is_string(), "{healthy}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two replicas (two `confab serve` processes on one PostgreSQL database) both run the delivery
/// loop: the sink's lease lets one deliver at a time, so the receiver gets every entry once, in
/// order, while activity lands on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_deliver_a_webhook_sink_exactly_once_in_order() {
    let hooks = Hooks::start().await;
    let a = TestApp::spawn_with(Backend::Postgres, siem_options()).await;
    let b = a.replica(&[]);
    let admin = a.admin().await;
    let on_b = admin.on(&b);
    let hook = create_sink(
        &admin,
        "/v1/tenant/audit-sinks",
        json!({ "name": "SIEM webhook", "kind": "webhook", "url": hooks.url, "secret": SECRET }),
    )
    .await;
    for i in 0..12 {
        let api = if i % 2 == 0 { &admin } else { &on_b };
        let (s, body) = api
            .send(
                Method::POST,
                "/v1/users",
                Some(json!({ "email": format!("user{i}@acme.example"), "password": PASSWORD, "role": "member" })),
            )
            .await;
        assert_eq!(s, 201, "{body}");
    }
    let last = admin.get_json("/v1/audit?limit=1").await["items"][0]["seq"].as_i64().unwrap();
    wait_drained(&admin, "/v1/tenant/audit-sinks", last).await;
    wait_drained(&on_b, "/v1/tenant/audit-sinks", last).await;
    // Let any stray (duplicate) delivery from the other replica arrive before counting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expected = log_from(&admin, "/v1/audit", hook["delivered_seq"].as_i64().unwrap() + 1).await;
    assert!(expected.len() >= 13, "its creation and twelve users: {}", expected.len());
    let got = hooks.entries();
    let unique: std::collections::HashSet<String> = ids(&got).into_iter().collect();
    assert_eq!(unique.len(), got.len(), "an entry was delivered twice");
    assert_eq!(ids(&got), ids(&expected), "webhook entries differ from the tenant's log");
    assert_eq!(hooks.bad_signatures.load(Ordering::SeqCst), 0);
    assert!(hooks.bodies.lock().unwrap().len() >= 5, "several batches of at most 3");
}

both_backends!(
    syslog_over_tls_delivers_once_in_order_and_a_wrong_certificate_loses_nothing,
    every_entry_reaches_webhook_and_syslog_once_in_order,
    a_down_receiver_builds_a_visible_backlog_that_drains_in_order,
    bad_sink_definitions_are_refused_and_change_nothing,
);

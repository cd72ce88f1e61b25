//! The limits the README promises, each at the limit (accepted) and one past it (refused with
//! its documented status and code, nothing written), and the server's memory while 1,000
//! oversized or slow requests arrive.

use confab_tests::reliability::{Check, record_variant};
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

static BODY_SIZE: Check = Check {
    id: "4.01",
    fault: "limit: request body `server.max_body_bytes` (1 MiB)",
    expected: "exactly 1 MiB is read; 1 MiB + 1 byte gets 413 `payload_too_large` (declared or chunked)",
    how: "bodies of 1,048,576 and 1,048,577 bytes, with Content-Length and chunked",
};

static MESSAGE_LENGTH: Check = Check {
    id: "4.02",
    fault: "limit: message length `chat.max_message_chars` (100,000 characters)",
    expected: "100,000 characters (2-byte ones) accepted; 100,001 get 422 `validation_failed` on `content`, nothing written",
    how: "sends of both sizes; the conversation's messages after",
};

static TURN_RATE: Check = Check {
    id: "4.03",
    fault: "limit: turns per user per minute (`chat.turns_per_minute_per_user`, 5 in the test)",
    expected: "the 5th turn is accepted, the 6th gets 429 `rate_limited` with `Retry-After` and nothing goes upstream",
    how: "six sends in a row; provider call count",
};

static PAGE_LIMIT: Check = Check {
    id: "4.04",
    fault: "limit: list page size (`limit` 1–200)",
    expected: "1 and 200 accepted; 0 and 201 refused with 422 `validation_failed`",
    how: "every list with `limit` at and past its bounds",
};

static QUERY_LIMIT: Check = Check {
    id: "4.05",
    fault: "limit: search query (256 characters, 32 words)",
    expected: "256 characters and 32 words accepted; 257 characters or 33 words get 422 on `q`",
    how: "`GET /v1/search` at and one past each bound",
};

static KEY_LIMIT: Check = Check {
    id: "4.06",
    fault: "limit: `Idempotency-Key` (1–255 printable characters)",
    expected: "255 characters accepted; 256 or empty get 422 on `Idempotency-Key`",
    how: "sends with keys of 255, 256 and 0 characters",
};

static LOGIN_LIMIT: Check = Check {
    id: "4.07",
    fault: "limit: failed sign-ins per account (`auth.login_failures_per_account`, 10)",
    expected: "10 failures get 401; the 11th attempt gets 429 with `Retry-After`, even with the right password",
    how: "eleven wrong passwords, then the right one",
};

async fn server(upstream: &ScriptedUpstream) -> (TestApp, Api) {
    let opts = Options::default().upstream(upstream).env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "5");
    let app = TestApp::spawn_with(Backend::Sqlite, opts).await;
    let api = app.admin().await;
    (app, api)
}

async fn put_title(api: &Api, conv: &str, body: Vec<u8>, chunked: bool) -> StatusCode {
    let req =
        api.request(Method::PATCH, &format!("/v1/conversations/{conv}")).header("Content-Type", "application/json");
    let req = if chunked {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
        req.body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
    } else {
        req.body(body)
    };
    req.send().await.unwrap().status()
}

/// A JSON body of exactly `n` bytes: a title padded with spaces after the object.
fn json_of(n: usize) -> Vec<u8> {
    let mut body = br#"{"title":"sized"}"#.to_vec();
    body.resize(n, b' ');
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_promised_limit_holds_at_and_one_past_it() {
    let upstream = ScriptedUpstream::start().await;
    let (app, api) = server(&upstream).await;
    let conv = api.conversation().await;
    let sqlite = "SQLite";

    let r = record_variant(&BODY_SIZE, sqlite);
    let max = 1_048_576;
    for chunked in [false, true] {
        let at = put_title(&api, &conv, json_of(max), chunked).await;
        assert_ne!(at, StatusCode::PAYLOAD_TOO_LARGE, "exactly the limit (chunked: {chunked})");
        assert!(at.is_success() || at.is_client_error(), "{at}");
        let past = put_title(&api, &conv, json_of(max + 1), chunked).await;
        assert_eq!(past, StatusCode::PAYLOAD_TOO_LARGE, "one past (chunked: {chunked})");
    }
    drop(r);

    let r = record_variant(&MESSAGE_LENGTH, sqlite);
    let path = format!("/v1/conversations/{conv}/messages");
    let (s, body) =
        api.post_idem(&path, "len-past", json!({ "content": "é".repeat(100_001), "model": "gpt-4o" })).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(body["error"]["field"], "content");
    let before =
        api.get_json(&format!("/v1/conversations/{conv}?view=tree")).await["messages"].as_array().unwrap().len();
    assert_eq!(before, 0, "nothing written");
    let (s, body) = api.post_idem(&path, "len-at", json!({ "content": "é".repeat(100_000), "model": "gpt-4o" })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    drop(r);

    let r = record_variant(&TURN_RATE, sqlite);
    // One turn went above; four more reach the limit of five.
    for i in 0..4 {
        let (s, body) = api
            .post_idem(&path, &format!("rate-{i}"), json!({ "content": "[upstream tokens=1] hi", "model": "gpt-4o" }))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "turn {} of 5: {body}", i + 2);
        api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    }
    let calls = upstream.calls();
    let resp = api
        .request(Method::POST, &path)
        .header("Idempotency-Key", "rate-past")
        .json(&json!({ "content": "[upstream tokens=1] hi", "model": "gpt-4o" }))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("retry-after"));
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(error_code(status, &body, 429), "rate_limited");
    assert_eq!(upstream.calls(), calls, "nothing sent upstream");
    drop(r);

    let r = record_variant(&PAGE_LIMIT, sqlite);
    for list in ["/v1/conversations", "/v1/audit", "/v1/users", "/v1/me/tokens", "/v1/tokens", "/v1/tenant/shares"] {
        for ok in [1, 200] {
            let (s, body) = api.send(Method::GET, &format!("{list}?limit={ok}"), None).await;
            assert_eq!(s, StatusCode::OK, "{list}?limit={ok}: {body}");
        }
        for bad in [0, 201] {
            let (s, body) = api.send(Method::GET, &format!("{list}?limit={bad}"), None).await;
            assert_eq!(error_code(s, &body, 422), "validation_failed", "{list}?limit={bad}");
        }
    }
    drop(r);

    let r = record_variant(&QUERY_LIMIT, sqlite);
    let words = |n: usize| (0..n).map(|i| format!("w{i}")).collect::<Vec<_>>().join("+");
    for (q, ok) in [("a".repeat(256), true), ("a".repeat(257), false), (words(32), true), (words(33), false)] {
        let (s, body) = api.send(Method::GET, &format!("/v1/search?q={q}"), None).await;
        if ok {
            assert_eq!(s, StatusCode::OK, "{body}");
        } else {
            assert_eq!(error_code(s, &body, 422), "validation_failed");
            assert_eq!(body["error"]["field"], "q");
        }
    }
    drop(r);

    let r = record_variant(&KEY_LIMIT, sqlite);
    let conv2 = api.conversation().await;
    let path2 = format!("/v1/conversations/{conv2}/messages");
    // The turn limit is spent: keys are checked before it.
    for (key, ok) in [("k".repeat(255), true), ("k".repeat(256), false), (String::new(), false)] {
        let (s, body) = api.post_idem(&path2, &key, json!({ "content": "hi", "model": "gpt-4o" })).await;
        if ok {
            assert_ne!(body["error"]["field"], "Idempotency-Key", "{s} {body}");
        } else {
            assert_eq!(error_code(s, &body, 422), "validation_failed");
            assert_eq!(body["error"]["field"], "Idempotency-Key");
        }
    }
    drop(r);

    let r = record_variant(&LOGIN_LIMIT, sqlite);
    let anon = app.anonymous();
    for i in 0..10 {
        let (s, _) =
            anon.send(Method::POST, "/v1/auth/login", Some(json!({ "email": ADMIN_EMAIL, "password": "wrong" }))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "failure {}", i + 1);
    }
    let resp = anon.post("/v1/auth/login", json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    drop(r);
}

static PLUGIN_MEMORY: Check = Check {
    id: "4.08",
    fault: "limit: a plugin's linear memory (64 MiB per instance, `plugins/README.md`)",
    expected: "a request transform that grows its memory to exactly 64 MiB runs and the turn completes; one 64 KiB page more stops it (`plugin_failed`, memory) and nothing goes upstream; the server serves on",
    how: "WAT components growing from 1 page by 1,023 and by 1,024 pages (fail-closed); provider call count",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_may_use_its_memory_limit_and_not_a_page_more() {
    let _r = record_variant(&PLUGIN_MEMORY, "SQLite");
    let upstream = ScriptedUpstream::start().await;
    let (_app, api) = server(&upstream).await;
    let mut calls = 0;
    // The component starts with one page; 1,023 more make 64 MiB, 1,024 one page past it.
    for (pages, passes) in [(1023, true), (1024, false)] {
        let name = format!("grow{pages}");
        let component = confab_tests::plugin_fixtures::request_fixture(&format!(
            "(if (i32.eq (memory.grow (i32.const {pages})) (i32.const -1)) (then unreachable)) (i32.const 16)"
        ));
        let manifest = json!({ "name": name, "version": "0.0.1", "hooks": ["transform_request"],
                               "failure_policy": "fail_closed" });
        let (s, body) = api
            .send(Method::POST, "/v1/plugins", Some(json!({ "manifest": manifest, "component_base64": component })))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (s, body) = api
            .send(
                Method::PUT,
                &format!("/v1/tenant/plugins/{name}"),
                Some(json!({ "version": "0.0.1", "enabled": true, "time_budget_ms": 2000 })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let conv = api.conversation().await;
        let (s, t) = api
            .post_idem(
                &format!("/v1/conversations/{conv}/messages"),
                &name,
                json!({ "content": "[upstream tokens=2] hello", "model": "gpt-4o" }),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{t}");
        let done = api.wait_final(t["assistant_message"]["id"].as_str().unwrap()).await;
        if passes {
            calls += 1;
            assert_eq!(done["status"], "completed", "{pages} pages: {done}");
            assert_eq!(done["plugins"][0]["outcome"], "unchanged", "{done}");
        } else {
            assert_eq!(done["status"], "failed", "{pages} pages: {done}");
            assert_eq!(done["error"]["code"], "plugin_failed");
            let detail = done["plugins"][0]["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("memory"), "{detail}");
        }
        assert_eq!(upstream.calls(), calls, "{pages} pages");
        let resp = api.delete(&format!("/v1/tenant/plugins/{name}")).await;
        assert_eq!(resp.status(), 204);
    }
    assert!(api.get_json("/v1/me").await["id"].is_string(), "the server serves on");
}

static FLOOD: Check = Check {
    id: "4.10",
    fault: "1,000 oversized (2 MiB) and 200 slow (1 byte / 100 ms) requests at once",
    expected: "every oversized one gets 413; server RSS grows < 100 MB; a normal request meanwhile is answered",
    how: "50 concurrent senders of 2 MiB bodies and 200 dribbling connections; VmRSS sampled",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_oversized_and_slow_requests_keeps_memory_bounded() {
    let _r = record_variant(&FLOOD, "SQLite");
    let upstream = ScriptedUpstream::start().await;
    let (app, api) = server(&upstream).await;
    let conv = api.conversation().await;
    let before = crate::rss(&app);
    let host = app.base.trim_start_matches("http://").to_string();
    // Slow requests: headers, then a body a byte at a time.
    let mut slow = Vec::new();
    for _ in 0..200 {
        let host = host.clone();
        slow.push(tokio::spawn(async move {
            let Ok(mut s) = tokio::net::TcpStream::connect(&host).await else { return };
            let head = format!(
                "POST /v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            );
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..60 {
                if s.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampler = {
        let (peak, pid) = (peak.clone(), app.pid());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(crate::rss_of(pid), std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let body = bytes::Bytes::from(json_of(2 << 20));
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut senders = Vec::new();
    for _ in 0..50 {
        let (api, conv, body, refused) = (api.clone(), conv.clone(), body.clone(), refused.clone());
        senders.push(tokio::spawn(async move {
            for _ in 0..20 {
                let resp = api
                    .request(Method::PATCH, &format!("/v1/conversations/{conv}"))
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                // The server may close the connection once it stops reading: that is a refusal too.
                match resp {
                    Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
                    Err(e) => assert!(!e.is_timeout(), "{e}"),
                }
                refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    let (s, _) = api.send(Method::GET, "/v1/conversations", None).await;
    assert_eq!(s, StatusCode::OK, "a normal request is answered during the flood");
    for s in senders {
        s.await.unwrap();
    }
    for s in slow {
        s.abort();
    }
    sampler.abort();
    let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
    println!("flood: RSS before {} MB, peak {} MB", before >> 20, peak >> 20);
    assert_eq!(refused.load(std::sync::atomic::Ordering::SeqCst), 1000);
    assert!(peak - before < 100 << 20, "RSS grew by {} MB", (peak - before) >> 20);
}

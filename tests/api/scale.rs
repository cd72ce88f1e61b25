//! The scale-out tier with Redis: two replicas of the real binary on different ports sharing one
//! PostgreSQL database and one (private, per test) Redis server. Limits hold across replicas,
//! idempotent retries and reattaches work on either, a stop reaches the replica doing the work,
//! revocations and catalogue changes apply everywhere within two seconds, and a Redis outage behaves as documented.
use confab_tests::redis::RedisServer;
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Pair {
    upstream: ScriptedUpstream,
    redis: RedisServer,
    a: TestApp,
    b: TestApp,
    /// The administrator, signed in once; `admin.on(&b)` is the same session on replica B.
    admin: Api,
}

async fn pair(extra: &[(&str, &str)]) -> Pair {
    let upstream = ScriptedUpstream::start().await;
    let redis = RedisServer::start();
    let mut opts = Options::default().upstream(&upstream).env("CONFAB_REDIS__URL", &redis.url());
    for (k, v) in extra {
        opts = opts.env(k, v);
    }
    let a = TestApp::spawn_with(Backend::Postgres, opts).await;
    let b = a.replica(&[]);
    let admin = a.admin().await;
    Pair { upstream, redis, a, b, admin }
}

fn messages_path(conv: &str) -> String {
    format!("/v1/conversations/{conv}/messages")
}

/// Sends `content` to gpt-4o with an idempotency key; asserts it was accepted; returns the body.
async fn send_turn(api: &Api, conv: &str, key: &str, content: &str) -> Value {
    let (s, body) = api.post_idem(&messages_path(conv), key, json!({ "content": content, "model": "gpt-4o" })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    body
}

/// A retry of a turn on either replica is its replay, which the shared limits do not count: the
/// limit's other turns stay free, and at the limit a retry is still answered.
#[tokio::test]
async fn retries_on_either_replica_are_replayed_and_not_counted() {
    let p = pair(&[("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "2")]).await;
    let conv = p.admin.conversation().await;
    let (on_a, on_b) = (p.admin.clone(), p.admin.on(&p.b));
    let first = send_turn(&on_a, &conv, "once", "[upstream tokens=2] once").await;
    for api in [&on_b, &on_a, &on_b] {
        let again = send_turn(api, &conv, "once", "[upstream tokens=2] once").await;
        assert_eq!(again["replayed"], true, "{again}");
        assert_eq!(again["assistant_message"]["id"], first["assistant_message"]["id"]);
    }
    let second = send_turn(&on_b, &conv, "twice", "[upstream tokens=2] twice").await;
    let (s, body) = on_a
        .post_idem(
            &messages_path(&conv),
            "thrice",
            json!({ "content": "[upstream tokens=2] thrice", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(error_code(s, &body, 429), "rate_limited");
    let again = send_turn(&on_b, &conv, "once", "[upstream tokens=2] once").await;
    assert_eq!(again["replayed"], true, "{again}");
    for turn in [&first, &second] {
        p.admin.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await;
    }
    assert_eq!(p.upstream.calls(), 2);
}

#[tokio::test]
async fn a_burst_over_both_replicas_admits_no_more_than_the_limit() {
    let p = pair(&[("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "10")]).await;
    let conv = p.admin.conversation().await;
    let (on_a, on_b) = (p.admin.clone(), p.admin.on(&p.b));
    let started = Instant::now();
    let sends = (0..30).map(|i| {
        let api = if i % 2 == 0 { on_a.clone() } else { on_b.clone() };
        let path = messages_path(&conv);
        async move {
            api.post_idem(
                &path,
                &format!("burst-{i}"),
                json!({ "content": format!("[upstream tokens=2] n{i}"), "model": "gpt-4o" }),
            )
            .await
        }
    });
    let results = futures::future::join_all(sends).await;
    let elapsed = started.elapsed();
    let admitted = results.iter().filter(|(s, _)| *s == StatusCode::ACCEPTED).count();
    for (s, body) in results.iter().filter(|(s, _)| *s != StatusCode::ACCEPTED) {
        assert_eq!(error_code(*s, body, 429), "rate_limited");
    }
    // GCRA: a burst of 10, then one more every 6 s. The margin is what the burst's own duration
    // earned (zero unless it took over six seconds).
    let margin = (elapsed.as_secs_f64() / 6.0).floor() as usize;
    assert!(
        (10..=10 + margin).contains(&admitted),
        "admitted {admitted} of 30 with a limit of 10 (margin {margin}, burst took {elapsed:?})"
    );
    for (_, body) in results.iter().filter(|(s, _)| *s == StatusCode::ACCEPTED) {
        p.admin.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    }
    assert_eq!(p.upstream.calls(), admitted, "refused turns never reach the provider");
}

#[tokio::test]
async fn a_retry_on_the_other_replica_returns_the_same_turn_and_calls_the_provider_once() {
    let p = pair(&[]).await;
    let conv = p.admin.conversation().await;
    let body = json!({ "content": "[upstream tokens=5 delay_ms=20] hello", "model": "gpt-4o" });
    let (s1, first) = p.admin.post_idem(&messages_path(&conv), "same-key", body.clone()).await;
    assert_eq!(s1, StatusCode::ACCEPTED, "{first}");
    let (s2, again) = p.admin.on(&p.b).post_idem(&messages_path(&conv), "same-key", body).await;
    assert!(s2.is_success(), "{again}");
    assert_eq!(again["user_message"]["id"], first["user_message"]["id"]);
    assert_eq!(again["assistant_message"]["id"], first["assistant_message"]["id"]);
    let done = p.admin.on(&p.b).wait_final(first["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(p.upstream.calls(), 1);
    let conversation = p.admin.on(&p.b).get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(
        conversation["messages"].as_array().unwrap().len(),
        2,
        "one user message and one answer: {conversation}"
    );

    // The same key sent to both replicas at the same moment: one turn, one provider call.
    let race = json!({ "content": "[upstream tokens=3] race", "model": "gpt-4o" });
    let (on_a, on_b) = (p.admin.clone(), p.admin.on(&p.b));
    let path = messages_path(&conv);
    let ((sa, a), (sb, b)) =
        tokio::join!(on_a.post_idem(&path, "race-key", race.clone()), on_b.post_idem(&path, "race-key", race));
    assert!(sa.is_success() && sb.is_success(), "{a} {b}");
    assert_eq!(a["assistant_message"]["id"], b["assistant_message"]["id"]);
    p.admin.wait_final(a["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(p.upstream.calls(), 2);
    let conversation = p.admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(conversation["messages"].as_array().unwrap().len(), 4, "{conversation}");
}

#[tokio::test]
async fn a_stream_started_on_one_replica_continues_on_the_other_without_gap_or_duplicate() {
    let p = pair(&[]).await;
    let conv = p.admin.conversation().await;
    let resp = p
        .admin
        .stream(
            &messages_path(&conv),
            "k1",
            json!({ "content": "[upstream tokens=60 delay_ms=40] go", "model": "gpt-4o" }),
        )
        .await;
    let mut sse = SseReader::new(resp);
    let created = sse.next().await.unwrap();
    let id = created.data["assistant_message_id"].as_str().unwrap().to_string();
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.push(sse.next().await.unwrap());
    }
    drop(sse); // the client loses replica A…
    let last_id = seen.last().unwrap().id.clone().unwrap();
    // …and its load balancer sends the reattach to replica B while A is still generating.
    let rest = p.admin.on(&p.b).attach(&id, Some(&last_id)).await.rest().await;
    assert!(rest.iter().all(|e| e.event != "message.created"));
    let live_deltas = rest.iter().filter(|e| e.event == "message.delta").count();
    assert!(live_deltas >= 2, "B relays the rest live as it is generated, not all at the end: {live_deltas}");
    let expected: String = (0..60).map(|i| format!("t{i} ")).collect();
    assert_eq!(deltas(&seen) + deltas(&rest).as_str(), expected);
    let last = rest.last().unwrap();
    assert_eq!(last.event, "message.completed");
    assert_eq!(last.data["message"]["content"].as_str().unwrap(), expected);
    // Every delta id is the content length after it, so ids only grow.
    let ids: Vec<usize> = seen.iter().chain(&rest).filter_map(|e| e.id.as_ref()?.parse().ok()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "event ids increase: {ids:?}");
    assert_eq!(p.upstream.calls(), 1);
}

#[tokio::test]
async fn stop_on_the_other_replica_stops_the_turn_where_it_runs() {
    let p = pair(&[]).await;
    let conv = p.admin.conversation().await;
    let body = send_turn(&p.admin, &conv, "k1", "[upstream tokens=400 delay_ms=30] long").await;
    let id = body["assistant_message"]["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let on_b = p.admin.on(&p.b);
    let (s, stopped) = on_b.send(Method::POST, &format!("/v1/messages/{id}/cancel"), None).await;
    assert_eq!(s, StatusCode::OK, "{stopped}");
    assert_eq!(stopped["status"], "cancelled", "{stopped}");
    let kept = stopped["content"].as_str().unwrap().len();
    assert!(kept > 0, "the text so far is kept");
    // Replica A really stopped: the stored answer does not grow any more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = p.admin.get_json(&format!("/v1/messages/{id}")).await;
    assert_eq!(later["status"], "cancelled");
    assert_eq!(later["content"].as_str().unwrap().len(), kept);
}

/// Polls `api` on `path` until the status is not 200; returns how long that took.
async fn refused_within(api: &Api, path: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = api.get(path).await.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return started.elapsed();
        }
        assert_eq!(status, StatusCode::OK);
        assert!(started.elapsed() < limit, "still allowed {:?} after the change", started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn revocations_on_one_replica_apply_on_the_other_within_two_seconds() {
    let p = pair(&[]).await;
    // A disabled user: their session is refused on B.
    let id = p.a.create_user(&p.admin, "ann@acme.example", "member").await;
    let ann_on_b = p.a.login("ann@acme.example", PASSWORD).await.on(&p.b);
    // Warm B's cache of Ann's principal.
    for _ in 0..3 {
        assert_eq!(ann_on_b.get("/v1/conversations").await.status(), StatusCode::OK);
    }
    let (s, _) = p.admin.send(Method::POST, &format!("/v1/users/{id}/disable"), None).await;
    assert_eq!(s, StatusCode::OK);
    let took = refused_within(&ann_on_b, "/v1/conversations", Duration::from_secs(2)).await;
    eprintln!("disabled user refused on the other replica after {took:?}");

    // A demoted admin: the tenant-admin route is refused on B.
    let id = p.a.create_user(&p.admin, "bob@acme.example", "tenant_admin").await;
    let bob_on_b = p.a.login("bob@acme.example", PASSWORD).await.on(&p.b);
    for _ in 0..3 {
        assert_eq!(bob_on_b.get("/v1/users").await.status(), StatusCode::OK);
    }
    let (s, body) = p.admin.send(Method::PUT, &format!("/v1/users/{id}/role"), Some(json!({ "role": "member" }))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let took = refused_within(&bob_on_b, "/v1/users", Duration::from_secs(2)).await;
    eprintln!("demoted admin refused on the other replica after {took:?}");

    // A revoked API token (nothing in the policy changes: only B's cached principal is stale).
    let cy = p.a.create_user(&p.admin, "cy@acme.example", "member").await;
    assert!(!cy.is_empty());
    let cy_session = p.a.login("cy@acme.example", PASSWORD).await;
    let (secret, token_id) = cy_session.create_token(json!({ "name": "ci" })).await;
    let token_on_b = p.a.with_token(&secret).on(&p.b);
    for _ in 0..3 {
        assert_eq!(token_on_b.get("/v1/conversations").await.status(), StatusCode::OK);
    }
    let resp = cy_session.delete(&format!("/v1/me/tokens/{token_id}")).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let took = refused_within(&token_on_b, "/v1/conversations", Duration::from_secs(2)).await;
    eprintln!("revoked token refused on the other replica after {took:?}");
}

/// A tenant admin's model, key and quota changes made on A reach B's caches through the bus:
/// within 2 s, well under the 5 s a cached catalogue may otherwise live (B reads it just before
/// each change, so only the bus can make it fresh that soon).
#[tokio::test]
async fn catalogue_and_quota_changes_on_one_replica_apply_on_the_other_within_two_seconds() {
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // 32 bytes
    let p = pair(&[("CONFAB_SECRETS__MASTER_KEY", key)]).await;
    let on_b = p.admin.on(&p.b);
    let conv = p.admin.conversation().await;
    let has_mini = |api: Api| async move {
        api.get_json("/v1/models").await["items"].as_array().unwrap().iter().any(|m| m["id"] == "mini")
    };
    let sends = Arc::new(AtomicUsize::new(0));
    // A turn on B with model `mini`: (status, body), waiting for the answer when accepted.
    let send_on_b = |on_b: Api, conv: String, sends: Arc<AtomicUsize>| async move {
        let n = sends.fetch_add(1, Ordering::SeqCst);
        let (s, body) = on_b
            .post_idem(&messages_path(&conv), &format!("mini-{n}"), json!({ "content": "hi", "model": "mini" }))
            .await;
        if s == StatusCode::ACCEPTED {
            on_b.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
        }
        (s, body)
    };
    let model = json!({ "provider": "openai", "upstream_model": "gpt-4o-mini", "context_window": 128000, "max_output_tokens": 2048, "input_price_per_million": 0.15, "output_price_per_million": 0.6 });

    // A new model.
    assert!(!has_mini(on_b.clone()).await);
    let (s, body) = p.admin.send(Method::PUT, "/v1/models/mini", Some(model)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let started = Instant::now();
    eventually(Duration::from_secs(2), "the new model listed on B", || has_mini(on_b.clone())).await;
    eprintln!("a new model listed on the other replica after {:?}", started.elapsed());

    // The tenant's own key.
    let (s, body) = send_on_b(on_b.clone(), conv.clone(), sends.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    let auth = |u: &ScriptedUpstream| u.requests().last().unwrap().header("authorization").map(str::to_string);
    assert_eq!(auth(&p.upstream).as_deref(), Some("Bearer sk-test-installation"));
    let (s, _) = p.admin.send(Method::PUT, "/v1/providers/openai/key", Some(json!({ "api_key": "sk-tenant" }))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let started = Instant::now();
    eventually(Duration::from_secs(2), "B's turns use the tenant's key", || {
        let (on_b, conv, sends, upstream) = (on_b.clone(), conv.clone(), sends.clone(), &p.upstream);
        async move {
            let (s, body) = send_on_b(on_b, conv, sends).await;
            assert_eq!(s, StatusCode::ACCEPTED, "{body}");
            auth(upstream).as_deref() == Some("Bearer sk-tenant")
        }
    })
    .await;
    eprintln!("the tenant's key used on the other replica after {:?}", started.elapsed());

    // A deleted model.
    assert!(has_mini(on_b.clone()).await);
    assert_eq!(p.admin.send(Method::DELETE, "/v1/models/mini", None).await.0, StatusCode::NO_CONTENT);
    let started = Instant::now();
    eventually(Duration::from_secs(2), "the deleted model refused on B", || {
        let (on_b, conv, sends) = (on_b.clone(), conv.clone(), sends.clone());
        async move {
            let (s, body) = send_on_b(on_b, conv, sends).await;
            if s == StatusCode::UNPROCESSABLE_ENTITY {
                assert_eq!(body["error"]["field"], "model", "{body}");
                return true;
            }
            assert_eq!(s, StatusCode::ACCEPTED, "{body}");
            false
        }
    })
    .await;
    eprintln!("a deleted model refused on the other replica after {:?}", started.elapsed());

    // A quota (the tenant's quotas are cached the same way): B admits a turn, A sets a daily
    // quota too small for one, B refuses within 2 s; A removes it, B admits again.
    // A gpt-4o turn on B: its status, 202 (answered) or 429 `quota_exceeded`.
    let gpt_on_b = |on_b: Api, conv: String, sends: Arc<AtomicUsize>| async move {
        let n = sends.fetch_add(1, Ordering::SeqCst);
        let content = json!({ "content": format!("hi {n}"), "model": "gpt-4o" });
        let (s, body) = on_b.post_idem(&messages_path(&conv), &format!("gpt-{n}"), content).await;
        match s {
            StatusCode::ACCEPTED => {
                on_b.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
            }
            StatusCode::TOO_MANY_REQUESTS => assert_eq!(body["error"]["code"], "quota_exceeded", "{body}"),
            _ => panic!("{s} {body}"),
        }
        s
    };
    assert_eq!(gpt_on_b(on_b.clone(), conv.clone(), sends.clone()).await, StatusCode::ACCEPTED);
    let quota = json!({ "subject": "tenant", "period": "day", "token_limit": 10 });
    let (s, q) = p.admin.send(Method::PUT, "/v1/tenant/quotas", Some(quota)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    for (what, want) in
        [("a new quota enforced", StatusCode::TOO_MANY_REQUESTS), ("a removed quota lifted", StatusCode::ACCEPTED)]
    {
        if want == StatusCode::ACCEPTED {
            let path = format!("/v1/tenant/quotas/{}", q["id"].as_str().unwrap());
            let (s, _) = p.admin.send(Method::DELETE, &path, None).await;
            assert!(s.is_success(), "{s}");
        }
        let started = Instant::now();
        eventually(Duration::from_secs(2), what, || {
            let (on_b, conv, sends) = (on_b.clone(), conv.clone(), sends.clone());
            async move { gpt_on_b(on_b, conv, sends).await == want }
        })
        .await;
        eprintln!("{what} on the other replica after {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn quota_reservations_are_shared_by_both_replicas() {
    let p = pair(&[]).await;
    // One gpt-4o turn reserves its prompt plus 1024 output tokens: 1500 holds one, not two.
    let (s, q) = p
        .admin
        .send(
            Method::PUT,
            "/v1/tenant/quotas",
            Some(json!({ "subject": "tenant", "period": "day", "token_limit": 1500 })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let conv = p.admin.conversation().await;
    let slow = json!({ "content": "[upstream tokens=40 delay_ms=50] slow", "model": "gpt-4o" });
    let (s1, first) = p.admin.post_idem(&messages_path(&conv), "q1", slow.clone()).await;
    assert_eq!(s1, StatusCode::ACCEPTED, "{first}");
    // While A's turn holds its reservation, B refuses a second one.
    let (s2, second) = p.admin.on(&p.b).post_idem(&messages_path(&conv), "q2", slow).await;
    assert_eq!(error_code(s2, &second, 429), "quota_exceeded");
    let usage = p.admin.on(&p.b).get_json("/v1/usage").await;
    let tenant_day = usage["quotas"].as_array().unwrap().iter().find(|q| q["scope"] == "tenant").unwrap().clone();
    assert!(tenant_day["reserved"].as_u64().unwrap() > 1000, "B sees A's reservation: {tenant_day}");
    p.admin.wait_final(first["assistant_message"]["id"].as_str().unwrap()).await;
    // Settled to the real (small) usage: B admits the next turn.
    let (s3, third) = p
        .admin
        .on(&p.b)
        .post_idem(&messages_path(&conv), "q3", json!({ "content": "[upstream tokens=3] again", "model": "gpt-4o" }))
        .await;
    assert_eq!(s3, StatusCode::ACCEPTED, "{third}");
    p.admin.wait_final(third["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(p.upstream.calls(), 2, "the refused turn never reached the provider");
}

async fn readyz(app: &TestApp) -> (StatusCode, Value) {
    let resp = reqwest::get(app.url("/readyz")).await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

/// Waits until `check` passes, for at most `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

static REDIS_STOPPED: reliability::Check = reliability::Check {
    id: "2.21",
    fault: "Redis (two replicas): stopped while an answer streams",
    expected: "reads served, new turns 503 `unavailable`, the running answer completes; all recovers when Redis returns",
    how: "`tests/api/scale.rs`: `redis-server` stopped and started again mid-turn",
};

#[tokio::test]
async fn a_redis_outage_keeps_reads_refuses_new_turns_loses_nothing_and_recovers() {
    let _r = reliability::record_variant(&REDIS_STOPPED, "PostgreSQL, Redis");
    let mut p = pair(&[]).await;
    let conv = p.admin.conversation().await;
    let done = send_turn(&p.admin, &conv, "before", "[upstream tokens=3] before").await;
    p.admin.wait_final(done["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(readyz(&p.a).await.1["checks"]["redis"], "ok");
    // A turn is running when Redis goes away.
    let running = send_turn(&p.admin, &conv, "during", "[upstream tokens=40 delay_ms=50] during").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.redis.stop();

    // Readiness says what is down, and the replica stays in the load balancer (it serves reads).
    let (status, body) = readyz(&p.a).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["redis"], "unreachable");
    // Signed-in users keep reading, on both replicas.
    for api in [p.admin.clone(), p.admin.on(&p.b)] {
        let list = api.get_json("/v1/conversations").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        let (s, c) = api.send(Method::GET, &format!("/v1/conversations/{conv}"), None).await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    // New turns cannot have their limits checked: a clear 503, and nothing written or sent.
    let calls = p.upstream.calls();
    let (s, refused) =
        p.admin.post_idem(&messages_path(&conv), "refused", json!({ "content": "no", "model": "gpt-4o" })).await;
    assert_eq!(error_code(s, &refused, 503), "unavailable");
    // So do sign-ins (their failure limits cannot be checked).
    let login =
        p.a.anonymous()
            .send(Method::POST, "/v1/auth/login", Some(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })))
            .await;
    assert_eq!(error_code(login.0, &login.1, 503), "unavailable");
    // The running turn finishes and is stored in full.
    let finished = p.admin.wait_final(running["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(finished["status"], "completed");
    let expected: String = (0..40).map(|i| format!("t{i} ")).collect();
    assert_eq!(finished["content"], expected.as_str());
    assert_eq!(p.upstream.calls(), calls, "the refused turn never reached the provider");
    let after = p.admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(after["messages"].as_array().unwrap().len(), 4, "two turns, nothing extra: {after}");

    // Redis comes back (empty: persistence is off): everything recovers by itself.
    p.redis.resume();
    let admin = p.admin.clone();
    let path = messages_path(&conv);
    let mut n = 0;
    eventually(Duration::from_secs(15), "turns accepted again", || {
        n += 1;
        let (admin, path) = (admin.clone(), path.clone());
        async move {
            let (s, _) = admin
                .post_idem(
                    &path,
                    &format!("after-{n}"),
                    json!({ "content": "[upstream tokens=2] after", "model": "gpt-4o" }),
                )
                .await;
            s == StatusCode::ACCEPTED
        }
    })
    .await;
    let b = &p.b;
    eventually(Duration::from_secs(15), "replica B ready again", || async { readyz(b).await.1["status"] == "ready" })
        .await;
    let (s, _) =
        p.b.anonymous()
            .send(Method::POST, "/v1/auth/login", Some(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })))
            .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn with_local_fallback_a_redis_outage_still_admits_turns_under_local_limits() {
    let mut p = pair(&[("CONFAB_REDIS__ON_OUTAGE", "local"), ("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "3")]).await;
    let conv = p.admin.conversation().await;
    p.redis.stop();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let (s, body) = p
            .admin
            .post_idem(
                &messages_path(&conv),
                &format!("l{i}"),
                json!({ "content": "[upstream tokens=2] hi", "model": "gpt-4o" }),
            )
            .await;
        if s == StatusCode::ACCEPTED {
            p.admin.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
        }
        statuses.push(s.as_u16());
    }
    assert_eq!(statuses, vec![202, 202, 202, 429], "this replica's own limit applies during the outage");
}

#[tokio::test]
async fn redis_with_an_acl_user_works_and_a_wrong_password_is_reported() {
    // Only the `confab` user may connect; the default user is off.
    let redis = RedisServer::start_with(&[
        "--user",
        "default",
        "off",
        "--user",
        "confab",
        "on",
        ">s3cret-pass",
        "~*",
        "&*",
        "+@all",
    ]);
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default()
        .upstream(&upstream)
        .env("CONFAB_REDIS__URL", &redis.url())
        .env("CONFAB_REDIS__USERNAME", "confab")
        .env("CONFAB_REDIS__PASSWORD", "s3cret-pass");
    let app = TestApp::spawn_with(Backend::Postgres, opts).await;
    let admin = app.admin().await;
    let conv = admin.conversation().await;
    let body = send_turn(&admin, &conv, "k", "[upstream tokens=2] hi").await;
    assert_eq!(admin.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await["status"], "completed");
    assert_eq!(readyz(&app).await.1["checks"]["redis"], "ok");
    let check = app.cli(&["config", "check"], None);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("redis: reachable"), "{}", check.stdout);
    assert!(
        !check.stdout.contains("s3cret-pass") && !app.server_log().contains("s3cret-pass"),
        "no secret in output or logs"
    );

    // The same installation with a wrong password: config check says so, readiness too.
    let wrong = app.replica(&[("CONFAB_REDIS__PASSWORD", "wrong-pass")]);
    let (status, body) = readyz(&wrong).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["checks"]["redis"], "unreachable", "{body}");
    let mut env: Vec<(String, String)> = vec![("CONFAB_REDIS__PASSWORD".into(), "wrong-pass".into())];
    env.insert(0, ("CONFAB_DATABASE__URL".into(), app.db.url.clone()));
    env.push(("CONFAB_REDIS__URL".into(), redis.url()));
    env.push(("CONFAB_REDIS__USERNAME".into(), "confab".into()));
    let check = run_cli(&env, &app.db.dir, &["config", "check"], None);
    assert_ne!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.contains("redis: unreachable"), "{}", check.stdout);
    assert!(!check.stdout.contains("wrong-pass"), "{}", check.stdout);
}

static REPLICA_DIED: reliability::Check = reliability::Check {
    id: "1.11",
    fault: "kill -9 of the replica generating an answer (two replicas on Redis)",
    expected: "the other replica settles it `partial` (`interrupted`) with every token streamed, its reader gets the rest and the end, no gap or duplicate",
    how: "`tests/api/scale.rs`: a reader on B, `kill -9` of A mid-answer, lease lapse",
};

#[tokio::test]
async fn an_answer_whose_replica_died_is_settled_by_the_other_and_readers_there_see_the_end() {
    let _r = reliability::record_variant(&REPLICA_DIED, "PostgreSQL, Redis");
    let p = pair(&[("CONFAB_REDIS__ORPHAN_AFTER_SECS", "1")]).await;
    let conv = p.admin.conversation().await;
    let body = send_turn(&p.admin, &conv, "k", "[upstream tokens=400 delay_ms=40] long").await;
    let id = body["assistant_message"]["id"].as_str().unwrap().to_string();
    // A reader on B follows the answer live through Redis.
    let on_b = p.admin.on(&p.b);
    let mut sse = on_b.attach(&id, None).await;
    let mut text = String::new();
    while text.len() < 40 {
        let e = sse.next().await.unwrap();
        if e.event == "message.delta" {
            text.push_str(e.data["content"].as_str().unwrap());
        }
    }
    // Replica A vanishes mid-answer (no shutdown, its lease is not renewed).
    let Pair { a, b, upstream: _upstream, redis: _redis, .. } = p;
    let (db, _) = a.kill();
    // B settles it once the lease lapses (15 s) and it has been idle a second; B's reader ends.
    let started = Instant::now();
    let rest = tokio::time::timeout(Duration::from_secs(45), async {
        let mut events = Vec::new();
        while let Some(e) = sse.next().await {
            let last = e.event != "message.delta" && e.event != "message.created";
            events.push(e);
            if last {
                break;
            }
        }
        events
    })
    .await
    .expect("the reader on B got the end");
    let end = rest.last().unwrap();
    assert_eq!(end.event, "message.failed", "{:?}", end.data);
    assert_eq!(end.data["message"]["status"], "partial");
    assert_eq!(end.data["message"]["error"]["code"], "interrupted");
    let kept = end.data["message"]["content"].as_str().unwrap();
    // Nothing A generated is lost: the text it streamed after its last flush is kept too.
    assert!(kept.starts_with(&text), "everything the reader saw is kept: {kept:?} vs {text:?}");
    assert_eq!(text + deltas(&rest).as_str(), kept, "no gap or duplicate before the end");
    eprintln!("settled by the other replica after {:?}", started.elapsed());
    let stored = on_b.get_json(&format!("/v1/messages/{id}")).await;
    assert_eq!(stored["status"], "partial");
    assert_eq!(stored["content"], kept, "what B's reader saw live is what is kept");
    drop(b);
    let _ = std::fs::remove_dir_all(&db.dir);
}

#[tokio::test]
async fn redis_over_tls_with_a_private_ca() {
    let dir = std::env::temp_dir().join(format!("confab-redis-tls-{}", uuid::Uuid::new_v4()));
    let (redis, ca) = RedisServer::start_tls(&dir);
    let url = format!("rediss://127.0.0.1:{}", redis.port);
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default()
        .upstream(&upstream)
        .env("CONFAB_REDIS__URL", &url)
        .env("CONFAB_REDIS__CA_CERT_FILE", &ca.display().to_string());
    let app = TestApp::spawn_with(Backend::Postgres, opts).await;
    let admin = app.admin().await;
    assert_eq!(readyz(&app).await.1["checks"]["redis"], "ok");
    let conv = admin.conversation().await;
    let body = send_turn(&admin, &conv, "k", "[upstream tokens=2] hi").await;
    assert_eq!(admin.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await["status"], "completed");
    // Without the CA, the certificate is not trusted: Confab does not talk to that Redis.
    let other = TestDb { backend: Backend::Postgres, url: app.db.url.clone(), dir: dir.join("untrusting") };
    std::fs::create_dir_all(&other.dir).unwrap();
    let untrusting = TestApp::start(other, Options::default().upstream(&upstream).env("CONFAB_REDIS__URL", &url));
    let (_, ready) = readyz(&untrusting).await;
    assert_eq!(ready["checks"]["redis"], "unreachable", "{ready}");
    drop(untrusting);
    let _ = std::fs::remove_dir_all(&dir);
}

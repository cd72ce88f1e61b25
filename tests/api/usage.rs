//! Quotas and usage: reservations before the upstream call, settlement on completion, cancel and
//! partial answers, daily reset, usage that matches the provider's token counts, and who may see
//! and set what.
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

async fn set_quota(admin: &Api, body: Value) -> Value {
    let (s, q) = admin.send(Method::PUT, "/v1/tenant/quotas", Some(body)).await;
    assert_eq!(s, 200, "{q}");
    q
}

/// Sends `content` with gpt-4o (1024 output tokens at most); returns (status, body).
async fn send(api: &Api, conv: &str, key: &str, content: &str) -> (reqwest::StatusCode, Value) {
    api.post_idem(&format!("/v1/conversations/{conv}/messages"), key, json!({ "content": content, "model": "gpt-4o" }))
        .await
}

async fn finished(api: &Api, body: &Value) -> Value {
    api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await
}

fn quota_of<'a>(usage: &'a Value, scope: &str, period: &str) -> &'a Value {
    usage["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["scope"] == scope && q["period"] == period)
        .unwrap_or_else(|| panic!("no {scope} {period} quota in {usage}"))
}

async fn an_exhausted_quota_refuses_with_429_and_nothing_goes_upstream(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    // A reservation is the prompt plus gpt-4o's 1024 output tokens: 500 cannot hold one.
    set_quota(&admin, json!({ "subject": "user_default", "period": "day", "token_limit": 500 })).await;
    let conv = admin.conversation().await;
    let resp = admin
        .request(Method::POST, &format!("/v1/conversations/{conv}/messages"))
        .header("Idempotency-Key", "k1")
        .json(&json!({ "content": "hello", "model": "gpt-4o" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry_after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry_after), "retry after the daily reset: {retry_after}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(reqwest::StatusCode::TOO_MANY_REQUESTS, &body, 429), "quota_exceeded");
    let q = &body["error"]["quota"];
    assert_eq!(q["scope"], "user");
    assert_eq!(q["period"], "day");
    assert_eq!(q["limit"], 500);
    assert_eq!(q["remaining"], 500);
    assert!(q["requested"].as_u64().unwrap() > 1024);
    assert!(q["resets_at"].as_str().unwrap().contains("T00:00:00"), "midnight UTC: {q}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("500 of 500 tokens left") && message.contains("resets at"), "{message}");
    assert_eq!(upstream.calls(), 0, "a refused turn must not reach the provider");
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["messages"], json!([]), "a refused turn writes nothing");

    // Room for one reservation; a long answer then uses most of the day's budget.
    set_quota(&admin, json!({ "subject": "user_default", "period": "day", "token_limit": 2000 })).await;
    let (s, body) = send(&admin, &conv, "k2", "[upstream tokens=1000] write a lot").await;
    assert_eq!(s, 202, "{body}");
    let done = finished(&admin, &body).await;
    assert_eq!(done["usage"]["output_tokens"], 1000);
    let (s, body) = send(&admin, &conv, "k3", "one more").await;
    assert_eq!(error_code(s, &body, 429), "quota_exceeded");
    assert_eq!(upstream.calls(), 1);
    let usage = admin.get_json("/v1/usage").await;
    let day = quota_of(&usage, "user", "day");
    assert_eq!(day["used"].as_u64().unwrap(), usage["today"]["input_tokens"].as_u64().unwrap() + 1000);
    assert_eq!(day["reserved"], 0);
    assert_eq!(body["error"]["quota"]["remaining"], day["remaining"]);

    // A tenant-wide quota applies to everyone together.
    set_quota(&admin, json!({ "subject": "user_default", "period": "day", "token_limit": 1_000_000 })).await;
    set_quota(&admin, json!({ "subject": "tenant", "period": "month", "token_limit": 1500 })).await;
    let (s, body) = send(&admin, &conv, "k4", "and now?").await;
    assert_eq!(error_code(s, &body, 429), "quota_exceeded");
    assert_eq!(body["error"]["quota"]["scope"], "tenant");
    assert_eq!(body["error"]["quota"]["period"], "month");
    assert_eq!(upstream.calls(), 1);
}

async fn reservations_are_settled_on_cancel_and_on_partial_answers(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    // Room for one reservation (~1030 tokens) at a time, not two.
    set_quota(&admin, json!({ "subject": "user_default", "period": "day", "token_limit": 1600 })).await;
    let conv = admin.conversation().await;
    let (s, slow) = send(&admin, &conv, "k1", "[upstream tokens=100 delay_ms=100] take your time").await;
    assert_eq!(s, 202, "{slow}");
    let usage = admin.get_json("/v1/usage").await;
    assert!(quota_of(&usage, "user", "day")["reserved"].as_u64().unwrap() > 1024, "{usage}");
    // The running turn holds its reservation: a second one does not fit.
    let other = admin.conversation().await;
    let (s, body) = send(&admin, &other, "k2", "meanwhile").await;
    assert_eq!(error_code(s, &body, 429), "quota_exceeded");

    tokio::time::sleep(Duration::from_millis(400)).await;
    let id = slow["assistant_message"]["id"].as_str().unwrap();
    let (s, cancelled) = admin.send(Method::POST, &format!("/v1/messages/{id}/cancel"), None).await;
    assert_eq!(s, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let usage = admin.get_json("/v1/usage").await;
    let day = quota_of(&usage, "user", "day");
    assert_eq!(day["reserved"], 0, "a cancel settles the reservation: {usage}");
    let produced = cancelled["usage"]["output_tokens"].as_u64().unwrap();
    assert!(produced > 0 && produced < 100, "{cancelled}");
    assert_eq!(day["used"].as_u64().unwrap(), cancelled["usage"]["input_tokens"].as_u64().unwrap() + produced);

    // A dropped stream ends partial and settles to what was produced.
    let (s, body) = send(&admin, &other, "k3", "[upstream tokens=10 drop_after=3] fragile").await;
    assert_eq!(s, 202, "{body}");
    let partial = finished(&admin, &body).await;
    assert_eq!(partial["status"], "partial");
    let usage = admin.get_json("/v1/usage").await;
    let day = quota_of(&usage, "user", "day");
    assert_eq!(day["reserved"], 0, "{usage}");
    assert_eq!(usage["today"]["turns"], 2);
    assert_eq!(
        day["used"].as_u64().unwrap(),
        usage["today"]["input_tokens"].as_u64().unwrap() + usage["today"]["output_tokens"].as_u64().unwrap()
    );
    // Settled, the budget has room again.
    let (s, body) = send(&admin, &other, "k4", "room again").await;
    assert_eq!(s, 202, "{body}");
    assert_eq!(finished(&admin, &body).await["status"], "completed");
    assert_eq!(upstream.calls(), 3);
}

async fn usage_sums_match_the_providers_token_counts(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let mut expected_in = 0;
    let mut expected_out = 0;
    let mut gpt = (0u64, 0u64);
    for (key, model, content, tokens) in [
        ("k1", "gpt-4o", "[upstream tokens=5] one two three", 5u64),
        ("k2", "gpt-4o", "[upstream tokens=12] four", 12),
        ("k3", "claude", "[upstream tokens=7] five six", 7),
    ] {
        let (s, body) = admin
            .post_idem(
                &format!("/v1/conversations/{conv}/messages"),
                key,
                json!({ "content": content, "model": model }),
            )
            .await;
        assert_eq!(s, 202, "{body}");
        let done = finished(&admin, &body).await;
        assert_eq!(done["usage"]["output_tokens"], tokens);
        let input = done["usage"]["input_tokens"].as_u64().unwrap();
        expected_in += input;
        expected_out += tokens;
        if model == "gpt-4o" {
            gpt = (gpt.0 + input, gpt.1 + tokens);
        }
    }
    // What the provider counted: the scripted upstream counts the words it was sent.
    assert_eq!(upstream.calls(), 3);
    let usage = admin.get_json("/v1/usage").await;
    assert_eq!(usage["today"]["turns"], 3);
    assert_eq!(usage["today"]["input_tokens"], expected_in);
    assert_eq!(usage["today"]["output_tokens"], expected_out);
    assert_eq!(usage["this_month"]["output_tokens"], expected_out);
    assert_eq!(usage["quotas"], json!([]), "no quota set: none reported");

    let report = admin.get_json("/v1/tenant/usage?group_by=model").await;
    let rows = report["rows"].as_array().unwrap();
    let row = |m: &str| rows.iter().find(|r| r["model"] == m).unwrap_or_else(|| panic!("{m} in {report}")).clone();
    let g = row("gpt-4o");
    assert_eq!(g["input_tokens"], gpt.0);
    assert_eq!(g["output_tokens"], gpt.1);
    assert_eq!(g["turns"], 2);
    let cost = (gpt.0 as f64 * 2.5 + gpt.1 as f64 * 10.0) / 1_000_000.0;
    assert!((g["cost"].as_f64().unwrap() - cost).abs() < 1e-12, "{g} vs {cost}");
    assert_eq!(row("claude")["cost"], 0.0, "claude has no price in the catalogue");
    let by_day_user = admin.get_json("/v1/tenant/usage?group_by=day,user").await;
    let rows = by_day_user["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{by_day_user}");
    assert_eq!(rows[0]["day"], usage["day"]);
    assert_eq!(rows[0]["output_tokens"], expected_out);
    assert!(rows[0]["user_id"].is_string() && rows[0].get("model").is_none());
    assert_eq!(rows[0]["email"], "admin@acme.example");
    let empty = admin.get_json("/v1/tenant/usage?from=2020-01-01&to=2020-01-31").await;
    assert_eq!(empty["rows"], json!([]));
    for bad in ["from=2020-02-01&to=2020-01-01", "from=yesterday", "group_by=color", "from=2020-01-01&to=2022-01-01"] {
        let (s, body) = admin.send(Method::GET, &format!("/v1/tenant/usage?{bad}"), None).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{bad}");
    }
}

async fn yesterdays_usage_does_not_count_against_today(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let me = admin.get_json("/v1/me").await;
    let (user, tenant) =
        (me["id"].as_str().unwrap().to_string(), me["active_tenant"]["id"].as_str().unwrap().to_string());
    // Yesterday this user used far more than a day's budget.
    let yesterday = (chrono_day_offset(-1), chrono_month_offset(-1));
    let db = app.db.connect().await;
    insert_usage(&db, &tenant, &user, &yesterday.0, &yesterday.1, 900_000).await;
    set_quota(&admin, json!({ "subject": "user_default", "period": "day", "token_limit": 2000 })).await;
    let usage = admin.get_json("/v1/usage").await;
    assert_eq!(quota_of(&usage, "user", "day")["used"], 0, "a new day starts empty: {usage}");
    let conv = admin.conversation().await;
    let (s, body) = send(&admin, &conv, "k1", "good morning").await;
    assert_eq!(s, 202, "{body}");
    finished(&admin, &body).await;
    assert_eq!(upstream.calls(), 1);
    // Yesterday's usage is still in the tenant's report.
    let report = admin.get_json(&format!("/v1/tenant/usage?group_by=day&from={}", yesterday.0)).await;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows[0]["day"], yesterday.0.as_str());
    assert_eq!(rows[0]["input_tokens"], 900_000);
}

fn chrono_day_offset(days: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let day = now / 86_400 + days;
    civil(day)
}

fn chrono_month_offset(days: i64) -> String {
    chrono_day_offset(days)[..7].to_string()
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
fn civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

async fn insert_usage(db: &sea_orm::DatabaseConnection, tenant: &str, user: &str, day: &str, month: &str, tokens: i64) {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let uuid = |s: &str| uuid::Uuid::parse_str(s).unwrap();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO usage_events (id, tenant_id, user_id, conversation_id, message_id, model, input_tokens, \
             output_tokens, cost, outcome, day, month, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'gpt-4o', $6, 0, 0.0, 'completed', $7, $8, now())"
        }
        _ => {
            "INSERT INTO usage_events (id, tenant_id, user_id, conversation_id, message_id, model, input_tokens, \
             output_tokens, cost, outcome, day, month, created_at) \
             VALUES (?, ?, ?, ?, ?, 'gpt-4o', ?, 0, 0.0, 'completed', ?, ?, '2020-01-01T00:00:00+00:00')"
        }
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            uuid::Uuid::now_v7().into(),
            uuid(tenant).into(),
            uuid(user).into(),
            uuid::Uuid::now_v7().into(),
            uuid::Uuid::now_v7().into(),
            tokens.into(),
            day.into(),
            month.into(),
        ],
    ))
    .await
    .unwrap();
}

async fn only_admins_set_quotas_and_user_quotas_override_the_default(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let ann_id = app.create_user(&admin, "ann@acme.example", "member").await;
    app.create_user(&admin, "bob@acme.example", "member").await;
    app.create_user(&admin, "audrey@acme.example", "auditor").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    let auditor = app.login("audrey@acme.example", PASSWORD).await;

    let (s, body) = ann
        .send(Method::PUT, "/v1/tenant/quotas", Some(json!({ "subject": "tenant", "period": "day", "token_limit": 1 })))
        .await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    for path in ["/v1/tenant/quotas", "/v1/tenant/usage"] {
        let (s, body) = ann.send(Method::GET, path, None).await;
        assert_eq!(error_code(s, &body, 403), "forbidden", "{path}");
        let (s, _) = auditor.send(Method::GET, path, None).await;
        assert_eq!(s, 200, "auditors read {path}");
    }
    let (s, body) = auditor
        .send(Method::PUT, "/v1/tenant/quotas", Some(json!({ "subject": "tenant", "period": "day", "token_limit": 1 })))
        .await;
    assert_eq!(error_code(s, &body, 403), "forbidden");

    // Everyone gets 500 a day (too little for a turn); Ann gets 5000.
    set_quota(&admin, json!({ "subject": "user_default", "period": "day", "token_limit": 500 })).await;
    let ann_quota =
        set_quota(&admin, json!({ "subject": "user", "user_id": ann_id, "period": "day", "token_limit": 5000 })).await;
    let conv = ann.conversation().await;
    let (s, body) = send(&ann, &conv, "k1", "hi").await;
    assert_eq!(s, 202, "{body}");
    finished(&ann, &body).await;
    let conv = bob.conversation().await;
    let (s, body) = send(&bob, &conv, "k1", "hi").await;
    assert_eq!(error_code(s, &body, 429), "quota_exceeded");
    assert_eq!(upstream.calls(), 1);
    assert_eq!(quota_of(&ann.get_json("/v1/usage").await, "user", "day")["limit"], 5000);

    // Bad quotas change nothing.
    for bad in [
        json!({ "subject": "user", "period": "day", "token_limit": 10 }),
        json!({ "subject": "tenant", "user_id": ann_id, "period": "day", "token_limit": 10 }),
        json!({ "subject": "tenant", "period": "day", "token_limit": -1 }),
        json!({ "subject": "user", "user_id": uuid::Uuid::now_v7(), "period": "day", "token_limit": 10 }),
    ] {
        let (s, body) = admin.send(Method::PUT, "/v1/tenant/quotas", Some(bad.clone())).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{bad}");
    }
    let (s, body) = admin
        .send(Method::PUT, "/v1/tenant/quotas", Some(json!({ "subject": "team", "period": "day", "token_limit": 1 })))
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(admin.get_json("/v1/tenant/quotas").await["items"].as_array().unwrap().len(), 2);

    // Another tenant's admin cannot see or remove these quotas.
    let (_, other) = app.second_tenant("globex").await;
    assert_eq!(other.get_json("/v1/tenant/quotas").await["items"], json!([]));
    let qid = ann_quota["id"].as_str().unwrap();
    let (s, body) = other.send(Method::DELETE, &format!("/v1/tenant/quotas/{qid}"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let (s, body) = other
        .send(
            Method::PUT,
            "/v1/tenant/quotas",
            Some(json!({ "subject": "user", "user_id": ann_id, "period": "day", "token_limit": 1 })),
        )
        .await;
    assert_eq!(error_code(s, &body, 422), "validation_failed", "a user of another tenant");
    let other_usage = other.get_json("/v1/tenant/usage").await;
    assert_eq!(other_usage["rows"], json!([]), "usage is per tenant");

    let resp = admin.delete(&format!("/v1/tenant/quotas/{qid}")).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(app.audit_count(&admin, "quota.set").await, 2);
    assert_eq!(app.audit_count(&admin, "quota.deleted").await, 1);
    // Without her own quota, Ann falls back to the default and is refused.
    let conv = ann.conversation().await;
    let (s, body) = send(&ann, &conv, "k2", "again").await;
    assert_eq!(error_code(s, &body, 429), "quota_exceeded");
}

both_backends!(
    an_exhausted_quota_refuses_with_429_and_nothing_goes_upstream,
    reservations_are_settled_on_cancel_and_on_partial_answers,
    usage_sums_match_the_providers_token_counts,
    yesterdays_usage_does_not_count_against_today,
    only_admins_set_quotas_and_user_quotas_override_the_default,
);

//! The audit log: one entry per audited action, readable per tenant, and a hash chain that
//! `confab audit verify` checks.
use confab_tests::*;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::collections::BTreeMap;

async fn each_audited_action_leaves_exactly_one_entry(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await; // auth.login
    let (s, _) = app
        .anonymous()
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": ADMIN_EMAIL, "password": "wrong wrong wrong" })))
        .await;
    assert_eq!(s, 401); // auth.login_failed
    let id = app.create_user(&admin, "mia@acme.example", "member").await; // user.created
    let (_, token) = admin.create_token(json!({ "name": "t" })).await; // token.created
    assert_eq!(admin.delete(&format!("/v1/me/tokens/{token}")).await.status(), 204); // token.revoked
    assert_eq!(admin.put(&format!("/v1/users/{id}/role"), json!({ "role": "auditor" })).await.status(), 200); // user.role_changed
    assert_eq!(admin.post(&format!("/v1/users/{id}/disable"), json!({})).await.status(), 200); // user.disabled
    assert_eq!(admin.post(&format!("/v1/users/{id}/enable"), json!({})).await.status(), 200); // user.enabled
    let mia = app.login("mia@acme.example", PASSWORD).await; // auth.login
    assert_eq!(mia.post("/v1/auth/logout", json!({})).await.status(), 204); // auth.logout
    // Repeating a no-op (enable an enabled user) records nothing.
    assert_eq!(admin.post(&format!("/v1/users/{id}/enable"), json!({})).await.status(), 200);

    let page = admin.get_json("/v1/audit?limit=200").await;
    let mut counts = BTreeMap::new();
    for e in page["items"].as_array().unwrap() {
        *counts.entry(e["action"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    let expected: BTreeMap<String, i32> = [
        ("auth.login", 2),
        ("auth.login_failed", 1),
        ("auth.logout", 1),
        ("tenant.created", 1),
        ("token.created", 1),
        ("token.revoked", 1),
        ("user.created", 1),
        ("user.disabled", 1),
        ("user.enabled", 1),
        ("user.role_changed", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, expected);
    let created = page["items"].as_array().unwrap().iter().find(|e| e["action"] == "user.created").unwrap();
    assert_eq!(created["actor"], ADMIN_EMAIL);
    assert_eq!(created["target_type"], "user");
    assert_eq!(created["target_id"], id.as_str());
    assert!(created["request_id"].as_str().is_some_and(|r| !r.is_empty()));

    // Platform-level actions land in the platform log.
    let (s, _) = admin.send(Method::POST, "/v1/tenants", Some(json!({ "name": "Globex" }))).await;
    assert_eq!(s, 201);
    let platform = admin.get_json("/v1/platform/audit?action=tenant.created").await;
    assert_eq!(platform["items"].as_array().unwrap().len(), 1);
    assert_eq!(platform["items"][0]["details"]["slug"], "globex");
}

async fn the_log_filters_and_pages(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let me = admin.get_json("/v1/me").await;
    for i in 0..5 {
        app.create_user(&admin, &format!("u{i}@acme.example"), "member").await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit?action=user.created&limit=2&cursor={c}"),
            None => "/v1/audit?action=user.created&limit=2".to_string(),
        };
        let page = admin.get_json(&path).await;
        for e in page["items"].as_array().unwrap() {
            seen.push(e["seq"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no duplicates: {seen:?}");
    let by_actor = admin.get_json(&format!("/v1/audit?actor={}&action=user.created", me["id"].as_str().unwrap())).await;
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 5);
    let future = admin.get_json("/v1/audit?since=2099-01-01T00:00:00Z").await;
    assert_eq!(future["items"].as_array().unwrap().len(), 0);
    let past = admin.get_json("/v1/audit?until=2000-01-01T00:00:00Z").await;
    assert_eq!(past["items"].as_array().unwrap().len(), 0);
    let all_time = admin.get_json("/v1/audit?since=2000-01-01T00:00:00Z&until=2099-01-01T00:00:00Z&limit=200").await;
    assert!(all_time["items"].as_array().unwrap().len() >= 7);
}

async fn audit_verify_passes_then_names_the_altered_entry(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    admin.create_token(json!({ "name": "t" })).await;
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{} {}", out.stdout, out.stderr);
    assert!(out.stdout.contains("intact"), "{}", out.stdout);

    // Someone with database access rewrites history: entry #3 now claims another actor.
    let db = app.db.connect().await;
    db.execute_unprepared("UPDATE audit_log SET actor_label = 'someone-else@acme.example' WHERE seq = 3")
        .await
        .unwrap();
    let out = app.cli(&["audit", "verify"], None);
    assert_ne!(out.code, 0);
    assert!(out.stdout.contains("BROKEN at entry #3"), "{}", out.stdout);

    // Deleting the newest entry is caught too.
    let fresh = TestApp::spawn(b).await;
    let fresh_db = fresh.db.connect().await;
    let fresh_admin = fresh.admin().await;
    fresh.create_user(&fresh_admin, "mia@acme.example", "member").await;
    assert_eq!(fresh.cli(&["audit", "verify"], None).code, 0);
    fresh_db.execute_unprepared("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)").await.unwrap();
    let out = fresh.cli(&["audit", "verify"], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("missing"), "{}", out.stdout);
}

async fn concurrent_changes_keep_the_chain_intact(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            let resp = admin.post("/v1/me/tokens", json!({ "name": format!("t{i}") })).await;
            resp.status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    assert_eq!(app.audit_count(&admin, "token.created").await, 12);
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

/// A time range is exactly the entries stamped inside it, alone or with other filters, and an
/// action family pages the same whether the page fills from the newest entries or not.
async fn time_ranges_and_action_families_select_exactly(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let stamp = || {
        std::thread::sleep(std::time::Duration::from_millis(5));
        let t = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        std::thread::sleep(std::time::Duration::from_millis(5));
        t
    };
    let t0 = stamp();
    let mut users = Vec::new();
    let mut marks = Vec::new();
    for i in 0..4 {
        users.push(app.create_user(&admin, &format!("u{i}@acme.example"), "member").await);
        marks.push(stamp());
    }
    let seqs = |page: &serde_json::Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|e| e["target_id"].as_str().unwrap_or("-").to_string()).collect()
    };
    let enc = |t: &str| t.replace('+', "%2B");
    // Between the first and third mark: users 1 and 2, newest first.
    let page = admin
        .get_json(&format!("/v1/audit?action=user.created&since={}&until={}", enc(&marks[0]), enc(&marks[2])))
        .await;
    assert_eq!(seqs(&page), [users[2].clone(), users[1].clone()], "{page}");
    // The same range through the family filter, a page at a time (each page fills from the newest).
    let mut got = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = admin
            .get_json(&format!(
                "/v1/audit?action=user.*&since={}&until={}&limit=1{cursor}",
                enc(&marks[0]),
                enc(&marks[2])
            ))
            .await;
        got.extend(seqs(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(got, [users[2].clone(), users[1].clone()]);
    // A family with fewer entries than the page asks for (the index path), and one with none.
    let page = admin.get_json(&format!("/v1/audit?action=user.*&since={}&limit=50", enc(&t0))).await;
    assert_eq!(seqs(&page), users.iter().rev().cloned().collect::<Vec<_>>());
    let page = admin.get_json("/v1/audit?action=billing.*").await;
    assert_eq!(seqs(&page), Vec::<String>::new());
    // A range in which nothing happened; equal and inverted bounds are refused.
    let (quiet_from, quiet_to) = (stamp(), stamp());
    let page = admin.get_json(&format!("/v1/audit?since={}&until={}", enc(&quiet_from), enc(&quiet_to))).await;
    assert_eq!(seqs(&page), Vec::<String>::new());
    for (since, until) in [(&marks[1], &marks[1]), (&marks[2], &marks[0])] {
        let (s, body) =
            admin.send(Method::GET, &format!("/v1/audit?since={}&until={}", enc(since), enc(until)), None).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed");
    }
    // Up to a mark, with the actor filter: the sign-in and the first user only.
    let me = admin.get_json("/v1/me").await;
    let page = admin
        .get_json(&format!(
            "/v1/audit?actor={}&since={}&until={}",
            me["id"].as_str().unwrap(),
            enc(&t0),
            enc(&marks[0])
        ))
        .await;
    assert_eq!(seqs(&page), [users[0].clone()], "{page}");
}

both_backends!(
    each_audited_action_leaves_exactly_one_entry,
    the_log_filters_and_pages,
    time_ranges_and_action_families_select_exactly,
    audit_verify_passes_then_names_the_altered_entry,
    concurrent_changes_keep_the_chain_intact,
);

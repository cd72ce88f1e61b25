//! Retention: policies within the platform's bounds, the purge (preview = run, every store,
//! crash and resume, two replicas), legal holds on every path, soft delete, and erasure.
use confab_tests::*;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as DbValue};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    // The background purge stays off: each test runs it when it wants.
    let app =
        TestApp::spawn_with(b, Options::default().upstream(&upstream).env("CONFAB_RETENTION__INTERVAL_SECS", "0"))
            .await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// Sends `content` in a new conversation and waits for the answer; returns the conversation id.
async fn canary_conversation(api: &Api, content: &str) -> String {
    let conv = api.conversation().await;
    let key = uuid::Uuid::new_v4().to_string();
    let (s, body) = api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            &key,
            json!({ "content": content, "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    let done = api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    conv
}

pub(crate) fn ph(b: sea_orm::DbBackend, n: usize) -> String {
    match b {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".into(),
    }
}

pub(crate) async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> u64 {
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .await
        .unwrap()
        .rows_affected()
}

async fn count(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> i64 {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

pub(crate) fn days_ago(d: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::days(d)
}

pub(crate) fn uuid(s: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).unwrap()
}

/// Moves a conversation's last activity `days` into the past.
pub(crate) async fn age_conversation(db: &DatabaseConnection, conv: &str, days: i64) {
    let b = db.get_database_backend();
    let sql = format!("UPDATE conversations SET updated_at = {} WHERE id = {}", ph(b, 1), ph(b, 2));
    assert_eq!(exec(db, &sql, vec![days_ago(days).into(), uuid(conv).into()]).await, 1);
}

/// Rows anywhere in the SQL store whose text contains `needle`: messages, titles, snapshots,
/// presets, and the full-text index (SQLite's FTS table; PostgreSQL's search documents).
async fn traces(db: &DatabaseConnection, needle: &str) -> i64 {
    let b = db.get_database_backend();
    let like = format!("%{needle}%");
    let p = ph(b, 1);
    let mut n = 0;
    for sql in [
        format!("SELECT COUNT(*) FROM messages WHERE content LIKE {p}"),
        format!("SELECT COUNT(*) FROM conversations WHERE title LIKE {p}"),
        format!("SELECT COUNT(*) FROM share_messages WHERE content LIKE {p}"),
        format!("SELECT COUNT(*) FROM shares WHERE title LIKE {p}"),
        format!("SELECT COUNT(*) FROM preset_versions WHERE system_prompt LIKE {p}"),
    ] {
        n += count(db, &sql, vec![like.clone().into()]).await;
    }
    n += match b {
        sea_orm::DbBackend::Postgres => {
            count(db, "SELECT COUNT(*) FROM search_docs WHERE tsv @@ to_tsquery('simple', $1)", vec![needle.into()])
                .await
        }
        _ => {
            count(db, "SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH ?", vec![format!("\"{needle}\"").into()])
                .await
        }
    };
    n
}

async fn search_hits(api: &Api, q: &str) -> usize {
    let (s, body) = api.send(Method::GET, &format!("/v1/search?q={q}"), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().len()
}

fn kind(preview: &Value, kind: &str) -> u64 {
    preview["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap()["count"].as_u64().unwrap()
}

/// The summed counts of every `retention.purged` audit entry, per kind.
async fn audited_purges(db: &DatabaseConnection) -> (usize, std::collections::BTreeMap<String, u64>) {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT details FROM audit_log WHERE action = 'retention.purged' ORDER BY seq",
        ))
        .await
        .unwrap();
    let mut sums = std::collections::BTreeMap::new();
    for r in &rows {
        let d: Value = serde_json::from_str(&r.try_get::<String>("", "details").unwrap()).unwrap();
        for (k, v) in d["counts"].as_object().unwrap() {
            *sums.entry(k.clone()).or_insert(0) += v.as_u64().unwrap();
        }
    }
    (rows.len(), sums)
}

async fn set_policy(admin: &Api, body: Value) -> Value {
    let (s, p) = admin.send(Method::PUT, "/v1/tenant/retention", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p
}

async fn policy_bounds_and_bad_input_give_4xx_and_change_nothing(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let got = admin.get_json("/v1/tenant/retention").await;
    assert_eq!(got["policy"], Value::Null, "{got}");
    assert_eq!(got["effective"]["deleted_grace_days"], 30, "the platform default grace: {got}");
    let bounds = json!({
        "default": { "conversation_days": 90 },
        "floor": { "conversation_days": 30 },
        "ceiling": { "conversation_days": 365 }
    });
    let (s, p) = admin.send(Method::PUT, "/v1/platform/retention", Some(bounds)).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    for (body, needle) in [
        (json!({ "conversation_days": 7 }), "at least 30 days (the platform floor)"),
        (json!({ "conversation_days": 400 }), "at most 365 days (the platform ceiling)"),
        (json!({ "conversation_days": null }), "the platform ceiling is 365 days"),
        (json!({ "conversation_days": 60, "share_days": 0 }), "between 1 and 36500"),
        (json!({ "conversation_days": 60, "usage_days": -5 }), "between 1 and 36500"),
    ] {
        let (s, e) = admin.send(Method::PUT, "/v1/tenant/retention", Some(body.clone())).await;
        assert_eq!(error_code(s, &e, 422), "validation_failed", "{body}");
        assert!(e["error"]["message"].as_str().unwrap().contains(needle), "{body}: {e}");
        // A draft's preview refuses it with the same words.
        let (s, e) = admin.send(Method::POST, "/v1/tenant/retention/preview", Some(body.clone())).await;
        assert_eq!(error_code(s, &e, 422), "validation_failed", "preview of {body}");
        assert!(e["error"]["message"].as_str().unwrap().contains(needle), "preview of {body}: {e}");
    }
    let (s, e) = admin.send(Method::PUT, "/v1/tenant/retention", Some(json!({ "keep": "forever" }))).await;
    assert_eq!(error_code(s, &e, 400), "bad_request");
    let inverted = json!({ "default": {}, "floor": { "share_days": 10 }, "ceiling": { "share_days": 5 } });
    let (s, e) = admin.send(Method::PUT, "/v1/platform/retention", Some(inverted)).await;
    assert_eq!(error_code(s, &e, 422), "validation_failed");
    assert!(e["error"]["message"].as_str().unwrap().contains("above the ceiling"), "{e}");
    // Nothing was written by the refused calls.
    let got = admin.get_json("/v1/tenant/retention").await;
    assert_eq!(got["policy"], Value::Null, "{got}");
    assert_eq!(got["effective"]["conversation_days"], 90, "the default applies: {got}");
    assert_eq!(app.audit_count(&admin, "retention.policy_set").await, 0);
    let set = set_policy(&admin, json!({ "conversation_days": 60, "audit_days": 3650 })).await;
    assert_eq!(set["policy"]["conversation_days"], 60);
    assert_eq!(set["effective"]["audit_days"], 3650);
    assert_eq!(set["effective"]["deleted_grace_days"], Value::Null, "the tenant's own policy keeps forever");
    assert_eq!(app.audit_count(&admin, "retention.policy_set").await, 1);
    // Bad hold input and unknown objects.
    let (s, e) = admin
        .send(Method::POST, "/v1/tenant/legal-holds", Some(json!({ "scope": "user", "case_name": "X", "reason": "y" })))
        .await;
    assert_eq!(error_code(s, &e, 422), "validation_failed");
    let nobody = uuid::Uuid::now_v7();
    let (s, e) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "conversation", "subject_id": nobody, "case_name": "X", "reason": "y" })),
        )
        .await;
    assert_eq!(error_code(s, &e, 404), "not_found");
    let (s, e) = admin.send(Method::POST, &format!("/v1/tenant/legal-holds/{nobody}/release"), None).await;
    assert_eq!(error_code(s, &e, 404), "not_found");
    let (s, e) = admin.send(Method::POST, &format!("/v1/users/{nobody}/erase"), None).await;
    assert_eq!(error_code(s, &e, 404), "not_found");
    assert_eq!(admin.get_json("/v1/tenant/legal-holds").await["items"].as_array().unwrap().len(), 0);
}

async fn a_canary_past_retention_goes_from_every_sql_store_and_a_held_one_survives_until_released(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    app.create_user(&admin, "ann@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let old = canary_conversation(&ann, "canaryalpha lives here").await;
    let held = canary_conversation(&ann, "canarybeta lives here").await;
    let fresh = canary_conversation(&ann, "canarygamma lives here").await;
    let (s, share) = ann
        .send(Method::POST, &format!("/v1/conversations/{old}/shares"), Some(json!({ "visibility": "tenant" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{share}");
    let db = app.db.connect().await;
    age_conversation(&db, &old, 100).await;
    age_conversation(&db, &held, 100).await;
    let bk = db.get_database_backend();
    let sql = format!("UPDATE shares SET created_at = {} WHERE id = {}", ph(bk, 1), ph(bk, 2));
    exec(&db, &sql, vec![days_ago(100).into(), uuid(share["id"].as_str().unwrap()).into()]).await;
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "conversation", "subject_id": held, "case_name": "Acme v. Globex", "reason": "litigation" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    // A draft previews before it is saved: its counts follow the draft, and nothing is saved.
    assert_eq!(kind(&admin.get_json("/v1/tenant/retention/preview").await, "conversations"), 0);
    let draft = json!({ "conversation_days": 30, "share_days": 30, "deleted_grace_days": 0 });
    let (s, p) = admin.send(Method::POST, "/v1/tenant/retention/preview", Some(draft.clone())).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["effective"]["conversation_days"], 30, "{p}");
    assert_eq!(kind(&p, "conversations"), 1, "{p}");
    assert_eq!(kind(&p, "shares"), 1, "{p}");
    assert_eq!(admin.get_json("/v1/tenant/retention").await["policy"], Value::Null, "a preview saves nothing");
    assert_eq!(kind(&admin.get_json("/v1/tenant/retention/preview").await, "conversations"), 0);
    set_policy(&admin, draft).await;

    // The preview and the dry run say what would go; nothing goes.
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    assert_eq!(kind(&preview, "conversations"), 1, "{preview}");
    assert_eq!(kind(&preview, "messages"), 2, "{preview}");
    assert_eq!(kind(&preview, "shares"), 1, "{preview}");
    let dry = app.cli(&["retention", "run", "--dry-run"], None);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("conversations would go: 1"), "{}", dry.stdout);
    assert!(dry.stdout.contains("messages would go: 2"), "{}", dry.stdout);
    assert!(traces(&db, "canaryalpha").await > 0);

    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("conversations purged: 1"), "{}", run.stdout);
    let (_, sums) = audited_purges(&db).await;
    assert_eq!(sums.get("conversations"), Some(&1), "{sums:?}");
    assert_eq!(sums.get("messages"), Some(&2), "the run deleted what the preview said: {sums:?}");
    assert_eq!(sums.get("shares"), Some(&1), "{sums:?}");
    assert_eq!(traces(&db, "canaryalpha").await, 0, "no trace of the purged canary in any table or the index");
    assert_eq!(search_hits(&ann, "canaryalpha").await, 0);
    let (s, _) = ann.send(Method::GET, &format!("/v1/conversations/{old}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let sql = format!("SELECT COUNT(*) FROM search_outbox WHERE kind = 'message' AND tenant_id = {}", ph(bk, 1));
    let tenant = admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    assert!(count(&db, &sql, vec![uuid(&tenant).into()]).await > 0, "OpenSearch deletes are queued in the outbox");
    let orphans = count(
        &db,
        "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)",
        vec![],
    )
    .await;
    assert_eq!(orphans, 0);
    // The audit entries hold counts, never content.
    let audit = admin.get_json("/v1/audit?action=retention.purged").await.to_string();
    assert!(!audit.contains("canary"), "{audit}");

    // The held one survives retention and its owner's delete (then only hidden).
    assert!(search_hits(&ann, "canarybeta").await > 0);
    assert!(search_hits(&ann, "canarygamma").await > 0, "a fresh conversation stays");
    let (s, _) = ann.send(Method::DELETE, &format!("/v1/conversations/{held}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = ann.send(Method::GET, &format!("/v1/conversations/{held}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a deleted conversation is hidden from its owner");
    assert_eq!(search_hits(&ann, "canarybeta").await, 0, "and from search");
    let list = ann.get_json("/v1/conversations").await.to_string();
    assert!(!list.contains(&held) && list.contains(&fresh), "{list}");
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(traces(&db, "canarybeta").await > 0, "the hold keeps it in the store");
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    assert_eq!(kind(&preview, "conversations"), 0, "{preview}");

    // Released: the next run catches up.
    let (s, released) = admin
        .send(Method::POST, &format!("/v1/tenant/legal-holds/{}/release", hold["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{released}");
    assert!(released["released_at"].is_string());
    let (s, e) = admin
        .send(Method::POST, &format!("/v1/tenant/legal-holds/{}/release", hold["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(error_code(s, &e, 409), "conflict");
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    assert_eq!(kind(&preview, "conversations"), 1, "{preview}");
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(traces(&db, "canarybeta").await, 0);
    assert!(traces(&db, "canarygamma").await > 0);
    assert_eq!(app.audit_count(&admin, "legal_hold.placed").await, 1);
    assert_eq!(app.audit_count(&admin, "legal_hold.released").await, 1);
}

async fn a_deleted_conversation_goes_after_the_grace_period_and_its_snapshots_keep_their_own(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    app.create_user(&admin, "ann@acme.example", "member").await;
    app.create_user(&admin, "bob@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    let conv = canary_conversation(&ann, "canarydelta for sharing").await;
    let (s, share) = ann
        .send(Method::POST, &format!("/v1/conversations/{conv}/shares"), Some(json!({ "visibility": "tenant" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{share}");
    let snapshot = format!("/v1/snapshots/{}", share["id"].as_str().unwrap());
    assert_eq!(bob.get(&snapshot).await.status(), StatusCode::OK);
    let (s, _) = ann.send(Method::DELETE, &format!("/v1/conversations/{conv}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(bob.get(&snapshot).await.status(), StatusCode::OK, "a snapshot is a copy: it outlives its source");
    let db = app.db.connect().await;
    // Within the default grace (30 days) nothing goes; past it, everything does.
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    assert_eq!(kind(&preview, "deleted_conversations"), 0, "{preview}");
    let bk = db.get_database_backend();
    let sql = format!("UPDATE conversations SET deleted_at = {} WHERE id = {}", ph(bk, 1), ph(bk, 2));
    exec(&db, &sql, vec![days_ago(31).into(), uuid(&conv).into()]).await;
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    assert_eq!(kind(&preview, "deleted_conversations"), 1, "{preview}");
    assert_eq!(kind(&preview, "deleted_messages"), 2, "{preview}");
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("deleted_conversations purged: 1"), "{}", run.stdout);
    let sql = format!("SELECT COUNT(*) FROM messages WHERE conversation_id = {}", ph(bk, 1));
    assert_eq!(count(&db, &sql, vec![uuid(&conv).into()]).await, 0);
    // The snapshot is a copy with its own period (the shares step): the purge of its source leaves it.
    assert_eq!(bob.get(&snapshot).await.status(), StatusCode::OK);
}

async fn erasure_leaves_no_trace_of_the_user_except_what_a_hold_keeps(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let ann_id = app.create_user(&admin, "ann@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let erased_conv = canary_conversation(&ann, "canaryepsilon is personal").await;
    let kept = canary_conversation(&ann, "canaryzeta is evidence").await;
    let (s, _) = ann
        .send(Method::POST, "/v1/presets", Some(json!({ "name": "Mine", "system_prompt": "canaryeta instructions" })))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = ann
        .send(Method::POST, &format!("/v1/conversations/{erased_conv}/shares"), Some(json!({ "visibility": "tenant" })))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "conversation", "subject_id": kept, "case_name": "Matter 7", "reason": "keep" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    let auditor_id = app.create_user(&admin, "audrey@acme.example", "auditor").await;
    let audrey = app.login("audrey@acme.example", PASSWORD).await;
    let (s, _) = audrey.send(Method::POST, &format!("/v1/users/{ann_id}/erase"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "auditors read, never erase");
    let (s, e) = admin.send(Method::POST, &format!("/v1/users/{auditor_id}/erase"), None).await;
    assert_eq!(s, StatusCode::OK, "{e}");

    let (s, erased) = admin.send(Method::POST, &format!("/v1/users/{ann_id}/erase"), None).await;
    assert_eq!(s, StatusCode::OK, "{erased}");
    assert_eq!(erased["conversations"], 1, "{erased}");
    assert_eq!(erased["conversations_kept_by_hold"], 1, "{erased}");
    assert_eq!(erased["presets"], 1, "{erased}");
    assert_eq!(erased["shares"], 1, "{erased}");
    assert_eq!(erased["user_anonymised"], true, "{erased}");
    let db = app.db.connect().await;
    assert_eq!(traces(&db, "canaryepsilon").await, 0);
    assert_eq!(traces(&db, "canaryeta").await, 0);
    assert!(traces(&db, "canaryzeta").await > 0, "the hold keeps its conversation");
    let sql = "SELECT COUNT(*) FROM users WHERE email LIKE '%ann@acme%' OR display_name = 'ann'";
    assert_eq!(count(&db, sql, vec![]).await, 0, "no e-mail or name left");
    let (s, _) = app
        .anonymous()
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": "ann@acme.example", "password": PASSWORD })))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let entry = admin.get_json("/v1/audit?action=user.erased").await;
    let entry = &entry["items"].as_array().unwrap()[0];
    assert_eq!(entry["target_id"], ann_id.as_str());
    assert!(!entry.to_string().contains("canary"), "{entry}");
    // The user is gone from the tenant's list as a live account.
    let user = admin.get_json(&format!("/v1/users/{ann_id}")).await;
    assert_eq!(user["status"], "disabled", "{user}");
    assert!(!user.to_string().contains("ann@acme"), "{user}");
    assert_eq!(erased["identity_links"], 0, "ann had no directory records: {erased}");
    let bk = db.get_database_backend();

    // A person the directory provisioned (SCIM, in a group) who has signed in through the tenant's
    // identity provider: erasure removes what the directory said about them too.
    let (s, token) = admin.send(Method::POST, "/v1/tenant/scim/tokens", Some(json!({ "name": "Okta" }))).await;
    assert_eq!(s, StatusCode::CREATED, "{token}");
    let scim = |method: Method, path: &str, body: Option<Value>| {
        let mut req = reqwest::Client::new()
            .request(method, app.url(&format!("/scim/v2/acme{path}")))
            .bearer_auth(token["secret"].as_str().unwrap());
        if let Some(body) = body {
            req = req.header("content-type", "application/scim+json").body(body.to_string());
        }
        req.send()
    };
    let resp = scim(
        Method::POST,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "sam@acme.example",
            "externalId": "canarytheta-okta-id",
            "name": { "givenName": "Canaryiota", "familyName": "Sample" },
            "emails": [{ "value": "sam@acme.example", "primary": true }]
        })),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let scim_user: Value = resp.json().await.unwrap();
    let scim_id = scim_user["id"].as_str().unwrap().to_string();
    let resp = scim(
        Method::POST,
        "/Groups",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
            "members": [{ "value": scim_id }]
        })),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let sam_id = admin.get_json("/v1/users?q=sam@acme.example").await["items"][0]["id"].as_str().unwrap().to_string();
    let sql = format!(
        "INSERT INTO sso_identities (id, tenant_id, subject_key, issuer, subject, user_id, created_at)
         SELECT {}, tenant_id, {}, {}, {}, user_id, created_at FROM scim_users WHERE user_id = {}",
        ph(bk, 1),
        ph(bk, 2),
        ph(bk, 3),
        ph(bk, 4),
        ph(bk, 5)
    );
    let values = vec![
        uuid::Uuid::new_v4().into(),
        "0".repeat(64).into(),
        "https://idp.acme.example".into(),
        "canarykappa-subject".into(),
        uuid(&sam_id).into(),
    ];
    assert_eq!(exec(&db, &sql, values).await, 1);

    let (s, erased) = admin.send(Method::POST, &format!("/v1/users/{sam_id}/erase"), None).await;
    assert_eq!(s, StatusCode::OK, "{erased}");
    assert_eq!(erased["identity_links"], 2, "the SSO identity and the SCIM record: {erased}");
    for (table, column, needle) in [
        ("scim_users", "external_id", "canarytheta"),
        ("scim_users", "attributes", "Canaryiota"),
        ("scim_users", "user_name", "sam@acme"),
        ("sso_identities", "subject", "canarykappa"),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE {}", ph(bk, 1));
        assert_eq!(count(&db, &sql, vec![format!("%{needle}%").into()]).await, 0, "{table}.{column}");
    }
    let sql = format!("SELECT COUNT(*) FROM scim_group_members WHERE user_id = {}", ph(bk, 1));
    assert_eq!(count(&db, &sql, vec![uuid(&sam_id).into()]).await, 0, "group memberships");
    let resp = scim(Method::GET, &format!("/Users/{scim_id}"), None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "the directory sees the person gone");
    let resp = scim(Method::GET, "/Groups", None).await.unwrap();
    let groups: Value = resp.json().await.unwrap();
    assert!(!groups.to_string().contains(&scim_id), "{groups}");
}

async fn usage_charts_stay_right_after_usage_events_are_folded_and_purged(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let tenant = admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let user = admin.get_json("/v1/me").await["id"].as_str().unwrap().to_string();
    let db = app.db.connect().await;
    let bk = db.get_database_backend();
    let day = days_ago(200).format("%Y-%m-%d").to_string();
    for (i, outcome) in ["completed", "failed", "completed"].iter().enumerate() {
        let sql = format!(
            "INSERT INTO usage_events (id, tenant_id, user_id, conversation_id, message_id, model, input_tokens, \
             output_tokens, cost, outcome, day, month, created_at, ttft_ms) \
             VALUES ({}, {}, {}, {}, {}, 'gpt-4o', {}, 5, 0.5, {}, {}, {}, {}, {})",
            ph(bk, 1),
            ph(bk, 2),
            ph(bk, 3),
            ph(bk, 4),
            ph(bk, 5),
            ph(bk, 6),
            ph(bk, 7),
            ph(bk, 8),
            ph(bk, 9),
            ph(bk, 10),
            ph(bk, 11)
        );
        exec(
            &db,
            &sql,
            vec![
                uuid::Uuid::now_v7().into(),
                uuid(&tenant).into(),
                uuid(&user).into(),
                uuid::Uuid::now_v7().into(),
                uuid::Uuid::now_v7().into(),
                (10 * (i as i64 + 1)).into(),
                (*outcome).into(),
                day.clone().into(),
                day[..7].to_string().into(),
                days_ago(200).into(),
                (100 * (i as i32 + 1)).into(),
            ],
        )
        .await;
    }
    let path = format!("/v1/tenant/usage?from={day}&to={day}&group_by=day");
    let before = admin.get_json(&path).await;
    let overview_path = "/v1/tenant/overview?days=365";
    let before_overview = admin.get_json(overview_path).await;
    set_policy(&admin, json!({ "usage_days": 30 })).await;
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    assert_eq!(kind(&preview, "usage_events"), 3, "{preview}");
    let run = app.cli(&["retention", "run", "--batch-size", "2"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("usage_events purged: 3"), "{}", run.stdout);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM usage_events", vec![]).await, 0);
    let after = admin.get_json(&path).await;
    assert_eq!(before["rows"], after["rows"], "the chart reads the rollup: {before} vs {after}");
    assert_eq!(after["rows"][0]["turns"], 3, "{after}");
    assert_eq!(after["rows"][0]["input_tokens"], 60, "{after}");
    let after_overview = admin.get_json(overview_path).await;
    assert_eq!(
        before_overview["days"], after_overview["days"],
        "the overview's activity, failures and TTFT are unchanged"
    );
}

/// `confab retention run` as a child process on the app's database, with test knobs.
fn spawn_purge(app: &TestApp, extra: &[(&str, &str)]) -> std::process::Child {
    let mut env = vec![
        ("CONFAB_DATABASE__URL".to_string(), app.db.url.clone()),
        ("CONFAB_LOG__LEVEL".to_string(), "warn".to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    confab_command(&env, &app.db.dir)
        .args(["retention", "run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `n` conversations of the admin, each with a question and an answer, last active 100 days ago.
async fn seed_expired(app: &TestApp, admin: &Api, n: usize) -> DatabaseConnection {
    let me = admin.get_json("/v1/me").await;
    let tenant = uuid(me["active_tenant"]["id"].as_str().unwrap());
    let user = uuid(me["id"].as_str().unwrap());
    let db = app.db.connect().await;
    let bk = db.get_database_backend();
    let p: Vec<String> = (1..=8).map(|i| ph(bk, i)).collect();
    for i in 0..n {
        let conv = uuid::Uuid::now_v7();
        let sql = format!(
            "INSERT INTO conversations (id, tenant_id, owner_id, title, archived, created_at, updated_at) \
             VALUES ({}, {}, {}, {}, false, {}, {})",
            p[0], p[1], p[2], p[3], p[4], p[5]
        );
        exec(
            &db,
            &sql,
            vec![
                conv.into(),
                tenant.into(),
                user.into(),
                format!("seeded {i}").into(),
                days_ago(100).into(),
                days_ago(100).into(),
            ],
        )
        .await;
        for (role, text) in [("user", format!("canarycrash question {i}")), ("assistant", format!("answer {i}"))] {
            let sql = format!(
                "INSERT INTO messages (id, tenant_id, conversation_id, role, status, content, created_at, updated_at) \
                 VALUES ({}, {}, {}, {}, 'completed', {}, {}, {})",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6]
            );
            exec(
                &db,
                &sql,
                vec![
                    uuid::Uuid::now_v7().into(),
                    tenant.into(),
                    conv.into(),
                    role.into(),
                    text.into(),
                    days_ago(100).into(),
                    days_ago(100).into(),
                ],
            )
            .await;
        }
    }
    db
}

async fn orphans(db: &DatabaseConnection) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)",
        vec![],
    )
    .await
}

static PURGE_KILLED: reliability::Check = reliability::Check {
    id: "1.10",
    fault: "kill -9 during a retention purge (between batches)",
    expected: "each batch whole or not at all (no orphan message), every committed batch audited; the next run finishes the rest",
    how: "`tests/api/retention.rs`: `kill -9` after three committed batches of a 24-conversation purge, restart",
};

async fn a_purge_killed_mid_run_completes_on_restart_with_nothing_half_deleted(b: Backend) {
    let _r = reliability::record(&PURGE_KILLED, b);
    let (_upstream, app, admin) = setup(b).await;
    let db = seed_expired(&app, &admin, 24).await;
    set_policy(&admin, json!({ "conversation_days": 30 })).await;
    let knobs = [
        ("CONFAB_RETENTION__BATCH_SIZE", "2"),
        ("CONFAB_RETENTION__BATCH_PAUSE_MS", "300"),
        ("CONFAB_RETENTION__BUSY_SHARE", "1"),
        ("CONFAB_RETENTION__LEASE_SECS", "2"),
    ];
    let mut child = spawn_purge(&app, &knobs);
    // Wait for a few committed batches, then kill -9.
    for _ in 0..200 {
        if audited_purges(&db).await.0 >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = count(&db, "SELECT COUNT(*) FROM conversations", vec![]).await;
    assert!(left > 0 && left < 24, "killed mid-run: {left} conversations left");
    assert_eq!(orphans(&db).await, 0, "no message without its conversation");
    let (_, sums) = audited_purges(&db).await;
    assert_eq!(sums["conversations"] as i64, 24 - left, "every committed batch is audited, nothing else went");
    // Restarted (it waits for the dead run's lease to lapse), it finishes.
    let out = spawn_purge(&app, &knobs).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM conversations", vec![]).await, 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM messages", vec![]).await, 0);
    assert_eq!(traces(&db, "canarycrash").await, 0, "no search document of a purged message");
    assert_eq!(search_hits(&admin, "canarycrash").await, 0);
    let (_, sums) = audited_purges(&db).await;
    assert_eq!(sums["conversations"], 24);
    assert_eq!(sums["messages"], 48);
}

async fn two_replicas_purge_one_at_a_time_without_double_or_missed_work(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let db = seed_expired(&app, &admin, 18).await;
    set_policy(&admin, json!({ "conversation_days": 30 })).await;
    let knobs = [
        ("CONFAB_RETENTION__BATCH_SIZE", "3"),
        ("CONFAB_RETENTION__BATCH_PAUSE_MS", "150"),
        ("CONFAB_RETENTION__BUSY_SHARE", "1"),
        ("CONFAB_RETENTION__LEASE_SECS", "5"),
    ];
    let first = spawn_purge(&app, &knobs);
    let second = spawn_purge(&app, &knobs);
    let outs = [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()];
    let mut purged = Vec::new();
    for out in &outs {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let n: u64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("retention: purged ").and_then(|r| r.split_whitespace().next()))
            .unwrap()
            .parse()
            .unwrap();
        purged.push(n);
    }
    purged.sort();
    // One replica did all of it (18 conversations + 36 messages); the other waited for the lease
    // and found nothing left.
    assert_eq!(purged, vec![0, 54], "{purged:?}");
    let (batches, sums) = audited_purges(&db).await;
    assert_eq!(batches, 6, "18 conversations in batches of 3, each audited once");
    assert_eq!(sums["conversations"], 18);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM conversations", vec![]).await, 0);
    assert_eq!(orphans(&db).await, 0);
}

/// Audit entries older than the audit period go from the start of the tenant's chain, leaving a
/// checkpoint that the chain (and `confab audit verify`) still verifies from; a tenant-wide hold
/// keeps them all.
async fn old_audit_entries_go_behind_a_checkpoint_and_a_tenant_hold_keeps_them(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    for i in 0..4 {
        app.create_user(&admin, &format!("old{i}@acme.example"), "member").await;
    }
    set_policy(&admin, json!({ "audit_days": 30 })).await;
    let db = app.db.connect().await;
    let bk = db.get_database_backend();
    let me = admin.get_json("/v1/me").await;
    let tenant = uuid(me["active_tenant"]["id"].as_str().unwrap());
    // The tenant's first entries (sign-in, the four users' creation) happened 400 days ago. Their
    // stored hashes stay as they are: the purge checkpoint commits to them, not to the dates.
    let oldest: Vec<i64> = db
        .query_all_raw(Statement::from_sql_and_values(
            bk,
            format!("SELECT chain_seq FROM audit_log WHERE tenant_id = {} AND chain_seq IS NOT NULL ORDER BY chain_seq LIMIT 5", ph(bk, 1)),
            [tenant.into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64>("", "chain_seq").unwrap())
        .collect();
    assert_eq!(oldest.len(), 5);
    let last_old = *oldest.last().unwrap();
    let sql = format!(
        "UPDATE audit_log SET created_at = {} WHERE tenant_id = {} AND chain_seq <= {}",
        ph(bk, 1),
        ph(bk, 2),
        ph(bk, 3)
    );
    exec(&db, &sql, vec![days_ago(400).into(), tenant.into(), last_old.into()]).await;

    // A tenant-wide hold: nothing to purge.
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "tenant", "case_name": "Audit", "reason": "keep" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    assert_eq!(kind(&admin.get_json("/v1/tenant/retention/preview").await, "audit_entries"), 0);
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before_release = count(&db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'audit.purged'", vec![]).await;
    assert_eq!(before_release, 0);
    let hold_id = hold["id"].as_str().unwrap();
    let (s, _) = admin.send(Method::POST, &format!("/v1/tenant/legal-holds/{hold_id}/release"), None).await;
    assert_eq!(s, StatusCode::OK);

    assert_eq!(kind(&admin.get_json("/v1/tenant/retention/preview").await, "audit_entries"), 5);
    let run = app.cli(&["retention", "run", "--batch-size", "2"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sql =
        format!("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = {} AND chain_seq <= {}", ph(bk, 1), ph(bk, 2));
    assert_eq!(count(&db, &sql, vec![tenant.into(), last_old.into()]).await, 0, "the old prefix is gone");
    let checkpoints = count(&db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'audit.purged'", vec![]).await;
    assert_eq!(checkpoints, 3, "batches of 2, 2 and 1, one checkpoint each");
    assert_eq!(kind(&admin.get_json("/v1/tenant/retention/preview").await, "audit_entries"), 0);
    // What stays still verifies, in the database and from the API.
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(admin.get_json("/v1/audit/verify").await["ok"], true);
}

both_backends!(
    policy_bounds_and_bad_input_give_4xx_and_change_nothing,
    a_canary_past_retention_goes_from_every_sql_store_and_a_held_one_survives_until_released,
    a_deleted_conversation_goes_after_the_grace_period_and_its_snapshots_keep_their_own,
    erasure_leaves_no_trace_of_the_user_except_what_a_hold_keeps,
    usage_charts_stay_right_after_usage_events_are_folded_and_purged,
    a_purge_killed_mid_run_completes_on_restart_with_nothing_half_deleted,
    two_replicas_purge_one_at_a_time_without_double_or_missed_work,
    old_audit_entries_go_behind_a_checkpoint_and_a_tenant_hold_keeps_them,
);

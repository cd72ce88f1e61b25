//! A user's own data export (`GET /v1/me/export`) and the master key rotation
//! (`confab secrets rotate-master-key`).
use confab_tests::upstream::ScriptedUpstream;
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Read;

/// Sends `content` and waits for the answer; returns (user message id, assistant message id).
async fn turn(api: &Api, conv: &str, key: &str, content: &str) -> (String, String) {
    let (s, t) = api
        .post_idem(&format!("/v1/conversations/{conv}/messages"), key, json!({ "content": content, "model": "gpt-4o" }))
        .await;
    assert_eq!(s, 202, "{t}");
    let assistant = t["assistant_message"]["id"].as_str().unwrap().to_string();
    let done = api.wait_final(&assistant).await;
    assert_eq!(done["status"], "completed", "{done}");
    (t["user_message"]["id"].as_str().unwrap().to_string(), assistant)
}

/// The archive's files, decompressed, by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid zip archive");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(file.name().to_string(), text);
    }
    files
}

pub(crate) async fn export(api: &Api) -> BTreeMap<String, String> {
    let resp = api.get("/v1/me/export").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment") && disposition.contains(".zip"), "{disposition}");
    unzip(&resp.bytes().await.unwrap())
}

async fn my_export_holds_exactly_my_data(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    let alice_id = app.create_user(&admin, "alice@acme.example", "member").await;
    app.create_user(&admin, "bob@acme.example", "member").await;
    let alice = app.login("alice@acme.example", PASSWORD).await;
    let bob = app.login("bob@acme.example", PASSWORD).await;

    // Alice: two conversations, one with an edited question (two branches), a preset with two
    // versions, a share and an API token.
    let c1 = alice.conversation().await;
    turn(&alice, &c1, "a1", "ALICE-C1-Q1 first question").await;
    let (u2, _) = turn(&alice, &c1, "a2", "ALICE-C1-Q2 second question").await;
    let (s, edited) = alice
        .post_idem(&format!("/v1/messages/{u2}/edit"), "a3", json!({ "content": "ALICE-C1-EDIT rephrased" }))
        .await;
    assert_eq!(s, 202, "{edited}");
    alice.wait_final(edited["assistant_message"]["id"].as_str().unwrap()).await;
    let c2 = alice.conversation().await;
    turn(&alice, &c2, "a4", "ALICE-C2-Q1 another topic").await;
    let (s, preset) = alice
        .send(Method::POST, "/v1/presets", Some(json!({ "name": "Mine", "system_prompt": "ALICE-PROMPT-V1" })))
        .await;
    assert_eq!(s, 201, "{preset}");
    let preset_id = preset["id"].as_str().unwrap();
    let (s, _) = alice
        .send(
            Method::PUT,
            &format!("/v1/presets/{preset_id}"),
            Some(json!({ "name": "Mine", "system_prompt": "ALICE-PROMPT-V2" })),
        )
        .await;
    assert_eq!(s, 200);
    let (s, share) = alice
        .send(Method::POST, &format!("/v1/conversations/{c1}/shares"), Some(json!({ "visibility": "tenant" })))
        .await;
    assert_eq!(s, 201, "{share}");
    let (token_secret, _) = alice.create_token(json!({ "name": "alice-laptop" })).await;

    // Bob, in the same tenant: his own content, and a conversation he shares with Alice.
    let bc = bob.conversation().await;
    turn(&bob, &bc, "b1", "BOB-CANARY private question").await;
    let (s, _) = bob
        .send(
            Method::POST,
            &format!("/v1/conversations/{bc}/shares"),
            Some(json!({ "visibility": "users", "user_ids": [alice_id] })),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) =
        bob.send(Method::POST, "/v1/presets", Some(json!({ "name": "Bob's", "system_prompt": "BOB-PRESET" }))).await;
    assert_eq!(s, 201);

    // Another tenant: its own admin's content, and Alice's own content there.
    let (globex, globex_admin) = app.second_tenant("globex").await;
    let gc = globex_admin.conversation().await;
    turn(&globex_admin, &gc, "g1", "GLOBEX-ADMIN-CANARY").await;
    let out = app.cli(&["admin", "create-user", "--tenant", "globex", "--email", "alice@acme.example"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let alice_globex = app.login("alice@acme.example", PASSWORD).await;
    let (s, body) = alice_globex.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": globex }))).await;
    assert_eq!(s, 200, "{body}");
    let ac = alice_globex.conversation().await;
    turn(&alice_globex, &ac, "ag1", "ALICE-GLOBEX-CANARY").await;

    let files = export(&alice).await;
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    for expected in ["README.txt", "index.json", "presets.json", "shares.json", "api_tokens.json", "usage.jsonl"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let conversations: Vec<Value> = files
        .iter()
        .filter(|(name, _)| name.starts_with("conversations/"))
        .map(|(_, text)| serde_json::from_str(text).unwrap())
        .collect();
    assert_eq!(conversations.len(), 2, "{names:?}");
    let first = conversations.iter().find(|c| c["id"] == c1.as_str()).expect("the first conversation");
    let messages = first["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 6, "two exchanges and an edited one: {first}");
    let contents: Vec<&str> = messages.iter().map(|m| m["content"].as_str().unwrap()).collect();
    for canary in ["ALICE-C1-Q1", "ALICE-C1-Q2", "ALICE-C1-EDIT"] {
        assert!(contents.iter().any(|c| c.contains(canary)), "{canary} in {contents:?}");
    }
    for m in messages {
        for field in ["id", "role", "status", "created_at", "updated_at"] {
            assert!(!m[field].is_null(), "{field} in {m}");
        }
        assert!(m.get("parent_id").is_some() && m.get("model").is_some(), "{m}");
    }
    assert!(messages.iter().any(|m| m["role"] == "assistant" && m["model"] == "gpt-4o"), "{first}");
    assert_eq!(first["branches"].as_array().unwrap().len(), 2, "the original and the edited branch");
    assert!(conversations.iter().any(|c| c["messages"].to_string().contains("ALICE-C2-Q1")));

    let index: Value = serde_json::from_str(&files["index.json"]).unwrap();
    assert_eq!(index["user"]["id"], alice_id.as_str());
    assert_eq!(index["counts"]["conversations"], 2);
    assert_eq!(index["counts"]["messages"], 8);
    assert_eq!(index["conversations"].as_array().unwrap().len(), 2);
    for listed in index["conversations"].as_array().unwrap() {
        assert!(files.contains_key(listed["file"].as_str().unwrap()), "{listed}");
    }
    let presets: Value = serde_json::from_str(&files["presets.json"]).unwrap();
    assert_eq!(presets.as_array().unwrap().len(), 1, "only Alice's own preset: {presets}");
    let versions = presets[0]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["system_prompt"], "ALICE-PROMPT-V1");
    assert_eq!(versions[1]["system_prompt"], "ALICE-PROMPT-V2");
    let shares: Value = serde_json::from_str(&files["shares.json"]).unwrap();
    assert_eq!(shares.as_array().unwrap().len(), 1, "only the share Alice created: {shares}");
    assert_eq!(shares[0]["id"], share["id"]);
    assert!(shares[0]["messages"].to_string().contains("ALICE-C1-Q1"));
    let tokens: Value = serde_json::from_str(&files["api_tokens.json"]).unwrap();
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert_eq!(tokens[0]["name"], "alice-laptop");
    let usage: Vec<Value> = files["usage.jsonl"].lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(usage.len(), 4, "one record per answer: {usage:?}");
    assert!(usage.iter().all(|u| u["conversation_id"] == c1.as_str() || u["conversation_id"] == c2.as_str()));

    // Nothing of anyone else's, nothing from the other tenant, no secret.
    let everything: String = files.values().cloned().collect();
    for absent in ["BOB-CANARY", "BOB-PRESET", "GLOBEX-ADMIN-CANARY", "ALICE-GLOBEX-CANARY", token_secret.as_str()] {
        assert!(!everything.contains(absent), "{absent} leaked into Alice's export");
    }
    assert!(!everything.contains("bob@acme.example"));

    // In the other tenant, Alice's export is that tenant's content only.
    let there = export(&alice_globex).await;
    let everything: String = there.values().cloned().collect();
    assert!(everything.contains("ALICE-GLOBEX-CANARY"));
    for absent in ["ALICE-C1-Q1", "ALICE-PROMPT-V1", "GLOBEX-ADMIN-CANARY", "BOB-CANARY"] {
        assert!(!everything.contains(absent), "{absent} leaked into Alice's globex export");
    }

    // Recorded, with counts and no content.
    let entries = admin.get_json("/v1/audit?action=user.data_exported").await;
    let items = entries["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{entries}");
    assert_eq!(items[0]["actor_user_id"], alice_id.as_str());
    assert_eq!(items[0]["details"]["complete"], true);
    assert_eq!(items[0]["details"]["counts"]["conversations"], 2);
    assert!(!items[0].to_string().contains("ALICE-C1"));
}

async fn an_export_needs_a_signed_in_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (status, body) = app.anonymous().send(Method::GET, "/v1/me/export", None).await;
    assert_eq!(error_code(status, &body, 401), "unauthenticated");
    let bad = app.with_token("cfb_not-a-real-token");
    let (status, body) = bad.send(Method::GET, "/v1/me/export", None).await;
    assert_eq!(error_code(status, &body, 401), "unauthenticated");
    // A user with nothing gets a valid, empty archive.
    let admin = app.admin().await;
    let files = export(&admin).await;
    let index: Value = serde_json::from_str(&files["index.json"]).unwrap();
    assert_eq!(index["counts"]["conversations"], 0);
    assert_eq!(files["presets.json"].trim(), "[\n]");
}

const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const KEY_C: &str = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
const TENANT_KEY: &str = "sk-rotation-tenant-secret";

/// The stored ciphertexts, by table.
async fn sealed(app: &TestApp) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let db = app.db.connect().await;
    let mut out = Vec::new();
    for sql in [
        "SELECT ciphertext AS s FROM provider_keys ORDER BY id",
        "SELECT token_sealed AS s FROM shares WHERE token_sealed IS NOT NULL ORDER BY id",
    ] {
        for row in db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap() {
            out.push(row.try_get::<String>("", "s").unwrap());
        }
    }
    out
}

/// The key id the CLI announces for the configured current key.
fn key_id(out: &CliOutput) -> String {
    let line = out.stdout.lines().find(|l| l.starts_with("master key ")).unwrap_or_else(|| panic!("{}", out.stdout));
    line.split_whitespace().nth(2).unwrap().to_string()
}

/// A turn on the tenant's own provider key; returns the key the upstream received.
async fn key_received(api: &Api, upstream: &ScriptedUpstream, key: &str) -> Option<String> {
    let conv = api.conversation().await;
    turn(api, &conv, key, "hello").await;
    upstream.requests().last().unwrap().header("authorization").map(str::to_string)
}

fn restart(app: TestApp, keys: &[(&str, &str)]) -> TestApp {
    let (db, mut opts) = app.kill();
    opts.env.retain(|(k, _)| !k.starts_with("CONFAB_SECRETS__"));
    opts.env.extend(keys.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    TestApp::start(db, opts)
}

async fn rotating_the_master_key_reseals_every_secret(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app =
        TestApp::spawn_with(b, Options::default().upstream(&upstream).env("CONFAB_SECRETS__MASTER_KEY", KEY_A)).await;
    let admin = app.admin().await;
    let (s, _) = admin.send(Method::PUT, "/v1/providers/openai/key", Some(json!({ "api_key": TENANT_KEY }))).await;
    assert_eq!(s, 204);
    let (s, _) = admin.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(s, 200);
    let conv = admin.conversation().await;
    turn(&admin, &conv, "s1", "to share").await;
    let mut links = Vec::new();
    for _ in 0..3 {
        let (s, share) = admin
            .send(Method::POST, &format!("/v1/conversations/{conv}/shares"), Some(json!({ "visibility": "link" })))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{share}");
        links.push((share["id"].as_str().unwrap().to_string(), share["link"]["token"].as_str().unwrap().to_string()));
    }
    // One share link sealed before ciphertexts named their key: still readable, and rotated too.
    {
        use sea_orm::ConnectionTrait;
        let marked = sealed(&app).await[1].clone();
        let db = app.db.connect().await;
        let sql = format!("UPDATE shares SET token_sealed = substr(token_sealed, 17) WHERE token_sealed = '{marked}'");
        let done = db.execute_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        assert_eq!(done.rows_affected(), 1);
        assert!(!sealed(&app).await[1].contains(':'), "now in the older, unmarked form");
    }
    let before = sealed(&app).await;
    assert_eq!(before.len(), 4);
    assert!(before.iter().all(|s| !s.contains(TENANT_KEY)));

    let rolling = [("CONFAB_SECRETS__MASTER_KEY", KEY_B), ("CONFAB_SECRETS__PREVIOUS_MASTER_KEYS", KEY_A)];
    let only_b = [("CONFAB_SECRETS__MASTER_KEY", KEY_B)];
    let (db_url, db_dir) = (app.db.url.clone(), app.db.dir.clone());
    let cli = |keys: &[(&str, &str)], args: &[&str]| {
        let mut env = vec![("CONFAB_DATABASE__URL".to_string(), db_url.clone())];
        env.extend(keys.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut all = vec!["secrets", "rotate-master-key"];
        all.extend_from_slice(args);
        run_cli(&env, &db_dir, &all, None)
    };

    // Wrong or missing keys: a clear error, nothing changed.
    let out = cli(&[], &[]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("secrets.master_key is not set"), "{}", out.stderr);
    let out = cli(&[("CONFAB_SECRETS__MASTER_KEY", KEY_C)], &[]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stderr.contains("not configured") || out.stderr.contains("any configured master key"),
        "{}",
        out.stderr
    );
    let out = cli(&[("CONFAB_SECRETS__MASTER_KEY", KEY_B), ("CONFAB_SECRETS__PREVIOUS_MASTER_KEYS", "c2hvcnQ=")], &[]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("secrets.previous_master_keys"), "{}", out.stderr);
    assert_eq!(sealed(&app).await, before, "a refused rotation changes nothing");

    // Roll-out: the server runs with B current and A previous; everything still works.
    let app = restart(app, &rolling);
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(key_received(&admin, &upstream, "r1").await.as_deref(), Some(&*format!("Bearer {TENANT_KEY}")));
    for (id, token) in &links {
        assert_eq!(admin.get_json(&format!("/v1/shares/{id}")).await["link"]["token"], token.as_str());
    }

    // An interrupted rotation (here: stopped after one row) leaves a readable mix, then resumes.
    let dry = cli(&rolling, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("provider keys: 1 to re-seal") && dry.stdout.contains("share links: 3 to re-seal"));
    let b_id = key_id(&dry);
    let out = cli(&rolling, &["--max-rows", "2", "--batch-size", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("paused"), "{}", out.stdout);
    let mid = sealed(&app).await;
    assert_eq!(mid.iter().filter(|s| s.starts_with(&format!("v1:{b_id}:"))).count(), 2, "{mid:?}");
    assert_eq!(key_received(&admin, &upstream, "r2").await.as_deref(), Some(&*format!("Bearer {TENANT_KEY}")));
    for (id, token) in &links {
        assert_eq!(admin.get_json(&format!("/v1/shares/{id}")).await["link"]["token"], token.as_str());
    }
    let out = cli(&rolling, &["--batch-size", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("rotation complete"), "{}", out.stdout);
    let after = sealed(&app).await;
    assert!(after.iter().all(|s| s.starts_with(&format!("v1:{b_id}:"))), "{after:?}");
    assert!(after.iter().all(|s| !s.contains(TENANT_KEY)));

    // Twice is a no-op: nothing rewritten, nothing more audited.
    let audited = admin.get_json("/v1/platform/audit?action=secrets.resealed").await["items"].as_array().unwrap().len();
    assert_eq!(audited, 3, "one entry per batch: 1+1 rows, then 2");
    let out = cli(&rolling, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("nothing to re-seal"), "{}", out.stdout);
    assert_eq!(sealed(&app).await, after);
    let entries = admin.get_json("/v1/platform/audit?action=secrets.resealed").await;
    assert_eq!(entries["items"].as_array().unwrap().len(), audited);
    assert!(!entries.to_string().contains(TENANT_KEY));
    assert_eq!(entries["items"][0]["details"]["key_id"], b_id.as_str());

    // The old key removed: everything opens under B alone.
    let app = restart(app, &only_b);
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(key_received(&admin, &upstream, "r3").await.as_deref(), Some(&*format!("Bearer {TENANT_KEY}")));
    for (id, token) in &links {
        assert_eq!(admin.get_json(&format!("/v1/shares/{id}")).await["link"]["token"], token.as_str());
    }
    // A server started with only the old key cannot open them, and says so instead of using
    // anything else: the turn fails and nothing reaches the upstream.
    let app = restart(app, &[("CONFAB_SECRETS__MASTER_KEY", KEY_A)]);
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let calls = upstream.calls();
    let conv = admin.conversation().await;
    let (s, t) = admin
        .post_idem(&format!("/v1/conversations/{conv}/messages"), "r4", json!({ "content": "hi", "model": "gpt-4o" }))
        .await;
    if s == 202 {
        let done = admin.wait_final(t["assistant_message"]["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "failed", "{done}");
    } else {
        assert_eq!(s, 503, "{t}");
    }
    assert_eq!(upstream.calls(), calls, "no call with a wrong key");
    assert!(!app.server_log().contains(TENANT_KEY));
}

/// Runs one export request to the end (headers and body) within 30 s: (status, Retry-After, body).
async fn export_within_deadline(api: &Api) -> (StatusCode, Option<String>, Vec<u8>) {
    let deadline = std::time::Duration::from_secs(30);
    let resp = tokio::time::timeout(deadline, api.get("/v1/me/export")).await.expect("an export request hung");
    let status = resp.status();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let body = tokio::time::timeout(deadline, resp.bytes()).await.expect("an export body hung").unwrap();
    (status, retry, body.to_vec())
}

async fn exports_beyond_the_replica_limit_are_refused_with_429_never_left_hanging(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    let mut users = Vec::new();
    for i in 0..8 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
        let api = app.login(&format!("user{i}@acme.example"), PASSWORD).await;
        let conv = api.conversation().await;
        turn(&api, &conv, &format!("k{i}"), &format!("USER{i} question")).await;
        users.push(api);
    }
    // Bursts of eight users at once, more than a replica runs (two): every request ends, each an
    // archive or the documented 429; the limit shows in at least one burst.
    let mut refused_total = 0;
    for _ in 0..5 {
        let results = futures::future::join_all(users.iter().map(export_within_deadline)).await;
        let mut archives = 0;
        for (status, retry, body) in &results {
            if *status == StatusCode::OK {
                let files = unzip(body);
                assert!(files.contains_key("index.json"), "{:?}", files.keys());
                archives += 1;
            } else {
                let body: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(error_code(*status, &body, 429), "rate_limited", "{body}");
                assert_eq!(retry.as_deref(), Some("30"), "{body}");
                refused_total += 1;
            }
        }
        assert!(archives >= 1, "at least the first export of a burst runs");
        if refused_total > 0 {
            break;
        }
    }
    assert!(refused_total > 0, "eight exports at once never met the per-replica limit");
    // One user's second export while the first runs is refused as well.
    let (a, b2) = futures::join!(export_within_deadline(&users[0]), export_within_deadline(&users[0]));
    assert!(a.0 == StatusCode::OK || b2.0 == StatusCode::OK, "one of them runs");
    // Nothing leaked: once the bursts are over, everyone's export runs again.
    for api in &users {
        let (status, _, body) = export_within_deadline(api).await;
        assert_eq!(status, StatusCode::OK);
        assert!(unzip(&body).contains_key("index.json"));
    }
}

both_backends!(
    exports_beyond_the_replica_limit_are_refused_with_429_never_left_hanging,
    my_export_holds_exactly_my_data,
    an_export_needs_a_signed_in_user,
    rotating_the_master_key_reseals_every_secret,
);

/// More entries than the classic zip format can count (65,535): the export's streaming writer adds
/// the ZIP64 records, and an independent reader (the `zip` crate) finds every entry and its bytes.
#[test]
fn an_archive_of_more_than_65535_entries_is_zip64_and_reads_back() {
    use confab_core::personal::zip::ZipStream;
    let entries = 70_000;
    let mut writer = ZipStream::new(chrono::Utc::now());
    let mut bytes = Vec::new();
    for i in 0..entries {
        bytes.extend(writer.entry(&format!("conversations/{i}.json"), format!("{{\"n\":{i}}}").as_bytes()).unwrap());
    }
    bytes.extend(writer.finish().unwrap());
    let zip64_end = 0x0606_4b50u32.to_le_bytes();
    let tail = &bytes[bytes.len().saturating_sub(200)..];
    assert!(tail.windows(4).any(|w| w == zip64_end), "the archive ends with a ZIP64 end-of-directory record");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an independent reader opens it");
    assert_eq!(archive.len(), entries);
    for i in [0, 65_534, 65_535, 65_536, entries - 1] {
        let mut text = String::new();
        archive.by_name(&format!("conversations/{i}.json")).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, format!("{{\"n\":{i}}}"));
    }
}

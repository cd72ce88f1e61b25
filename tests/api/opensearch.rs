//! History search on OpenSearch (PostgreSQL + a real OpenSearch node): tenant and owner isolation,
//! highlights, deletes, cursor pages, an outage that chat survives and the index recovers from
//! without a gap, a resumable rebuild from SQL, several replicas draining one outbox, and what
//! `config check` and `/readyz` report.
use confab_tests::faults::{Fault, FaultProxy};
use confab_tests::opensearch::{self as os, Node};
use confab_tests::reliability::{Check, record, record_variant};
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

struct Setup {
    _upstream: ScriptedUpstream,
    app: TestApp,
    admin: Api,
    url: String,
    prefix: String,
}

async fn setup_on(url: &str) -> Setup {
    setup_with(Backend::Postgres, url).await
}

async fn setup_with(backend: Backend, url: &str) -> Setup {
    let upstream = ScriptedUpstream::start().await;
    let prefix = os::random_prefix();
    let opts = os::options(Options::default().upstream(&upstream), url, &prefix);
    let app = TestApp::spawn_with(backend, opts).await;
    let admin = app.admin().await;
    Setup { _upstream: upstream, app, admin, url: url.to_string(), prefix }
}

async fn setup() -> Setup {
    setup_on(&os::shared_url()).await
}

impl Setup {
    async fn indexed(&self) {
        os::wait_indexed(&self.app, &self.url, &self.prefix).await;
    }
}

async fn search_raw(api: &Api, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = api.request(Method::GET, "/v1/search").query(params).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn search(api: &Api, q: &str) -> Vec<Value> {
    let (s, body) = search_raw(api, &[("q", q), ("limit", "100")]).await;
    assert_eq!(s, StatusCode::OK, "search {q:?}: {body}");
    assert!(body["next_cursor"].is_null(), "everything fits one page: {body}");
    body["items"].as_array().unwrap().clone()
}

async fn titled_conversation(api: &Api, title: &str) -> String {
    let (s, body) = api.send(Method::POST, "/v1/conversations", Some(json!({ "title": title }))).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Sends `content` and waits for the answer; returns (user message id, assistant message id).
async fn turn(api: &Api, conv: &str, content: &str) -> (String, String) {
    let key = uuid::Uuid::new_v4().to_string();
    let (s, body) = api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            &key,
            json!({ "content": content, "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    let assistant = body["assistant_message"]["id"].as_str().unwrap().to_string();
    let done = api.wait_final(&assistant).await;
    assert_eq!(done["status"], "completed", "{done}");
    (body["user_message"]["id"].as_str().unwrap().to_string(), assistant)
}

/// How many hits each page holds when walking `q`'s results one by one. Hits the SQL check hides
/// (another owner's, another tenant's) would show up as empty pages.
async fn pages_of_one(api: &Api, q: &str) -> Vec<usize> {
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let mut params = vec![("q", q.to_string()), ("limit", "1".to_string())];
        if let Some(c) = &cursor {
            params.push(("cursor", c.clone()));
        }
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, body) = search_raw(api, &params).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        pages.push(body["items"].as_array().unwrap().len());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(pages.len() < 12, "pagination does not end: {pages:?}");
    }
    pages
}

fn rendered(hit: &Value) -> String {
    hit["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = s["text"].as_str().unwrap();
            if s["highlight"].as_bool().unwrap() { format!("[{text}]") } else { text.to_string() }
        })
        .collect()
}

fn conversations_of(hits: &[Value]) -> HashSet<String> {
    hits.iter().map(|h| h["conversation_id"].as_str().unwrap().to_string()).collect()
}

fn key(hit: &Value) -> String {
    hit["message_id"].as_str().or(hit["conversation_id"].as_str()).unwrap().to_string()
}

#[tokio::test]
async fn each_tenant_and_user_finds_only_their_own_canary_with_highlights() {
    let s = setup().await;
    let (app, admin) = (&s.app, &s.admin);
    let canary = "quetzalcanary";
    app.create_user(admin, "bob@acme.example", "member").await;
    app.create_user(admin, "carol@acme.example", "member").await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let (_, globex) = app.second_tenant("globex").await;
    let (_, initech) = app.second_tenant("initech").await;

    let mut owned = Vec::new();
    for api in [admin, &bob, &globex] {
        let conv = api.conversation().await;
        let (question, answer) = turn(api, &conv, &format!("[upstream text={canary}] about the {canary}")).await;
        owned.push((api, conv, question, answer));
    }
    s.indexed().await;
    for (api, conv, question, answer) in &owned {
        let hits = search(api, canary).await;
        assert_eq!(conversations_of(&hits), HashSet::from([conv.clone()]), "only my own conversation: {hits:?}");
        let ids: HashSet<&str> = hits.iter().filter_map(|h| h["message_id"].as_str()).collect();
        assert_eq!(ids, HashSet::from([question.as_str(), answer.as_str()]));
        let title = hits.iter().find(|h| h["message_id"].is_null()).expect("and its title");
        assert_eq!(title["conversation_id"], conv.as_str());
        assert!(title["role"].is_null());
        let q = hits.iter().find(|h| h["message_id"] == question.as_str()).unwrap();
        assert_eq!(q["role"], "user");
        assert_eq!(q["conversation_archived"], false);
        assert!(q["created_at"].as_str().is_some_and(|t| t.starts_with("20")), "{q}");
        assert!(rendered(q).contains(&format!("the [{canary}]")), "highlighted in context: {}", rendered(q));
        let a = hits.iter().find(|h| h["message_id"] == answer.as_str()).unwrap();
        assert_eq!(a["role"], "assistant");
        assert!(hits.iter().all(|h| rendered(h).to_lowercase().contains(&format!("[{canary}]"))), "{hits:?}");
        // The filter is OpenSearch's own, not only the SQL check of each page: walking pages of
        // one gives exactly my three hits, none empty (other owners' documents never rank in).
        let pages = pages_of_one(api, canary).await;
        assert_eq!(pages, [1, 1, 1], "pages of one: {pages:?}");
        // A prefix of the last word finds the same, and every word must match.
        assert_eq!(search(api, "quetzalcan").await.len(), 3);
        assert!(search(api, &format!("{canary} penguin")).await.is_empty());
    }
    assert!(search(&carol, canary).await.is_empty(), "a colleague with no such conversation sees nothing");
    assert!(search(&initech, canary).await.is_empty(), "a tenant with no such conversation sees nothing");
    // One person in two tenants: in Globex, the admin's Acme canary is not even ranked.
    let out = app.cli(&["admin", "set-role", "--tenant", "globex", "--email", ADMIN_EMAIL, "--role", "member"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let me = app.admin().await;
    let globex_id = globex.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let (st, body) = me.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": globex_id }))).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(pages_of_one(&me, canary).await, [0], "one empty page: nothing of Acme is ranked in Globex");
    // The documents are in the index: isolation is the query's doing, not an empty index.
    assert!(os::count(&s.url, &s.prefix).await.unwrap() >= 9);

    let ready = app.anonymous().get_json("/readyz").await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["checks"]["search"]["backend"], "opensearch", "{ready}");
    assert_eq!(ready["checks"]["search"]["status"], "ok", "{ready}");
    assert_eq!(ready["checks"]["search"]["outbox_backlog"], 0, "{ready}");
}

#[tokio::test]
async fn renames_and_deleted_conversations_leave_the_results() {
    renames_and_deletes(Backend::Postgres).await;
}

/// The embedded database can feed OpenSearch too (its triggers and indexer differ).
#[tokio::test]
async fn renames_and_deleted_conversations_leave_the_results_on_sqlite() {
    renames_and_deletes(Backend::Sqlite).await;
}

async fn renames_and_deletes(backend: Backend) {
    let s = setup_with(backend, &os::shared_url()).await;
    let admin = &s.admin;
    let doomed = titled_conversation(admin, "Alphaoldtitle notes").await;
    let (doomed_q, doomed_a) = turn(admin, &doomed, "[upstream text=nebula] quasar nebula").await;
    let kept = titled_conversation(admin, "Kept").await;
    let (kept_question, _) = turn(admin, &kept, "quasar pulsar").await;
    s.indexed().await;
    assert_eq!(search(admin, "alphaoldtitle").await.len(), 1);
    assert_eq!(search(admin, "nebula").await.len(), 2);

    let (st, body) = admin
        .send(Method::PATCH, &format!("/v1/conversations/{doomed}"), Some(json!({ "title": "Betanewtitle notes" })))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    s.indexed().await;
    assert!(search(admin, "alphaoldtitle").await.is_empty(), "the old title is gone");
    let hits = search(admin, "betanewtitle").await;
    assert_eq!(hits.len(), 1);
    assert_eq!(rendered(&hits[0]), "[Betanewtitle] notes");
    assert_eq!(search(admin, "nebula").await[0]["conversation_title"], "Betanewtitle notes");

    let docs_before = os::count(&s.url, &s.prefix).await.unwrap();
    let (st, _) = admin.send(Method::DELETE, &format!("/v1/conversations/{doomed}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    s.indexed().await;
    assert!(search(admin, "betanewtitle").await.is_empty());
    assert!(search(admin, "nebula").await.is_empty());
    let hits = search(admin, "quasar").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["message_id"], kept_question.as_str());
    // Gone from the index itself, not only hidden by the SQL check: the title and both messages.
    assert_eq!(os::count(&s.url, &s.prefix).await.unwrap(), docs_before - 3);
    for id in [&doomed, &doomed_q, &doomed_a] {
        let resp = reqwest::Client::new()
            .get(format!("{}/{}/_doc/{id}?routing=x", s.url, os::index_name(&s.prefix)))
            .send()
            .await
            .unwrap();
        // Routing is the tenant; whatever the shard, a get by id on a one-shard index finds it.
        assert_eq!(resp.status().as_u16(), 404, "{id} is still indexed");
    }
}

#[tokio::test]
async fn cursor_pages_walk_every_match_once() {
    let s = setup().await;
    let admin = &s.admin;
    let mut expected = HashSet::new();
    for i in 0..5 {
        expected.insert(titled_conversation(admin, &format!("pagetoken item {i}")).await);
    }
    expected.insert(titled_conversation(admin, "pagetoken pagetoken twice").await);
    expected.insert(titled_conversation(admin, "a much longer title that mentions pagetoken once only").await);
    let conv = titled_conversation(admin, "Other").await;
    let (question, answer) = turn(admin, &conv, "[upstream text=pagetoken tokens=2] pagetoken in a message").await;
    expected.extend([question, answer]);
    titled_conversation(admin, "no match here").await;
    s.indexed().await;

    let all = search(admin, "pagetoken").await;
    let all_keys: Vec<String> = all.iter().map(key).collect();
    assert_eq!(all_keys.iter().cloned().collect::<HashSet<_>>(), expected);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![("q", "pagetoken".to_string()), ("limit", "3".to_string())];
        if let Some(c) = &cursor {
            params.push(("cursor", c.clone()));
        }
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, body) = search_raw(admin, &params).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap();
        pages += 1;
        seen.extend(items.iter().map(key));
        match body["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), 3, "only full pages have a next page");
                cursor = Some(next.to_string());
            }
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3, "9 matches in pages of 3");
    assert_eq!(seen, all_keys, "the pages, in order, are the whole list: no gaps, no duplicates");

    // A forged cursor is refused, not passed to OpenSearch.
    let (st, body) = search_raw(admin, &[("q", "pagetoken"), ("cursor", "zz.not-a-cursor")]).await;
    assert_eq!(st.as_u16() / 100, 4, "{body}");
}

#[tokio::test]
async fn an_outage_keeps_chat_working_and_the_index_catches_up_without_a_gap() {
    let mut node = Node::start().await;
    let s = setup_on(&node.url()).await;
    let admin = &s.admin;
    let conv = titled_conversation(admin, "Before the outage").await;
    let (before, _) = turn(admin, &conv, "prelude aardvark").await;
    s.indexed().await;
    assert_eq!(search(admin, "aardvark").await.len(), 1);

    node.stop();
    // Chat goes on: turns complete, conversations are created, renamed and deleted.
    let mut written = Vec::new();
    for i in 0..6 {
        let conv = titled_conversation(admin, &format!("Outage log {i}")).await;
        let (q, a) = turn(admin, &conv, &format!("[upstream text=lemur{i}] darkstar entry {i}")).await;
        written.push((conv, q, a));
    }
    let (gone, ..) = written.pop().unwrap();
    let (st, _) = admin.send(Method::DELETE, &format!("/v1/conversations/{gone}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, body) = admin
        .send(Method::PATCH, &format!("/v1/conversations/{conv}"), Some(json!({ "title": "Renamed blackout" })))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");

    // Search says it is unavailable, in the documented error shape.
    let (st, body) = search_raw(admin, &[("q", "darkstar")]).await;
    assert_eq!(error_code(st, &body, 503), "unavailable", "{body}");
    assert!(body["error"]["request_id"].as_str().is_some_and(|r| !r.is_empty()), "{body}");
    // The replica stays ready (chat works), reports the outage and the waiting changes.
    let ready = s.app.anonymous().get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert_eq!(ready["checks"]["search"]["status"], "unreachable", "{ready}");
    let backlog = ready["checks"]["search"]["outbox_backlog"].as_i64().unwrap();
    assert!(backlog >= 5 * 3, "every change waits in the outbox: {ready}");
    assert_eq!(os::backlog(&s.app.db).await, backlog, "nothing was drained while the node was down");

    node.restart().await;
    s.indexed().await;
    let hits = search(admin, "darkstar").await;
    let found: HashSet<String> = hits.iter().map(key).collect();
    let expected: HashSet<String> = written.iter().map(|(_, q, _)| q.clone()).collect();
    assert_eq!(found, expected, "every question written during the outage is found, and no deleted one");
    for (i, (_, _, answer)) in written.iter().enumerate() {
        let hits = search(admin, &format!("lemur{i}")).await;
        assert!(hits.iter().any(|h| h["message_id"] == answer.as_str()), "answer {i}: {hits:?}");
    }
    assert!(search(admin, "lemur5").await.is_empty(), "the conversation deleted during the outage is gone");
    assert_eq!(conversations_of(&search(admin, "blackout").await), HashSet::from([conv.clone()]));
    assert!(search(admin, "before").await.is_empty(), "the old title was replaced");
    assert_eq!(key(&search(admin, "aardvark").await[0]), before);
    let ready = s.app.anonymous().get_json("/readyz").await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["checks"]["search"]["outbox_backlog"], 0, "{ready}");
}

#[tokio::test]
async fn reindex_rebuilds_a_lost_index_from_sql_and_resumes_when_interrupted() {
    let s = setup().await;
    let admin = &s.admin;
    let mut questions = HashSet::new();
    for i in 0..4 {
        let conv = titled_conversation(admin, &format!("Rebuild {i}")).await;
        let (q, _) = turn(admin, &conv, &format!("[upstream text=okapi] zebroid note {i}")).await;
        questions.insert(q);
    }
    s.indexed().await;
    let indexed = os::count(&s.url, &s.prefix).await.unwrap();
    // 4 titles, 4 questions, 4 answers, plus whatever else the admin's setup wrote.
    assert!(indexed >= 12, "{indexed}");

    // The index is lost; the database still has everything.
    os::delete_index(&s.url, &s.prefix).await;
    let (st, body) = search_raw(admin, &[("q", "zebroid")]).await;
    assert_eq!(st, StatusCode::OK, "a missing index finds nothing rather than failing: {body}");
    assert!(body["items"].as_array().unwrap().is_empty());

    // Interrupted after 5 documents (plain progress lines: stdout is not a terminal) …
    let out = s.app.cli(&["search", "reindex", "--batch-size", "2", "--max-docs", "5"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("queueing: 0/"), "{}", out.stdout);
    assert!(out.stdout.contains("reindex paused"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("5 of {indexed} documents queued")), "{}", out.stdout);
    // … and resumed: the second run starts at 5, not at 0.
    let out = s.app.cli(&["search", "reindex", "--batch-size", "2"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(&format!("queueing: 5/{indexed}")), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("indexing: {indexed}/{indexed}")), "{}", out.stdout);
    assert!(out.stdout.contains("resumed and finished"), "{}", out.stdout);
    s.indexed().await;
    assert_eq!(os::count(&s.url, &s.prefix).await, Some(indexed), "every document, once");
    let found: HashSet<String> = search(admin, "zebroid").await.iter().map(key).collect();
    assert_eq!(found, questions);
    assert_eq!(search(admin, "okapi").await.len(), 8, "the answers too (and the questions that asked for them)");
    assert_eq!(search(admin, "rebuild").await.len(), 4, "and the titles");

    // --recreate starts over on an empty index and ends with the same documents.
    let out = s.app.cli(&["search", "reindex", "--recreate"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("queueing: 0/"), "{}", out.stdout);
    assert!(out.stdout.contains("reindex finished"), "{}", out.stdout);
    s.indexed().await;
    assert_eq!(os::count(&s.url, &s.prefix).await, Some(indexed));
}

#[tokio::test]
async fn two_replicas_drain_one_outbox_without_losing_or_duplicating() {
    let s = setup().await;
    // A second server on the same database and index: both run an indexer.
    let twin_db = TestDb { backend: s.app.db.backend, url: s.app.db.url.clone(), dir: s.app.db.dir.join("twin") };
    std::fs::create_dir_all(&twin_db.dir).unwrap();
    let upstream = ScriptedUpstream::start().await;
    let twin = TestApp::start(twin_db, os::options(Options::default().upstream(&upstream), &s.url, &s.prefix));
    let twin_admin = twin.admin().await;
    let mut expected = HashSet::new();
    for i in 0..8 {
        let api = if i % 2 == 0 { &s.admin } else { &twin_admin };
        let conv = titled_conversation(api, &format!("Twin {i}")).await;
        let (q, a) = turn(api, &conv, &format!("[upstream text=capybara] capybara {i}")).await;
        expected.extend([q, a]);
    }
    s.indexed().await;
    let found: Vec<String> = search(&s.admin, "capybara").await.iter().map(key).collect();
    assert_eq!(found.len(), expected.len(), "no duplicates: {found:?}");
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), expected);
    drop(twin);
}

#[tokio::test]
async fn config_check_reports_whether_opensearch_answers() {
    let s = setup().await;
    let out = s.app.cli(&["config", "check"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("search: opensearch at"), "{}", out.stdout);
    assert!(out.stdout.contains("reachable; index"), "{}", out.stdout);

    // A cluster that does not answer fails the check, and the password is never printed.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = [
        ("CONFAB_DATABASE__URL".to_string(), s.app.db.url.clone()),
        ("CONFAB_SEARCH__BACKEND".to_string(), "opensearch".to_string()),
        ("CONFAB_OPENSEARCH__URL".to_string(), format!("http://127.0.0.1:{dead}")),
        ("CONFAB_OPENSEARCH__USERNAME".to_string(), "confab".to_string()),
        ("CONFAB_OPENSEARCH__PASSWORD".to_string(), "hunter2-very-secret".to_string()),
        ("CONFAB_OPENSEARCH__TIMEOUT_MS".to_string(), "1000".to_string()),
    ];
    let out = run_cli(&env, &s.app.db.dir.join(".."), &["config", "check"], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("unreachable"), "{}", out.stdout);
    assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"), "{}\n{}", out.stdout, out.stderr);

    // Configuration is validated before anything starts.
    let bad = [
        ("CONFAB_DATABASE__URL".to_string(), s.app.db.url.clone()),
        ("CONFAB_SEARCH__BACKEND".to_string(), "opensearch".to_string()),
    ];
    let out = run_cli(&bad, &s.app.db.dir.join(".."), &["config", "check"], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("opensearch.url"), "{}", out.stderr);
}

// ---- Retention and erasure over OpenSearch and Redis ---------------------------------------------

/// Every document of the test's index whose source holds `needle` (read straight from
/// OpenSearch over HTTP, after a refresh; none when the index does not exist).
pub(crate) async fn os_traces(url: &str, prefix: &str, needle: &str) -> usize {
    let client = reqwest::Client::new();
    let index = os::index_name(prefix);
    let resp = client.post(format!("{url}/{index}/_refresh")).send().await.unwrap();
    if resp.status() == StatusCode::NOT_FOUND {
        return 0;
    }
    let resp = client
        .post(format!("{url}/{index}/_search"))
        .json(&json!({ "size": 10000, "query": { "match_all": {} } }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "search the index: {}", resp.text().await.unwrap_or_default());
    let body: Value = resp.json().await.unwrap();
    let hits = body["hits"]["hits"].as_array().unwrap();
    assert!(hits.len() < 10000, "the index fits one page");
    hits.iter().filter(|h| h["_source"].to_string().contains(needle)).count()
}

/// Every Redis key whose name or value holds `needle`, whatever its type (SCAN, then GET,
/// XRANGE, HGETALL, LRANGE, SMEMBERS or ZRANGE).
pub(crate) async fn redis_traces(redis: &confab_tests::redis::RedisServer, needle: &str) -> Vec<String> {
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) =
            ::redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(1000).query_async(&mut conn).await.unwrap();
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let mut found = Vec::new();
    for key in keys {
        let kind: String = ::redis::cmd("TYPE").arg(&key).query_async(&mut conn).await.unwrap();
        let mut cmd = match kind.as_str() {
            "string" => ::redis::cmd("GET"),
            "stream" => ::redis::cmd("XRANGE"),
            "hash" => ::redis::cmd("HGETALL"),
            "list" => ::redis::cmd("LRANGE"),
            "set" => ::redis::cmd("SMEMBERS"),
            "zset" => ::redis::cmd("ZRANGE"),
            _ => continue, // gone meanwhile
        };
        cmd.arg(&key);
        match kind.as_str() {
            "stream" => {
                cmd.arg("-").arg("+");
            }
            "list" | "zset" => {
                cmd.arg(0).arg(-1);
            }
            _ => {}
        }
        let value: ::redis::Value = cmd.query_async(&mut conn).await.unwrap();
        if key.contains(needle) || format!("{value:?}").contains(needle) || redis_text(&value).contains(needle) {
            found.push(key);
        }
    }
    found
}

/// The bytes of a Redis reply, as text.
fn redis_text(value: &::redis::Value) -> String {
    use ::redis::Value as V;
    match value {
        V::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        V::SimpleString(s) => s.clone(),
        V::Array(items) | V::Set(items) => items.iter().map(redis_text).collect::<Vec<_>>().join(" "),
        V::Map(pairs) => {
            pairs.iter().map(|(k, v)| format!("{} {}", redis_text(k), redis_text(v))).collect::<Vec<_>>().join(" ")
        }
        other => format!("{other:?}"),
    }
}

/// Whether the answer stream of `message` (`<prefix>:answer:<id>`, core's `cluster::streams`) is
/// in Redis.
async fn answer_stream_exists(redis: &confab_tests::redis::RedisServer, message: &str) -> bool {
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let n: i64 = ::redis::cmd("EXISTS").arg(format!("confab:answer:{message}")).query_async(&mut conn).await.unwrap();
    n == 1
}

fn age_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "UPDATE conversations SET updated_at = $1 WHERE id = $2",
        _ => "UPDATE conversations SET updated_at = ? WHERE id = ?",
    }
}

/// How many messages of the conversation the database holds.
async fn messages_in(db: &sea_orm::DatabaseConnection, b: Backend, conv: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let id: uuid::Uuid = conv.parse().unwrap();
    let sql = match b {
        Backend::Postgres => "SELECT COUNT(*) AS n FROM messages WHERE conversation_id = $1",
        _ => "SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [id.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Sends a turn whose question and answer both hold `canary`; returns (conversation, answer id).
async fn canary_turn(api: &Api, canary: &str) -> (String, String) {
    let conv = titled_conversation(api, &format!("about {canary}")).await;
    let (_, answer) = turn(api, &conv, &format!("{canary} lives here [upstream text={canary} tokens=3]")).await;
    (conv, answer)
}

async fn retention_and_erasure_leave_no_canary_in_opensearch_or_redis_except_what_a_hold_keeps(b: Backend) {
    use sea_orm::{ConnectionTrait, Statement};
    let upstream = ScriptedUpstream::start().await;
    let redis = confab_tests::redis::RedisServer::start();
    let url = os::shared_url();
    let prefix = os::random_prefix();
    let opts = os::options(Options::default().upstream(&upstream), &url, &prefix)
        .env("CONFAB_REDIS__URL", &redis.url())
        .env("CONFAB_RETENTION__INTERVAL_SECS", "0");
    let app = TestApp::spawn_with(b, opts).await;
    let admin = app.admin().await;
    let ann_id = app.create_user(&admin, "ann@acme.example", "member").await;
    app.create_user(&admin, "bob@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    let (old, old_answer) = canary_turn(&ann, "canaryalpha").await;
    let (held, held_answer) = canary_turn(&ann, "canarybeta").await;
    let (_, erased_answer) = canary_turn(&ann, "canarygamma").await;
    let (_, bobs_answer) = canary_turn(&bob, "canaryomega").await;
    os::wait_indexed(&app, &url, &prefix).await;
    let canaries = [
        ("canaryalpha", &old_answer),
        ("canarybeta", &held_answer),
        ("canarygamma", &erased_answer),
        ("canaryomega", &bobs_answer),
    ];
    // Both stores hold every canary: the checks below can see what they look for.
    for (canary, answer) in canaries {
        assert!(os_traces(&url, &prefix, canary).await >= 3, "{canary}: title, question and answer in OpenSearch");
        assert!(answer_stream_exists(&redis, answer).await, "{canary}: the answer's stream in Redis");
        assert!(!redis_traces(&redis, canary).await.is_empty(), "{canary}: the answer text in Redis");
    }

    // Past retention: the purge removes the old one from both stores; the held one stays.
    let db = app.db.connect().await;
    for conv in [&old, &held] {
        let id: uuid::Uuid = conv.parse().unwrap();
        let n = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                age_sql(b),
                [(chrono::Utc::now() - chrono::Duration::days(100)).into(), id.into()],
            ))
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(n, 1);
    }
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "conversation", "subject_id": held, "case_name": "Acme v. Globex", "reason": "litigation" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    let (s, p) = admin
        .send(Method::PUT, "/v1/tenant/retention", Some(json!({ "conversation_days": 30, "deleted_grace_days": 0 })))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("conversations purged: 1"), "{}", run.stdout);
    os::wait_indexed(&app, &url, &prefix).await;
    assert_eq!(os_traces(&url, &prefix, "canaryalpha").await, 0, "the purged canary is gone from OpenSearch");
    assert!(!answer_stream_exists(&redis, &old_answer).await, "its answer stream is gone from Redis");
    assert_eq!(redis_traces(&redis, "canaryalpha").await, Vec::<String>::new(), "no Redis key holds it");
    assert!(os_traces(&url, &prefix, "canarybeta").await >= 3, "the held one stays in OpenSearch");
    assert!(answer_stream_exists(&redis, &held_answer).await, "and in Redis");

    // Its owner's delete hides it: OpenSearch drops its documents at once, as for any deleted
    // conversation (core's `soft_delete`), while the record the hold keeps stays in the database,
    // and a purge after it leaves it there (and its answer stream in Redis).
    assert_eq!(messages_in(&db, b, &held).await, 2);
    let (s, _) = ann.send(Method::DELETE, &format!("/v1/conversations/{held}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    os::wait_indexed(&app, &url, &prefix).await;
    assert_eq!(os_traces(&url, &prefix, "canarybeta").await, 0, "a deleted conversation leaves the index");
    assert_eq!(
        messages_in(&db, b, &held).await,
        2,
        "the hold keeps the record through its owner's delete and the purge"
    );
    assert!(answer_stream_exists(&redis, &held_answer).await);

    // Erasure: the user's other conversation goes from both stores; the held one stays.
    let (s, erased) = admin.send(Method::POST, &format!("/v1/users/{ann_id}/erase"), None).await;
    assert_eq!(s, StatusCode::OK, "{erased}");
    assert_eq!(erased["conversations"], 1, "{erased}");
    assert_eq!(erased["conversations_kept_by_hold"], 1, "{erased}");
    os::wait_indexed(&app, &url, &prefix).await;
    assert_eq!(os_traces(&url, &prefix, "canarygamma").await, 0, "erased from OpenSearch");
    assert!(!answer_stream_exists(&redis, &erased_answer).await);
    assert_eq!(redis_traces(&redis, "canarygamma").await, Vec::<String>::new(), "erased from Redis");
    assert_eq!(messages_in(&db, b, &held).await, 2, "the hold keeps it through erasure");
    assert!(answer_stream_exists(&redis, &held_answer).await);

    // Released: the next purge takes it, and nothing of the erased user's text is left anywhere.
    let (s, released) = admin
        .send(Method::POST, &format!("/v1/tenant/legal-holds/{}/release", hold["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{released}");
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    os::wait_indexed(&app, &url, &prefix).await;
    for canary in ["canaryalpha", "canarybeta", "canarygamma"] {
        assert_eq!(os_traces(&url, &prefix, canary).await, 0, "{canary} in OpenSearch");
        assert_eq!(redis_traces(&redis, canary).await, Vec::<String>::new(), "{canary} in Redis");
    }
    assert!(!answer_stream_exists(&redis, &held_answer).await);
    assert_eq!(messages_in(&db, b, &held).await, 0);
    // Another user's conversation was never touched.
    assert!(os_traces(&url, &prefix, "canaryomega").await >= 3);
    assert!(answer_stream_exists(&redis, &bobs_answer).await);
    assert!(!redis_traces(&redis, "canaryomega").await.is_empty());
}

mod canary {
    use confab_tests::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_and_erasure_leave_no_canary_in_opensearch_or_redis_on_postgres() {
        super::retention_and_erasure_leave_no_canary_in_opensearch_or_redis_except_what_a_hold_keeps(Backend::Postgres)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_and_erasure_leave_no_canary_in_opensearch_or_redis_on_sqlite() {
        super::retention_and_erasure_leave_no_canary_in_opensearch_or_redis_except_what_a_hold_keeps(Backend::Sqlite)
            .await
    }
}

/// A server (on `backend`) whose OpenSearch is the shared node behind a fault proxy.
async fn behind_proxy(backend: Backend, fault: Fault, crashpoint: Option<&str>) -> (FaultProxy, Setup) {
    let url = os::shared_url();
    let proxy = FaultProxy::start(url.trim_start_matches("http://")).await;
    proxy.set(fault);
    let upstream = ScriptedUpstream::start().await;
    let prefix = os::random_prefix();
    let mut opts = os::options(Options::default().upstream(&upstream), &format!("http://{}", proxy.addr()), &prefix);
    if let Some(point) = crashpoint {
        opts = opts.env("CONFAB_CRASHPOINT", point);
    }
    let app = TestApp::spawn_with(backend, opts).await;
    let admin = app.admin().await;
    (proxy, Setup { _upstream: upstream, app, admin, url, prefix })
}

static OUTBOX_CRASH: Check = Check {
    id: "1.12",
    fault: "crash: an OpenSearch outbox batch indexed, its rows not yet deleted",
    expected: "the batch is sent again after the restart, nothing doubled; the index converges with the database",
    how: "changes made while OpenSearch is refused, crash point `search.outbox_sent` once it is back, restart; index ids = `search_docs` ids, searches find each hit once",
};

async fn a_crash_between_indexing_and_the_outbox_delete_converges_after_restart(b: Backend) {
    let _r = record(&OUTBOX_CRASH, b);
    // OpenSearch refuses connections from the start: every change waits in the outbox.
    let (proxy, s) = behind_proxy(b, Fault::Refuse, Some("search.outbox_sent")).await;
    let mut expected = HashSet::new();
    for i in 0..3 {
        let conv = titled_conversation(&s.admin, &format!("Crash drill {i}")).await;
        let (q, a) = turn(&s.admin, &conv, &format!("[upstream text=quokka{i}] wombat drill {i}")).await;
        expected.insert(q);
        assert!(!a.is_empty());
    }
    let backlog = os::backlog(&s.app.db).await;
    assert!(backlog >= 9, "{backlog}");
    // It comes back: the indexer sends a batch and dies before deleting its rows.
    proxy.clear();
    let Setup { mut app, admin: _, url, prefix, _upstream } = s;
    // The indexer retries with a backoff of at most 10 s.
    app.wait_exit(Duration::from_secs(60));
    assert!(app.server_log().contains("crashpoint search.outbox_sent reached"), "{}", app.server_log());
    os::refresh(&url, &prefix).await;
    assert!(os::count(&url, &prefix).await.unwrap_or(0) > 0, "the batch reached the index");
    assert_eq!(os::backlog(&app.db).await, backlog, "its rows are still in the outbox");
    let (db, mut opts) = app.kill();
    opts.env.retain(|(k, _)| k != "CONFAB_CRASHPOINT");
    let app = TestApp::start(db, opts);
    let admin = app.admin().await;
    os::assert_converged(&app, &url, &prefix).await;
    let found: Vec<String> = search(&admin, "wombat").await.iter().map(key).collect();
    assert_eq!(found.len(), expected.len(), "each hit once: {found:?}");
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), expected);
    assert_eq!(search(&admin, "quokka1").await.len(), 2, "the question and its answer");
}

static OS_LATENCY: Check = Check {
    id: "2.40",
    fault: "OpenSearch: 200 ms latency on every packet",
    expected: "searches answer (slower) with the same hits; indexing keeps up",
    how: "fault proxy `Latency(200ms)` between Confab and OpenSearch; turns, searches, convergence",
};

static OS_BLACKHOLE: Check = Check {
    id: "2.41",
    fault: "OpenSearch: blackhole (nothing comes back, connections open)",
    expected: "search 503 `unavailable` within the client's deadline (3 s in the test config), none hangs; chat goes on; `/readyz` 200 `degraded`; the index converges when it clears",
    how: "fault proxy `Blackhole`; a search timed, a turn, `/readyz`; then `cut` and clear; convergence",
};

static OS_RESET: Check = Check {
    id: "2.42",
    fault: "OpenSearch: connections reset mid-response",
    expected: "a search gets its answer or 503 `unavailable`, never another 5xx; failed bulk writes are retried: nothing lost, nothing indexed twice",
    how: "fault proxy `ResetAfter(300 bytes)` during turns and searches; then clear; convergence",
};

#[tokio::test]
async fn opensearch_faults_have_their_documented_outcomes() {
    let (proxy, s) = behind_proxy(Backend::Postgres, Fault::None, None).await;
    let admin = &s.admin;
    let pg = "PostgreSQL";

    let r = record_variant(&OS_LATENCY, pg);
    proxy.set(Fault::Latency(Duration::from_millis(200)));
    let conv = titled_conversation(admin, "Slow index").await;
    let (q, _) = turn(admin, &conv, "[upstream text=tapir] narwhal latency").await;
    os::assert_converged(&s.app, &s.url, &s.prefix).await;
    let hits = search(admin, "narwhal").await;
    assert_eq!(hits.iter().map(key).collect::<Vec<_>>(), vec![q]);
    proxy.clear();
    drop(r);

    let r = record_variant(&OS_BLACKHOLE, pg);
    proxy.set(Fault::Blackhole);
    proxy.cut();
    let started = Instant::now();
    let (st, body) = search_raw(admin, &[("q", "narwhal")]).await;
    let took = started.elapsed();
    assert_eq!(error_code(st, &body, 503), "unavailable", "{body}");
    assert!(took < Duration::from_secs(8), "the search waited {took:?}");
    let conv = titled_conversation(admin, "Dark index").await;
    let (dark, _) = turn(admin, &conv, "[upstream text=tapir] narwhal blackhole").await;
    let ready = reqwest::Client::new()
        .get(s.app.url("/readyz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("/readyz answers during the blackhole");
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert!(ready["checks"]["search"]["outbox_backlog"].as_i64().unwrap() > 0, "{ready}");
    proxy.clear();
    proxy.cut();
    os::assert_converged(&s.app, &s.url, &s.prefix).await;
    let found: HashSet<String> = search(admin, "narwhal").await.iter().map(key).collect();
    assert!(found.contains(&dark), "written during the blackhole, found after: {found:?}");
    drop(r);

    let r = record_variant(&OS_RESET, pg);
    proxy.set(Fault::ResetAfter(300));
    proxy.cut();
    let mut written = Vec::new();
    for i in 0..3 {
        let conv = titled_conversation(admin, &format!("Reset {i}")).await;
        let (q, _) = turn(admin, &conv, &format!("[upstream text=tapir] ocelot reset {i}")).await;
        written.push(q);
        let (st, body) = search_raw(admin, &[("q", "ocelot")]).await;
        assert!(st == StatusCode::OK || error_code(st, &body, 503) == "unavailable", "{st}: {body}");
    }
    proxy.clear();
    proxy.cut();
    os::assert_converged(&s.app, &s.url, &s.prefix).await;
    let found: Vec<String> = search(admin, "ocelot").await.iter().map(key).collect();
    assert_eq!(found.len(), written.len(), "{found:?}");
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), written.into_iter().collect::<HashSet<_>>());
    drop(r);
}

// Multi-threaded: the fault proxy runs on the test's runtime while the test blocks waiting for
// the server to die.
mod outbox_crash {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crash_between_indexing_and_the_outbox_delete_converges_after_restart_on_postgres() {
        a_crash_between_indexing_and_the_outbox_delete_converges_after_restart(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crash_between_indexing_and_the_outbox_delete_converges_after_restart_on_sqlite() {
        a_crash_between_indexing_and_the_outbox_delete_converges_after_restart(Backend::Sqlite).await;
    }
}

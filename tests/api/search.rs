//! History search: the caller's own titles, questions and answers, never anyone else's; the index
//! follows renames and deletes; user text is never query syntax; pages; credentials.
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// `GET /v1/search` with the given query parameters; (status, body).
async fn search_raw(api: &Api, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = api.request(Method::GET, "/v1/search").query(params).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The hits for `q` (one page of up to 100), asserting success.
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

/// The text of a hit's snippet, with highlighted segments in brackets.
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

fn hit_for<'a>(hits: &'a [Value], message_id: &str) -> &'a Value {
    hits.iter().find(|h| h["message_id"] == message_id).unwrap_or_else(|| panic!("no hit for {message_id}: {hits:?}"))
}

async fn finds_my_titles_questions_and_answers_with_highlights(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    let conv = titled_conversation(&admin, "Zanzibar trip planning").await;
    let (question, answer) =
        turn(&admin, &conv, "[upstream text=marmoset tokens=3] What lives on the Zanzibar archipelago?").await;
    let other = titled_conversation(&admin, "Unrelated").await;
    turn(&admin, &other, "[upstream tokens=2] nothing to see").await;

    let hits = search(&admin, "zanzibar").await;
    assert_eq!(hits.len(), 2, "the title and the question: {hits:?}");
    let title = hits.iter().find(|h| h["message_id"].is_null()).expect("a title hit");
    assert_eq!(title["conversation_id"], conv.as_str());
    assert_eq!(title["conversation_title"], "Zanzibar trip planning");
    assert!(title["role"].is_null());
    assert_eq!(title["conversation_archived"], false);
    assert_eq!(rendered(title), "[Zanzibar] trip planning");
    let q = hit_for(&hits, &question);
    assert_eq!(q["role"], "user");
    assert_eq!(q["conversation_id"], conv.as_str());
    assert_eq!(q["conversation_title"], "Zanzibar trip planning");
    assert!(rendered(q).contains("the [Zanzibar] archipelago"), "{}", rendered(q));
    assert!(q["created_at"].as_str().is_some_and(|t| t.starts_with("20")), "{q}");

    // The answer: the scripted upstream said "marmoset marmoset marmoset".
    let hits = search(&admin, "Marmoset").await;
    let a = hit_for(&hits, &answer);
    assert_eq!(a["role"], "assistant");
    assert_eq!(rendered(a).trim(), "[marmoset] [marmoset] [marmoset]");
    assert_eq!(hit_for(&hits, &question)["role"], "user", "the directive in the question says marmoset too");
    assert_eq!(hits.len(), 2);

    // The last word is also a prefix; every word must match.
    let hits = search(&admin, "marmo").await;
    assert!(rendered(hit_for(&hits, &answer)).contains("[marmoset]"));
    let both = search(&admin, "zanzibar marmoset").await;
    assert_eq!(both.len(), 1, "{both:?}");
    assert_eq!(both[0]["message_id"], question.as_str());
    assert!(search(&admin, "zanzibar penguin").await.is_empty());

    // Archived conversations are found, and flagged.
    let (s, body) =
        admin.send(Method::PATCH, &format!("/v1/conversations/{conv}"), Some(json!({ "archived": true }))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let hits = search(&admin, "zanzibar").await;
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h["conversation_archived"] == true), "{hits:?}");
}

async fn an_answer_becomes_searchable_when_it_ends(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let key = "slow";
    let (s, body) = admin
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            key,
            json!({ "content": "[upstream text=slowpoke tokens=40 delay_ms=50] go", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    let answer = body["assistant_message"]["id"].as_str().unwrap().to_string();
    // Wait until part of the answer is stored while it is still streaming.
    let mut streaming = false;
    for _ in 0..100 {
        let m = admin.get_json(&format!("/v1/messages/{answer}")).await;
        if m["status"] == "streaming" && m["content"].as_str().is_some_and(|c| c.contains("slowpoke")) {
            streaming = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(streaming, "the answer was never seen mid-stream");
    let hits = search(&admin, "slowpoke").await;
    assert!(hits.iter().all(|h| h["message_id"] != answer.as_str()), "not searchable while streaming: {hits:?}");
    assert_eq!(hits.len(), 2, "the question and the title taken from it are: {hits:?}");
    let done = admin.wait_final(&answer).await;
    assert_eq!(done["status"], "completed");
    let hits = search(&admin, "slowpoke").await;
    assert_eq!(hit_for(&hits, &answer)["role"], "assistant");
}

async fn never_shows_another_users_or_another_tenants_conversations(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let canary = "quetzalcanary";
    app.create_user(&admin, "bob@acme.example", "member").await;
    app.create_user(&admin, "carol@acme.example", "member").await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let (_, globex) = app.second_tenant("globex").await;

    let mut owned = Vec::new();
    for api in [&admin, &bob, &globex] {
        let conv = api.conversation().await;
        // The first message also titles the conversation.
        let (question, answer) = turn(api, &conv, &format!("[upstream text={canary}] about the {canary}")).await;
        owned.push((api, conv, question, answer));
    }
    for (api, conv, question, answer) in &owned {
        let hits = search(api, canary).await;
        assert_eq!(conversations_of(&hits), HashSet::from([conv.clone()]), "only my own conversation: {hits:?}");
        let ids: HashSet<&str> = hits.iter().filter_map(|h| h["message_id"].as_str()).collect();
        assert_eq!(ids, HashSet::from([question.as_str(), answer.as_str()]));
        assert!(hits.iter().any(|h| h["message_id"].is_null()), "and its title: {hits:?}");
        assert!(hits.iter().all(|h| rendered(h).to_lowercase().contains(&format!("[{canary}]"))), "{hits:?}");
    }
    assert!(search(&carol, canary).await.is_empty(), "a colleague with no such conversation sees nothing");
    // And the other tenant's words stay there.
    let globex_only = "globexonlyword";
    let conv = globex.conversation().await;
    turn(&globex, &conv, &format!("[upstream text={globex_only}] {globex_only}")).await;
    assert_eq!(search(&globex, globex_only).await.len(), 3, "title, question and answer");
    assert!(search(&admin, globex_only).await.is_empty());
    assert!(search(&bob, globex_only).await.is_empty());

    // One person in two tenants: each tenant shows only that tenant's conversations of theirs.
    let acme = admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let globex_id = globex.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let out = app.cli(&["admin", "set-role", "--tenant", "globex", "--email", ADMIN_EMAIL, "--role", "member"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let me = app.admin().await;
    let switch = |tenant: String| {
        let me = me.clone();
        async move {
            let (s, body) = me.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": tenant }))).await;
            assert_eq!(s, StatusCode::OK, "{body}");
        }
    };
    switch(globex_id).await;
    assert!(search(&me, canary).await.is_empty(), "my Acme conversation is not in Globex");
    let in_globex = me.conversation().await;
    turn(&me, &in_globex, &format!("the {canary} again")).await;
    assert_eq!(conversations_of(&search(&me, canary).await), HashSet::from([in_globex.clone()]));
    switch(acme).await;
    assert_eq!(conversations_of(&search(&me, canary).await), HashSet::from([owned[0].1.clone()]));
}

async fn follows_renames_and_deletes(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    let doomed = titled_conversation(&admin, "Alphaoldtitle notes").await;
    turn(&admin, &doomed, "quasar nebula").await;
    let kept = titled_conversation(&admin, "Kept").await;
    let (kept_question, _) = turn(&admin, &kept, "quasar pulsar").await;

    assert_eq!(search(&admin, "alphaoldtitle").await.len(), 1);
    let (s, body) = admin
        .send(Method::PATCH, &format!("/v1/conversations/{doomed}"), Some(json!({ "title": "Betanewtitle notes" })))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(search(&admin, "alphaoldtitle").await.is_empty(), "the old title is gone");
    let hits = search(&admin, "betanewtitle").await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["conversation_id"], doomed.as_str());
    assert_eq!(rendered(&hits[0]), "[Betanewtitle] notes");
    // Messages carry the new title too.
    let hits = search(&admin, "nebula").await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["conversation_title"], "Betanewtitle notes");
    assert_eq!(conversations_of(&search(&admin, "quasar").await), HashSet::from([doomed.clone(), kept.clone()]));

    let (s, _) = admin.send(Method::DELETE, &format!("/v1/conversations/{doomed}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(search(&admin, "betanewtitle").await.is_empty());
    assert!(search(&admin, "nebula").await.is_empty());
    let hits = search(&admin, "quasar").await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["message_id"], kept_question.as_str());
}

async fn bad_queries_are_refused_and_syntax_is_just_text(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    let conv = titled_conversation(&admin, "Syntax").await;
    let (question, _) = turn(&admin, &conv, "omega release: see a*b and 日本語のテキスト, naïve Größe").await;

    let thirty_three_words = (0..33).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    for (q, why) in [
        ("".to_string(), "empty"),
        ("   \t ".to_string(), "blank"),
        ("a".repeat(257), "too long"),
        (thirty_three_words, "too many words"),
    ] {
        let (s, body) = search_raw(&admin, &[("q", &q)]).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{why}");
        assert_eq!(body["error"]["field"], "q", "{why}: {body}");
    }
    assert!(search_raw(&admin, &[("q", &"é".repeat(256))]).await.0.is_success(), "256 characters are fine");
    let (s, body) = search_raw(&admin, &[]).await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "q is required");
    for limit in ["0", "101", "-1", "many"] {
        let (s, body) = search_raw(&admin, &[("q", "omega"), ("limit", limit)]).await;
        assert!(matches!(s.as_u16(), 400 | 422), "limit={limit}: {s} {body}");
        error_code(s, &body, s.as_u16());
    }
    for cursor in ["garbage", "Zm9v", ""] {
        let (s, body) = search_raw(&admin, &[("q", "omega"), ("cursor", cursor)]).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "cursor={cursor:?}");
    }

    // Full-text syntax is never interpreted, and never fails.
    let nasty = [
        "\"",
        "\"unbalanced",
        "*",
        "a*b",
        "NEAR(a b)",
        "-x",
        "title:x",
        "a OR b",
        "(",
        ")",
        "\\",
        "'",
        "'; DROP TABLE messages; --",
        "^",
        "body:omega",
        "scope:omega",
        "omega AND",
        "NOT omega",
        "{scope body}: omega",
        "omega\"*",
        "\u{0}",
        "😀",
        "😀🎉 🚀",
        "!@#$%^&*()_+-=[]{}|;:,.<>?/~`",
        "日本語",
        "Größe",
        "Привет мир",
        "مرحبا",
        "\u{E000}omega\u{E001}",
    ];
    for q in nasty {
        let (s, body) = search_raw(&admin, &[("q", q)]).await;
        assert_eq!(s, StatusCode::OK, "{q:?}: {body}");
        assert!(body["items"].is_array(), "{q:?}: {body}");
    }
    // Operators are words like any other: each of these finds the question by its words.
    for q in ["\"omega", "omega*", "-omega", "omega:", "(omega)", "^omega", "a*b", "日本語のテキスト", "größe"]
    {
        let hits = search(&admin, q).await;
        assert!(hits.iter().any(|h| h["message_id"] == question.as_str()), "{q:?} should find the question: {hits:?}");
    }
    // … and AND is not an operator to drop: "or" and "not" must occur too.
    assert!(search(&admin, "omega OR nothingatall").await.is_empty());
    assert!(search(&admin, "NOT omega").await.is_empty());
    // Nothing was dropped or broken by the attempts above.
    assert_eq!(hit_for(&search(&admin, "omega").await, &question)["role"], "user");
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["messages"].as_array().unwrap().len(), 2);
}

async fn pages_walk_every_match_once(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    // Different lengths and repetitions give different scores; equal ones tie on the id.
    let mut expected = HashSet::new();
    for i in 0..5 {
        expected.insert(titled_conversation(&admin, &format!("pagetoken item {i}")).await);
    }
    expected.insert(titled_conversation(&admin, "pagetoken pagetoken twice").await);
    expected.insert(titled_conversation(&admin, "a much longer title that mentions pagetoken once only").await);
    let conv = titled_conversation(&admin, "Other").await;
    let (question, answer) = turn(&admin, &conv, "[upstream text=pagetoken tokens=2] pagetoken in a message").await;
    expected.extend([question, answer]);
    titled_conversation(&admin, "no match here").await;

    let all = search(&admin, "pagetoken").await;
    let all_keys: Vec<String> = all.iter().map(key).collect();
    assert_eq!(all_keys.iter().cloned().collect::<HashSet<_>>(), expected);

    let pages = walk_pages(&admin, "pagetoken", 3, 10).await;
    assert_eq!(pages.len(), 3, "9 matches in pages of 3");
    assert!(pages[..pages.len() - 1].iter().all(|p| p.len() == 3), "only full pages have a next page");
    let seen: Vec<String> = pages.concat();
    assert_eq!(seen, all_keys, "the pages, in order, are the whole list: no gaps, no duplicates");
}

/// Follows `next_cursor` from the first page of `q` to the last (at most `max_pages`): each
/// page's hit keys, in order.
async fn walk_pages(api: &Api, q: &str, limit: usize, max_pages: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let limit = limit.to_string();
        let mut params = vec![("q", q), ("limit", limit.as_str())];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let (s, body) = search_raw(api, &params).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        pages.push(body["items"].as_array().unwrap().iter().map(key).collect());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return pages,
        }
        assert!(pages.len() < max_pages, "pagination does not end");
    }
}

fn key(hit: &Value) -> String {
    hit["message_id"].as_str().or(hit["conversation_id"].as_str()).unwrap().to_string()
}

async fn needs_a_credential_and_accepts_an_api_token(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let conv = titled_conversation(&admin, "Tokenized heron").await;
    let (s, body) = search_raw(&app.anonymous(), &[("q", "heron")]).await;
    assert_eq!(error_code(s, &body, 401), "unauthenticated");
    let (s, body) = search_raw(&app.with_token("cfb_not_a_real_token"), &[("q", "heron")]).await;
    assert_eq!(error_code(s, &body, 401), "unauthenticated");
    let (secret, _) = admin.create_token(json!({ "name": "search" })).await;
    let hits = search(&app.with_token(&secret), "heron").await;
    assert_eq!(conversations_of(&hits), HashSet::from([conv]));
}

both_backends!(
    finds_my_titles_questions_and_answers_with_highlights,
    an_answer_becomes_searchable_when_it_ends,
    never_shows_another_users_or_another_tenants_conversations,
    follows_renames_and_deletes,
    bad_queries_are_refused_and_syntax_is_just_text,
    pages_walk_every_match_once,
    needs_a_credential_and_accepts_an_api_token,
);

/// PostgreSQL ranks a query's newest `POSTGRES_CANDIDATES` matches: a word in more of the user's
/// documents than that is ranked among the newest (older, better-scoring matches are left out),
/// while the bound never hides a word that matches less (however old its documents), and pages
/// walk exactly the candidates.
mod postgres_candidates {
    use super::*;
    use confab_core::search::POSTGRES_CANDIDATES;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_common_word_is_ranked_among_the_newest_matches_on_postgres() {
        let (_upstream, app, admin) = setup(Backend::Postgres).await;
        let first = titled_conversation(&admin, "Seed").await;
        let db = app.db.connect().await;
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT tenant_id, owner_id FROM conversations WHERE id = $1",
                [uuid::Uuid::parse_str(&first).unwrap().into()],
            ))
            .await
            .unwrap()
            .unwrap();
        let (tenant, owner): (uuid::Uuid, uuid::Uuid) =
            (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
        // Oldest first (UUIDv7 ids in creation order): a rare word, then 200 titles that score
        // best for "harbor" (three times in three words), then the newest matches, more of them
        // than the bound.
        let newest = POSTGRES_CANDIDATES as usize + 50;
        let mut titles = vec!["kelpie harbor".to_string()];
        titles.extend((0..200).map(|_| "harbor harbor harbor".to_string()));
        titles.extend((0..newest).map(|i| format!("harbor note number {i}")));
        let ids: Vec<uuid::Uuid> = titles.iter().map(|_| uuid::Uuid::now_v7()).collect();
        let values: Vec<String> = ids
            .iter()
            .zip(&titles)
            .map(|(id, title)| format!("('{id}', '{tenant}', '{owner}', '{title}', false, now(), now())"))
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO conversations (id, tenant_id, owner_id, title, archived, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
        let newest_ids: HashSet<String> = ids[201..].iter().map(uuid::Uuid::to_string).collect();

        // Every page of "harbor", in order: exactly the bound's worth of hits, all of them among
        // the newest titles (none of the better-scoring old ones), no hit twice.
        let seen: Vec<String> = walk_pages(&admin, "harbor", 100, 30).await.concat();
        assert_eq!(seen.len(), POSTGRES_CANDIDATES as usize, "the candidates, each once");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len(), "no hit twice");
        assert!(seen.iter().all(|id| newest_ids.contains(id)), "only the newest matches are ranked");
        let expected_newest: HashSet<String> =
            ids[ids.len() - POSTGRES_CANDIDATES as usize..].iter().map(uuid::Uuid::to_string).collect();
        assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), expected_newest, "the newest, exactly");

        // A word with few matches is found however old its document is.
        let hits = search(&admin, "kelpie").await;
        assert_eq!(conversations_of(&hits), HashSet::from([ids[0].to_string()]));
    }
}

/// SQLite indexes a transaction's new search documents in one FTS insert at its end (the triggers
/// queue them): a turn's documents are in the index when it commits, and a title written by a
/// single statement on the pool waits in the queue until the next search, which indexes it first.
mod sqlite_queue {
    use super::*;
    use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

    async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap().unwrap();
        row.try_get_by_index(0).unwrap()
    }

    async fn indexed(db: &DatabaseConnection, word: &str) -> i64 {
        count(db, &format!("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'body : {word}'")).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn documents_are_indexed_with_their_write_or_before_the_next_search() {
        let (_upstream, app, admin) = setup(Backend::Sqlite).await;
        let db = app.db.connect().await;
        let conv = titled_conversation(&admin, "Zephyrtitle plans").await;
        assert_eq!(count(&db, "SELECT count(*) FROM search_fts_pending").await, 1, "the title is queued");
        assert_eq!(indexed(&db, "zephyrtitle").await, 0, "and not indexed yet");
        let hits = search(&admin, "zephyrtitle").await;
        assert_eq!(conversations_of(&hits), HashSet::from([conv.clone()]));
        assert_eq!(count(&db, "SELECT count(*) FROM search_fts_pending").await, 0);
        assert_eq!(indexed(&db, "zephyrtitle").await, 1);

        let (question, _) = turn(&admin, &conv, "quokka meadow").await;
        assert_eq!(count(&db, "SELECT count(*) FROM search_fts_pending").await, 0, "the turn's writes indexed theirs");
        assert_eq!(indexed(&db, "quokka").await, 1, "before any search");
        let hits = search(&admin, "quokka").await;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0]["message_id"], question.as_str());
    }
}

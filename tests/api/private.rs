//! Private mode: chats kept only in the browser, with Confab as a relay that stores no content.
//! A private chat of several turns (a dropped connection resumed, a broken answer continued, a
//! cancel) leaves its canary text in no table, no search index, no Redis key and no log line;
//! the audit log has metadata; usage is recorded. Tenant admins turn the mode off, legal holds
//! forbid it, and a private chat can be saved into the user's history on request.
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// Starts a private turn; returns its open event stream.
async fn private_turn(api: &Api, body: Value) -> SseReader {
    let resp = api
        .request(Method::POST, "/v1/private/turns")
        .header("Accept", "text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    SseReader::new(resp)
}

async fn private_refused(api: &Api, body: Value) -> (StatusCode, Value) {
    api.send(Method::POST, "/v1/private/turns", Some(body)).await
}

async fn resume(api: &Api, turn: &str, last_event_id: Option<&str>) -> reqwest::Response {
    let mut req = api.request(Method::GET, &format!("/v1/private/turns/{turn}/events"));
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    req.send().await.unwrap()
}

fn is_final(e: &SseEvent) -> bool {
    matches!(e.event.as_str(), "turn.completed" | "turn.failed" | "turn.cancelled")
}

/// What a browser keeps of one answer: its text (each delta checked against its offset), the
/// last event id, the final event.
#[derive(Default)]
struct Answer {
    turn: String,
    text: String,
    last_id: Option<String>,
    end: Option<SseEvent>,
}

impl Answer {
    fn take(&mut self, e: SseEvent) {
        match e.event.as_str() {
            "turn.created" => self.turn = e.data["turn_id"].as_str().unwrap().to_string(),
            "turn.delta" => {
                self.text.push_str(e.data["content"].as_str().unwrap());
                assert_eq!(self.text.len() as u64, e.data["offset"].as_u64().unwrap(), "a gap or a duplicate");
                assert_eq!(e.id.as_deref(), Some(self.text.len().to_string().as_str()));
            }
            _ => {
                assert!(is_final(&e), "unexpected event {e:?}");
                assert_eq!(e.data["length"].as_u64().unwrap(), self.text.len() as u64, "{e:?}");
                self.end = Some(e.clone());
            }
        }
        self.last_id = e.id;
    }

    /// Reads until the final event or until `stop_after` deltas.
    async fn read(&mut self, reader: &mut SseReader, stop_after: Option<usize>) {
        let mut deltas = 0;
        while self.end.is_none() && stop_after.is_none_or(|n| deltas < n) {
            let e = tokio::time::timeout(Duration::from_secs(30), reader.next())
                .await
                .expect("the stream went quiet")
                .expect("the stream ended before its final event");
            deltas += usize::from(e.event == "turn.delta");
            self.take(e);
        }
    }

    fn end_kind(&self) -> &str {
        self.end.as_ref().map_or("", |e| e.event.as_str())
    }
}

fn msg(role: &str, content: &str) -> Value {
    json!({ "role": role, "content": content })
}

/// Every table cell (as text) holding `needle`: `table` names, for the assertion message.
async fn sql_traces(db: &sea_orm::DatabaseConnection, b: Backend, needle: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let list = match b {
        Backend::Sqlite => "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        Backend::Postgres => {
            "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = current_schema()"
        }
    };
    let tables: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "t").unwrap())
        .collect();
    assert!(tables.len() > 20, "every table is listed: {tables:?}");
    let mut found = Vec::new();
    for table in tables {
        let rows = match b {
            Backend::Postgres => format!("SELECT t::text AS row FROM \"{table}\" t WHERE t::text LIKE '%{needle}%'"),
            Backend::Sqlite => {
                // Every column as text, joined; FTS5 tables too (their columns are the text).
                let cols = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info('{table}')"),
                    ))
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| format!("COALESCE(CAST(\"{}\" AS TEXT), '')", r.try_get::<String>("", "name").unwrap()))
                    .collect::<Vec<_>>();
                if cols.is_empty() {
                    continue;
                }
                format!("SELECT {} AS row FROM \"{table}\" WHERE row LIKE '%{needle}%'", cols.join(" || '|' || "))
            }
        };
        match db.query_all_raw(Statement::from_string(backend, rows)).await {
            Ok(rows) if !rows.is_empty() => found.push(table),
            Ok(_) => {}
            // FTS5's shadow tables (`_data`, `_idx`…) hold binary segments, read through the
            // table itself; any other table must be readable.
            Err(e) if b == Backend::Sqlite && table.contains("_fts") => {
                let _ = e;
            }
            Err(e) => panic!("read {table}: {e}"),
        }
    }
    found
}

/// A private chat of four answers: one read whole, one resumed after a dropped connection, one
/// broken by the provider and continued, one cancelled. Then the canary is looked for in every
/// store this setup has.
async fn a_private_chat(app: &TestApp, api: &Api, canary: &str) -> Vec<Value> {
    let turns_before = api.get_json("/v1/usage").await["today"]["turns"].as_i64().unwrap();
    // 1. Read whole.
    let q1 = format!("what is a {canary}? [upstream text={canary} tokens=6]");
    let mut first = Answer::default();
    first.read(&mut private_turn(api, json!({ "messages": [msg("user", &q1)], "model": "gpt-4o" })).await, None).await;
    assert_eq!(first.end_kind(), "turn.completed", "{:?}", first.end);
    assert_eq!(first.text, format!("{canary} ").repeat(6));
    let end = first.end.as_ref().unwrap();
    assert!(end.data["output_tokens"].as_u64().unwrap() > 0, "{end:?}");

    // 2. The connection drops after a few deltas; the rest comes from Last-Event-ID, no gap, no
    //    duplicate.
    let q2 = format!("more about {canary} [upstream text={canary} tokens=30 delay_ms=40]");
    let history = vec![msg("user", &q1), msg("assistant", &first.text), msg("user", &q2)];
    let mut second = Answer::default();
    let mut reader = private_turn(api, json!({ "messages": history, "model": "claude" })).await;
    second.read(&mut reader, Some(5)).await;
    drop(reader);
    assert!(second.end.is_none());
    let resp = resume(api, &second.turn, second.last_id.as_deref()).await;
    assert_eq!(resp.status(), 200);
    second.read(&mut SseReader::new(resp), None).await;
    assert_eq!(second.end_kind(), "turn.completed");
    assert_eq!(second.text, format!("{canary} ").repeat(30));
    // After its end, still held for a while: a late reader gets the whole answer again.
    let mut again = Answer::default();
    again.read(&mut SseReader::new(resume(api, &second.turn, None).await), None).await;
    assert_eq!(again.text, second.text);
    // And a reader that already has the final event gets nothing more.
    let last = second.last_id.clone().unwrap();
    let mut done = SseReader::new(resume(api, &second.turn, Some(&last)).await);
    assert!(tokio::time::timeout(Duration::from_secs(10), done.next()).await.unwrap().is_none());

    // 3. The provider breaks the stream: a partial answer, kept by the browser and continued.
    let q3 = format!("and then? {canary} [upstream text={canary} tokens=12 drop_after=4]");
    let mut history = vec![msg("user", &q1), msg("assistant", &first.text), msg("user", &q3)];
    let mut broken = Answer::default();
    broken.read(&mut private_turn(api, json!({ "messages": history.clone(), "model": "gpt-4o" })).await, None).await;
    assert_eq!(broken.end_kind(), "turn.failed");
    let end = broken.end.as_ref().unwrap();
    assert_eq!(end.data["status"], "partial", "{end:?}");
    assert_eq!(broken.text, format!("{canary} ").repeat(4));
    // Continue: the partial answer last; the new text is appended to it.
    history.push(msg("assistant", &broken.text));
    let mut continued = Answer::default();
    continued.read(&mut private_turn(api, json!({ "messages": history, "model": "gpt-4o" })).await, None).await;
    assert_eq!(continued.end_kind(), "turn.completed");
    assert!(!continued.text.is_empty());

    // 4. Cancelled mid-answer; the text so far stands.
    let q4 = format!("slowly, {canary} [upstream text={canary} tokens=200 delay_ms=50]");
    let mut cancelled = Answer::default();
    let mut reader = private_turn(api, json!({ "messages": [msg("user", &q4)] })).await;
    cancelled.read(&mut reader, Some(3)).await;
    let (s, _) = api.send(Method::POST, &format!("/v1/private/turns/{}/cancel", cancelled.turn), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    cancelled.read(&mut reader, None).await;
    assert_eq!(cancelled.end_kind(), "turn.cancelled");
    assert!(cancelled.text.len() < 200 * (canary.len() + 1));

    // What the server kept: an audit entry per answer, metadata only.
    // (A cancelled answer is recorded once its upstream call has stopped, a moment later.)
    let mut page = Value::Null;
    for _ in 0..100 {
        page = api.get_json("/v1/audit?action=chat.private_turn&limit=50").await;
        if page["items"].as_array().unwrap().len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let entries = page["items"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 5, "{page}");
    for e in &entries {
        let details = &e["details"];
        assert!(
            details["model"].is_string() && details["input_tokens"].is_u64() && details["output_tokens"].is_u64(),
            "{e}"
        );
        assert_eq!(details["conversation_id"], Value::Null, "{e}");
        assert!(!e.to_string().contains(canary), "no content in the audit log: {e}");
    }
    let statuses: Vec<&str> = entries.iter().map(|e| e["details"]["status"].as_str().unwrap()).collect();
    for status in ["completed", "partial", "cancelled"] {
        assert!(statuses.contains(&status), "{statuses:?}");
    }
    // Usage: one event per answer, counted in the caller's usage.
    let usage = api.get_json("/v1/usage").await;
    assert_eq!(usage["today"]["turns"].as_i64().unwrap(), turns_before + 5, "{usage}");
    assert!(usage["today"]["output_tokens"].as_i64().unwrap() > 0, "{usage}");
    assert!(app.server_log().len() > 1000, "the server log is captured (at debug level)");
    entries
}

async fn a_private_chat_leaves_no_content_on_the_server(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    // Everything the server logs, at debug level, is searched too.
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream).env("CONFAB_LOG__LEVEL", "debug")).await;
    let admin = app.admin().await;
    let canary = "okapicanary";
    a_private_chat(&app, &admin, canary).await;
    // The provider did get the history: the relay relays.
    assert!(upstream.requests().iter().any(|r| r.body.to_string().contains(canary)));

    let db = app.db.connect().await;
    assert_eq!(sql_traces(&db, b, canary).await, Vec::<String>::new(), "no table holds the canary");
    if b == Backend::Sqlite {
        // The database files themselves, WAL included: nothing was ever written.
        for entry in std::fs::read_dir(&app.db.dir).unwrap().map(Result::unwrap) {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with("confab.db") {
                let bytes = std::fs::read(entry.path()).unwrap();
                assert!(!bytes.windows(canary.len()).any(|w| w == canary.as_bytes()), "{name} holds the canary");
            }
        }
    }
    let hits = admin.get_json(&format!("/v1/search?q={canary}")).await;
    assert_eq!(hits["items"], json!([]), "{hits}");
    let conversations = admin.get_json("/v1/conversations").await;
    assert_eq!(conversations["items"], json!([]), "no conversation was created: {conversations}");
    assert!(!app.server_log().contains(canary), "the server log holds the canary");
}

/// `GET /v1/private-mode`, the tenant switch, and legal holds that forbid private mode.
async fn tenant_admins_turn_private_mode_off_and_legal_holds_forbid_it(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    let ann_id = app.create_user(&admin, "ann@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let hi = json!({ "messages": [msg("user", "hi")] });

    let status = ann.get_json("/v1/private-mode").await;
    assert_eq!(status["allowed"], true, "allowed by default: {status}");
    assert_eq!(status["resume_secs"], 120);
    let setting = admin.get_json("/v1/tenant/private-mode").await;
    assert_eq!(setting["allowed"], true);
    assert_eq!(setting["updated_at"], Value::Null);
    // Members may neither read nor change the tenant's switch.
    let (s, body) = ann.send(Method::GET, "/v1/tenant/private-mode", None).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    let (s, body) = ann.send(Method::PUT, "/v1/tenant/private-mode", Some(json!({ "allowed": false }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");

    // Off, with a reason members see.
    let reason = "Acme keeps every chat for seven years (records policy 4.2)";
    let (s, set) =
        admin.send(Method::PUT, "/v1/tenant/private-mode", Some(json!({ "allowed": false, "reason": reason }))).await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set["allowed"], false);
    assert_eq!(set["reason"], reason);
    assert!(set["updated_at"].is_string() && set["updated_by"].is_string(), "{set}");
    let status = ann.get_json("/v1/private-mode").await;
    assert_eq!(status["allowed"], false);
    assert_eq!(status["reason"], reason);
    let before = upstream.calls();
    let (s, body) = private_refused(&ann, hi.clone()).await;
    assert_eq!(error_code(s, &body, 403), "private_mode_disabled");
    assert!(body["error"]["message"].as_str().unwrap().contains(reason), "{body}");
    assert_eq!(upstream.calls(), before, "nothing was sent");
    assert_eq!(app.audit_count(&admin, "tenant.private_mode_set").await, 1);
    let (s, body) = admin
        .send(Method::PUT, "/v1/tenant/private-mode", Some(json!({ "allowed": true, "reason": "x".repeat(501) })))
        .await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    let (s, _) = admin.send(Method::PUT, "/v1/tenant/private-mode", Some(json!({ "allowed": true }))).await;
    assert_eq!(s, StatusCode::OK);
    let mut answer = Answer::default();
    answer.read(&mut private_turn(&ann, hi.clone()).await, None).await;
    assert_eq!(answer.end_kind(), "turn.completed");

    // A tenant-wide legal hold forbids it while it lasts, whatever the switch says.
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "tenant", "case_name": "Acme v. Initech", "reason": "litigation" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    let setting = admin.get_json("/v1/tenant/private-mode").await;
    assert_eq!(setting["allowed"], true);
    assert_eq!(setting["legal_hold"], "Acme v. Initech");
    let status = ann.get_json("/v1/private-mode").await;
    assert_eq!(status["allowed"], false);
    assert!(status["reason"].as_str().unwrap().contains("legal hold"), "{status}");
    let (s, body) = private_refused(&ann, hi.clone()).await;
    assert_eq!(error_code(s, &body, 403), "private_mode_disabled");
    let (s, _) = admin
        .send(Method::POST, &format!("/v1/tenant/legal-holds/{}/release", hold["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ann.get_json("/v1/private-mode").await["allowed"], true);

    // A hold on one user forbids it for that user only, without telling them of the hold.
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "user", "subject_id": ann_id, "case_name": "Internal review 17", "reason": "HR" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    let status = ann.get_json("/v1/private-mode").await;
    assert_eq!(status["allowed"], false);
    let reason = status["reason"].as_str().unwrap();
    assert!(!reason.contains("hold") && !reason.contains("Internal review"), "{status}");
    let (s, body) = private_refused(&ann, hi.clone()).await;
    assert_eq!(error_code(s, &body, 403), "private_mode_disabled");
    assert!(!body.to_string().contains("Internal review"), "{body}");
    assert_eq!(admin.get_json("/v1/private-mode").await["allowed"], true, "others are not affected");
    assert_eq!(admin.get_json("/v1/tenant/private-mode").await["legal_hold"], Value::Null, "not a tenant-wide hold");
}

/// Bad input is refused before anything is sent; answers are their owner's only; the history is
/// fitted to the model's window, oldest first out.
async fn private_turns_are_validated_owned_and_fitted_to_the_window(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default().upstream(&upstream).env("CONFAB_CHAT__MAX_MESSAGE_CHARS", "1000");
    let app = TestApp::spawn_with(b, opts).await;
    let admin = app.admin().await;
    app.create_user(&admin, "bob@acme.example", "member").await;
    let bob = app.login("bob@acme.example", PASSWORD).await;

    let cases = [
        (json!({ "messages": [] }), 422, "validation_failed"),
        (json!({ "messages": [msg("assistant", "hello")] }), 422, "validation_failed"),
        (json!({ "messages": [msg("user", "  ")] }), 422, "validation_failed"),
        (json!({ "messages": [msg("user", &"x".repeat(1001))] }), 422, "validation_failed"),
        (json!({ "messages": vec![msg("user", "hi"); 501] }), 422, "validation_failed"),
        (json!({ "messages": [msg("user", "hi")], "model": "no-such-model" }), 404, "not_found"),
        (json!({ "messages": [msg("user", "hi")], "preset_id": uuid::Uuid::new_v4() }), 404, "not_found"),
        (json!({ "messages": [msg("system", "hi")] }), 400, "bad_request"),
        (json!({ "messages": [msg("user", "hi")], "stored": true }), 400, "bad_request"),
    ];
    for (body, status, code) in cases {
        let (s, err) = private_refused(&admin, body.clone()).await;
        assert_eq!(error_code(s, &err, status), code, "{body}");
    }
    assert_eq!(upstream.calls(), 0, "nothing was sent");

    // Owned: another user neither resumes nor cancels my answer.
    let mut reader =
        private_turn(&admin, json!({ "messages": [msg("user", "[upstream tokens=100 delay_ms=30] go")] })).await;
    let mut mine = Answer::default();
    mine.read(&mut reader, Some(2)).await;
    let resp = resume(&bob, &mine.turn, None).await;
    assert_eq!(resp.status(), 404);
    let (s, body) = bob.send(Method::POST, &format!("/v1/private/turns/{}/cancel", mine.turn), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let resp = resume(&admin, &uuid::Uuid::new_v4().to_string(), None).await;
    assert_eq!(resp.status(), 404);
    // An id this answer never handed out is refused.
    let resp = resume(&admin, &mine.turn, Some("not-a-number")).await;
    assert_eq!(resp.status(), 422);
    mine.read(&mut reader, None).await;
    assert_eq!(mine.end_kind(), "turn.completed");

    // The history is fitted: with 1,000-character messages the server sends at most 4,000
    // characters, newest first; `turn.created` says how many were left out.
    let long = |i: usize| format!("{i:03} {}", "y".repeat(700));
    let mut history: Vec<Value> =
        (0..10).map(|i| msg(if i % 2 == 0 { "user" } else { "assistant" }, &long(i))).collect();
    history.push(msg("user", "the question [upstream tokens=2]"));
    let mut reader = private_turn(&admin, json!({ "messages": history })).await;
    let created = reader.next().await.unwrap();
    assert_eq!(created.event, "turn.created");
    let dropped = created.data["dropped_messages"].as_u64().unwrap();
    assert!(dropped >= 6, "{created:?}");
    let mut fitted = Answer::default();
    fitted.take(created);
    fitted.read(&mut reader, None).await;
    assert_eq!(fitted.end_kind(), "turn.completed");
    let sent = upstream.requests().last().unwrap().body.to_string();
    assert!(sent.contains("the question") && sent.contains("009 yyy"), "the newest are sent");
    assert!(!sent.contains("000 yyy"), "the oldest is left out");
}

/// "Move to my saved history": a private chat becomes a normal conversation, searchable, its
/// owner's only.
async fn a_private_chat_saved_into_history_is_a_normal_searchable_conversation(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    app.create_user(&admin, "bob@acme.example", "member").await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    let body = json!({
        "messages": [
            { "role": "user", "content": "what eats a pangolinsaved?" },
            { "role": "assistant", "content": "ants, mostly", "model": "gpt-4o" },
            { "role": "user", "content": "and the pangolinsaved sleeps where?" },
            { "role": "assistant", "content": "in burrows, and", "status": "partial", "model": "claude" },
        ],
    });
    let (s, saved) = admin.send(Method::POST, "/v1/conversations/import", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{saved}");
    let conv = saved["conversation"]["id"].as_str().unwrap().to_string();
    assert_eq!(saved["conversation"]["title"], "what eats a pangolinsaved?");
    let messages = saved["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[3]["status"], "partial");
    assert_eq!(messages[3]["model"], "claude");
    assert_eq!(messages[1]["parent_id"], messages[0]["id"], "one branch, in order");
    // Searchable like any conversation, and the partial answer can be continued.
    let hits = admin.get_json("/v1/search?q=pangolinsaved").await;
    assert!(hits["items"].as_array().unwrap().iter().any(|h| h["conversation_id"] == conv.as_str()), "{hits}");
    let (s, turn) = admin
        .post_idem(&format!("/v1/messages/{}/continue", messages[3]["id"].as_str().unwrap()), "c1", json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{turn}");
    assert_eq!(admin.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await["status"], "completed");
    assert_eq!(app.audit_count(&admin, "conversation.imported").await, 1);
    // Its owner's only.
    let (s, body) = bob.send(Method::GET, &format!("/v1/conversations/{conv}"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    assert_eq!(bob.get_json("/v1/search?q=pangolinsaved").await["items"], json!([]));

    // Bad input changes nothing.
    let cases = [
        json!({ "messages": [] }),
        json!({ "messages": [{ "role": "system", "content": "x" }] }),
        json!({ "messages": [{ "role": "user", "content": " " }] }),
        json!({ "messages": [{ "role": "user", "content": "x", "status": "partial" }] }),
        json!({ "messages": [{ "role": "assistant", "content": "x", "status": "streaming" }] }),
        json!({ "messages": [{ "role": "user", "content": "x" }], "title": "" }),
    ];
    for body in cases {
        let (s, err) = admin.send(Method::POST, "/v1/conversations/import", Some(body.clone())).await;
        assert_eq!(error_code(s, &err, 422), "validation_failed", "{body}");
    }
    let list = admin.get_json("/v1/conversations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    // With an idempotency key, a retry (after a lost response) answers the saved conversation
    // instead of saving a copy, also when the retries race; another body under the key is a 422.
    let again = json!({ "title": "Saved once", "messages": [{ "role": "user", "content": "keep me once" }] });
    let (s, first) = bob.post_idem("/v1/conversations/import", "save-1", again.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, retry) = bob.post_idem("/v1/conversations/import", "save-1", again.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{retry}");
    assert_eq!(retry["conversation"]["id"], first["conversation"]["id"]);
    assert_eq!(retry["messages"], first["messages"]);
    let raced = json!({ "messages": [{ "role": "user", "content": "raced" }] });
    let calls = (0..4).map(|_| bob.post_idem("/v1/conversations/import", "save-2", raced.clone()));
    let answers = futures::future::join_all(calls).await;
    for (s, v) in &answers {
        assert_eq!(*s, StatusCode::CREATED, "{v}");
        assert_eq!(v["conversation"]["id"], answers[0].1["conversation"]["id"], "one conversation for one key");
    }
    let (s, err) = bob
        .post_idem(
            "/v1/conversations/import",
            "save-1",
            json!({ "messages": [{ "role": "user", "content": "other" }] }),
        )
        .await;
    assert_eq!(error_code(s, &err, 422), "idempotency_key_reused", "{err}");
    // Bob's key is his own: the admin's same key saves the admin's own copy.
    let (s, admins) = admin.post_idem("/v1/conversations/import", "save-1", again.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{admins}");
    assert_ne!(admins["conversation"]["id"], first["conversation"]["id"]);
    let (s, err) = bob.post_idem("/v1/conversations/import", "", again.clone()).await;
    assert_eq!(error_code(s, &err, 422), "validation_failed", "{err}");
    let list = bob.get_json("/v1/conversations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "one per key: {list}");
    assert_eq!(app.audit_count(&admin, "conversation.imported").await, 4);
}

both_backends!(
    a_private_chat_leaves_no_content_on_the_server,
    tenant_admins_turn_private_mode_off_and_legal_holds_forbid_it,
    private_turns_are_validated_owned_and_fitted_to_the_window,
    a_private_chat_saved_into_history_is_a_normal_searchable_conversation,
);

/// The same private chat with Redis (several replicas' tier) and OpenSearch configured: neither
/// holds the canary afterwards, nor does any table or the log. In the search stage (`opensearch::`).
pub(crate) mod opensearch {
    use super::*;
    use confab_tests::opensearch as os;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_private_chat_leaves_nothing_in_redis_or_opensearch() {
        let b = Backend::Postgres;
        let upstream = ScriptedUpstream::start().await;
        let redis = confab_tests::redis::RedisServer::start();
        let url = os::shared_url();
        let prefix = os::random_prefix();
        let opts = os::options(Options::default().upstream(&upstream), &url, &prefix)
            .env("CONFAB_REDIS__URL", &redis.url())
            .env("CONFAB_LOG__LEVEL", "debug");
        let app = TestApp::spawn_with(b, opts).await;
        let admin = app.admin().await;
        // A normal conversation with its own canary: the stores are seen to hold what they get.
        let conv = admin.conversation().await;
        let (s, turn) = admin
            .post_idem(
                &format!("/v1/conversations/{conv}/messages"),
                "k1",
                json!({ "content": "[upstream text=savedcanary] savedcanary" }),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{turn}");
        admin.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await;

        let canary = "tapircanary";
        a_private_chat(&app, &admin, canary).await;
        os::wait_indexed(&app, &url, &prefix).await;
        assert!(crate::opensearch::os_traces(&url, &prefix, "savedcanary").await >= 2, "OpenSearch holds saved chats");
        assert!(!crate::opensearch::redis_traces(&redis, "savedcanary").await.is_empty(), "Redis holds saved answers");
        assert_eq!(crate::opensearch::os_traces(&url, &prefix, canary).await, 0, "the private canary in OpenSearch");
        assert_eq!(crate::opensearch::redis_traces(&redis, canary).await, Vec::<String>::new(), "in Redis");
        let db = app.db.connect().await;
        assert_eq!(sql_traces(&db, b, canary).await, Vec::<String>::new(), "in a table");
        assert!(!sql_traces(&db, b, "savedcanary").await.is_empty(), "the check sees saved text");
        assert!(!app.server_log().contains(canary), "in the log");
    }
}

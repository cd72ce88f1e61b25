//! Share snapshots: immutable copies of a branch, their visibility (tenant, listed users,
//! public links under the tenant's setting), expiry and revocation, the viewer log, who may
//! manage them, and the audit trail.
use confab_tests::*;
use reqwest::{Method, StatusCode};
use sea_orm::prelude::DateTimeUtc;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

async fn setup(b: Backend, opts: Options) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, opts.upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// Creates a member of the admin's tenant and signs them in; returns (id, client).
async fn member(app: &TestApp, admin: &Api, name: &str) -> (String, Api) {
    let email = format!("{name}@acme.example");
    let id = app.create_user(admin, &email, "member").await;
    (id, app.login(&email, PASSWORD).await)
}

/// Sends a message on the active branch and waits for its answer; returns (user, assistant) ids.
async fn turn(api: &Api, conv: &str, key: &str, content: &str) -> (String, String) {
    let (s, t) = api
        .post_idem(&format!("/v1/conversations/{conv}/messages"), key, json!({ "content": content, "model": "gpt-4o" }))
        .await;
    assert_eq!(s, 202, "{t}");
    let assistant = t["assistant_message"]["id"].as_str().unwrap().to_string();
    api.wait_final(&assistant).await;
    (t["user_message"]["id"].as_str().unwrap().to_string(), assistant)
}

/// A conversation with two finished exchanges; returns (conversation, [u1, a1, u2, a2]).
async fn two_exchanges(api: &Api) -> (String, Vec<String>) {
    let conv = api.conversation().await;
    let (u1, a1) = turn(api, &conv, "q1", "first question [upstream tokens=2 text=alpha]").await;
    let (u2, a2) = turn(api, &conv, "q2", "second question [upstream tokens=3 text=beta]").await;
    (conv, vec![u1, a1, u2, a2])
}

async fn share(api: &Api, conv: &str, body: Value) -> Value {
    let (s, share) = api.send(Method::POST, &format!("/v1/conversations/{conv}/shares"), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{share}");
    share
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn rfc3339_in(secs_from_now: i64) -> String {
    let now = SystemTime::now();
    let at = if secs_from_now >= 0 {
        now + Duration::from_secs(secs_from_now as u64)
    } else {
        now - Duration::from_secs(secs_from_now.unsigned_abs())
    };
    DateTimeUtc::from(at).to_rfc3339()
}

async fn expect_404(api: &Api, path: &str) {
    let (s, body) = api.send(Method::GET, path, None).await;
    assert_eq!(error_code(s, &body, 404), "not_found", "GET {path}");
}

/// (role, content, model, status) of each message of a snapshot.
fn contents(snapshot: &Value) -> Vec<(String, String, String, String)> {
    snapshot["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                m["content"].as_str().unwrap().to_string(),
                m["model"].as_str().unwrap_or("").to_string(),
                m["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

async fn a_snapshot_never_changes_after_its_source_does(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (_, colleague) = member(&app, &admin, "colleague").await;
    let (conv, ids) = two_exchanges(&admin).await;
    let source = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    let created = share(&admin, &conv, json!({ "visibility": "tenant" })).await;
    let sid = id(&created);
    assert_eq!(created["status"], "active");
    assert_eq!(created["message_count"], 4);
    assert_eq!(created["title"], source["conversation"]["title"]);
    assert_eq!(created["source_conversation_id"], conv.as_str());
    assert_eq!(created["link"], Value::Null);
    assert_eq!(created["has_link"], false);

    let path = format!("/v1/snapshots/{sid}");
    let original = colleague.get_json(&path).await;
    let expected: Vec<(&str, &str, &str)> = vec![
        ("user", "first question [upstream tokens=2 text=alpha]", "completed"),
        ("assistant", "alpha alpha ", "completed"),
        ("user", "second question [upstream tokens=3 text=beta]", "completed"),
        ("assistant", "beta beta beta ", "completed"),
    ];
    let got = contents(&original);
    assert_eq!(got.iter().map(|g| (g.0.as_str(), g.1.as_str(), g.3.as_str())).collect::<Vec<_>>(), expected);
    assert_eq!(original["messages"][1]["model"], "gpt-4o");
    assert_eq!(original["messages"][3]["model"], "gpt-4o");
    // The copy keeps each message's own time, and positions count from the root.
    for (i, m) in original["messages"].as_array().unwrap().iter().enumerate() {
        assert_eq!(m["position"], i);
        assert_eq!(m["created_at"], source["messages"][i]["created_at"], "message {i} keeps its time");
        assert_eq!(keys(m), ["content", "created_at", "model", "position", "role", "status"], "no ids leak: {m}");
    }
    assert_eq!(keys(&original), ["expires_at", "messages", "shared_at", "shared_by", "title"]);
    assert_eq!(original["shared_by"], "admin");
    let text = original.to_string();
    for secret in ids.iter().chain([&conv]) {
        assert!(!text.contains(secret.as_str()), "the snapshot leaks a source id: {text}");
    }

    // A share of an earlier leaf copies only the branch up to it.
    let early =
        share(&admin, &conv, json!({ "visibility": "tenant", "leaf_message_id": ids[1], "title": "Just the start" }))
            .await;
    let early_snapshot = colleague.get_json(&format!("/v1/snapshots/{}", id(&early))).await;
    assert_eq!(early_snapshot["title"], "Just the start");
    assert_eq!(
        contents(&early_snapshot).iter().map(|c| c.1.as_str()).collect::<Vec<_>>(),
        ["first question [upstream tokens=2 text=alpha]", "alpha alpha "]
    );

    // Edit the second question: a new branch becomes active.
    let (s, edited) = admin
        .post_idem(
            &format!("/v1/messages/{}/edit", ids[2]),
            "edit",
            json!({ "content": "edited [upstream tokens=1 text=gamma]" }),
        )
        .await;
    assert_eq!(s, 202, "{edited}");
    admin.wait_final(edited["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(colleague.get_json(&path).await, original, "an edit changed the snapshot");
    // Regenerate the edited answer with another model.
    let new_answer = edited["assistant_message"]["id"].as_str().unwrap();
    let (s, regen) =
        admin.post_idem(&format!("/v1/messages/{new_answer}/regenerate"), "regen", json!({ "model": "claude" })).await;
    assert_eq!(s, 202, "{regen}");
    admin.wait_final(regen["assistant_message"]["id"].as_str().unwrap()).await;
    // Regenerate the shared answer itself, too.
    let (s, regen) =
        admin.post_idem(&format!("/v1/messages/{}/regenerate", ids[3]), "regen2", json!({ "model": "claude" })).await;
    assert_eq!(s, 202, "{regen}");
    admin.wait_final(regen["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(colleague.get_json(&path).await, original, "a regeneration changed the snapshot");
    // Continue the conversation from the shared leaf.
    let (s, _) = admin
        .send(Method::PUT, &format!("/v1/conversations/{conv}/active-branch"), Some(json!({ "message_id": ids[3] })))
        .await;
    assert_eq!(s, 200);
    turn(&admin, &conv, "q3", "third question [upstream tokens=1 text=delta]").await;
    let now_source = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(now_source["messages"].as_array().unwrap().len(), 6, "the source did move on");
    assert_eq!(colleague.get_json(&path).await, original, "a later turn appeared in the snapshot");
    assert_eq!(admin.get_json(&path).await, original);
    // Delete the source.
    let (s, _) = admin.send(Method::DELETE, &format!("/v1/conversations/{conv}"), None).await;
    assert_eq!(s, 204);
    assert_eq!(colleague.get_json(&path).await, original, "deleting the source changed the snapshot");
    assert_eq!(colleague.get_json(&format!("/v1/snapshots/{}", id(&early))).await, early_snapshot);
    let detail = admin.get_json(&format!("/v1/shares/{sid}")).await;
    assert_eq!(detail["message_count"], 4);
    assert_eq!(detail["status"], "active");
}

async fn continuing_a_partial_answer_does_not_grow_its_snapshot(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (_, colleague) = member(&app, &admin, "colleague").await;
    let conv = admin.conversation().await;
    let (_, answer) = turn(&admin, &conv, "q", "[upstream drop_after=2 tokens=6] go").await;
    let partial = admin.get_json(&format!("/v1/messages/{answer}")).await;
    assert_eq!(partial["status"], "partial");
    assert_eq!(partial["content"], "t0 t1 ");
    let sid = id(&share(&admin, &conv, json!({ "visibility": "tenant" })).await);
    let path = format!("/v1/snapshots/{sid}");
    let original = colleague.get_json(&path).await;
    assert_eq!(original["messages"][1]["content"], "t0 t1 ");
    assert_eq!(original["messages"][1]["status"], "partial");
    // Continue the same message in place: its text grows in the source.
    let (s, body) = admin.post_idem(&format!("/v1/messages/{answer}/continue"), "c", json!(null)).await;
    assert_eq!(s, 202, "{body}");
    let grown = admin.wait_final(&answer).await;
    assert!(grown["content"].as_str().unwrap().len() > "t0 t1 ".len(), "{grown}");
    assert_eq!(colleague.get_json(&path).await, original);
}

async fn sharing_refuses_unfinished_branches_and_bad_input(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (alice_id, alice) = member(&app, &admin, "alice").await;
    let (_, globex) = app.second_tenant("globex").await;
    let globex_me = globex.get_json("/v1/me").await;
    let globex_user = globex_me["id"].as_str().unwrap().to_string();
    let (conv, ids) = two_exchanges(&admin).await;
    let other_conv = admin.conversation().await;
    let (_, other_answer) = turn(&admin, &other_conv, "o", "elsewhere").await;
    let shares = format!("/v1/conversations/{conv}/shares");

    // An answer still being written.
    let streaming_conv = admin.conversation().await;
    let (s, t) = admin
        .post_idem(
            &format!("/v1/conversations/{streaming_conv}/messages"),
            "slow",
            json!({ "content": "[upstream tokens=60 delay_ms=50] slow", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, 202);
    let (s, body) = admin
        .send(
            Method::POST,
            &format!("/v1/conversations/{streaming_conv}/shares"),
            Some(json!({ "visibility": "tenant" })),
        )
        .await;
    assert_eq!(error_code(s, &body, 409), "conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains("still being written"), "{body}");
    // …and a finished answer on a branch shares fine once done.
    admin.wait_final(t["assistant_message"]["id"].as_str().unwrap()).await;
    let empty = admin.conversation().await;
    let (s, body) = admin
        .send(Method::POST, &format!("/v1/conversations/{empty}/shares"), Some(json!({ "visibility": "tenant" })))
        .await;
    assert_eq!(error_code(s, &body, 409), "conflict", "nothing to share yet");

    let bad: Vec<(Value, &str)> = vec![
        (json!({ "visibility": "tenant", "leaf_message_id": other_answer }), "leaf_message_id"),
        (json!({ "visibility": "tenant", "leaf_message_id": uuid::Uuid::now_v7() }), "leaf_message_id"),
        (json!({ "visibility": "tenant", "expires_at": rfc3339_in(-60) }), "expires_at"),
        (json!({ "visibility": "tenant", "expires_at": rfc3339_in(400 * 86_400) }), "expires_at"),
        (json!({ "visibility": "tenant", "user_ids": [alice_id] }), "user_ids"),
        (json!({ "visibility": "users" }), "user_ids"),
        (json!({ "visibility": "users", "user_ids": [] }), "user_ids"),
        (json!({ "visibility": "users", "user_ids": [globex_user] }), "user_ids"),
        (json!({ "visibility": "users", "user_ids": [uuid::Uuid::now_v7()] }), "user_ids"),
        (json!({ "visibility": "tenant", "title": "   " }), "title"),
    ];
    for (body, field) in bad {
        let (s, resp) = admin.send(Method::POST, &shares, Some(body.clone())).await;
        assert_eq!(error_code(s, &resp, 422), "validation_failed", "{body}");
        assert_eq!(resp["error"]["field"], field, "{body}: {resp}");
    }
    for body in
        [json!({ "visibility": "everyone" }), json!({ "visibility": "tenant", "owner_id": alice_id }), json!({})]
    {
        let (s, resp) = admin.send(Method::POST, &shares, Some(body.clone())).await;
        assert_eq!(s, 400, "{body}: {resp}");
    }
    // Another user's or another tenant's conversation: 404.
    for api in [&alice, &globex] {
        let (s, resp) = api.send(Method::POST, &shares, Some(json!({ "visibility": "tenant" }))).await;
        assert_eq!(error_code(s, &resp, 404), "not_found");
        let (s, resp) =
            api.send(Method::POST, &shares, Some(json!({ "visibility": "tenant", "leaf_message_id": ids[3] }))).await;
        assert_eq!(error_code(s, &resp, 404), "not_found");
    }
    let (s, _) = app.anonymous().send(Method::POST, &shares, Some(json!({ "visibility": "tenant" }))).await;
    assert_eq!(s, 401);
    // Nothing was written.
    assert_eq!(admin.get_json("/v1/shares").await["items"], json!([]));
    assert_eq!(admin.get_json("/v1/tenant/shares").await["items"], json!([]));
    assert_eq!(app.audit_count(&admin, "share.created").await, 0);
}

async fn revoked_and_expired_shares_are_not_found(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (_, colleague) = member(&app, &admin, "colleague").await;
    let (conv, _) = two_exchanges(&admin).await;

    let revoked = id(&share(&admin, &conv, json!({ "visibility": "tenant" })).await);
    let path = format!("/v1/snapshots/{revoked}");
    assert_eq!(colleague.get_json(&path).await["messages"].as_array().unwrap().len(), 4);
    let (s, _) = admin.send(Method::DELETE, &format!("/v1/shares/{revoked}"), None).await;
    assert_eq!(s, 204);
    expect_404(&colleague, &path).await;
    expect_404(&admin, &path).await;
    // Revoking again changes nothing and is not audited twice.
    let (s, _) = admin.send(Method::DELETE, &format!("/v1/shares/{revoked}"), None).await;
    assert_eq!(s, 204);
    assert_eq!(app.audit_count(&admin, "share.revoked").await, 1);
    let detail = admin.get_json(&format!("/v1/shares/{revoked}")).await;
    assert_eq!(detail["status"], "revoked");
    assert!(detail["revoked_at"].is_string());

    // A short expiry: readable, then gone.
    let expiring = share(&admin, &conv, json!({ "visibility": "tenant", "expires_at": rfc3339_in(3) })).await;
    assert!(expiring["expires_at"].is_string());
    let path = format!("/v1/snapshots/{}", id(&expiring));
    let snapshot = colleague.get_json(&path).await;
    assert_eq!(snapshot["expires_at"], expiring["expires_at"]);
    let active = admin.get_json("/v1/shares?status=active").await;
    assert_eq!(active["items"].as_array().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    expect_404(&colleague, &path).await;
    expect_404(&admin, &path).await;
    assert_eq!(admin.get_json(&format!("/v1/shares/{}", id(&expiring))).await["status"], "expired");
    let expired = admin.get_json("/v1/shares?status=expired").await;
    assert_eq!(expired["items"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), [id(&expiring)]);
    assert_eq!(admin.get_json("/v1/shares?status=active").await["items"], json!([]));
    let revoked_list = admin.get_json("/v1/shares?status=revoked").await;
    assert_eq!(revoked_list["items"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), [revoked]);
}

async fn users_visibility_reaches_only_listed_members(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (_, alice) = member(&app, &admin, "alice").await;
    let (bob_id, bob) = member(&app, &admin, "bob").await;
    let (_, carol) = member(&app, &admin, "carol").await;
    let (_, globex) = app.second_tenant("globex").await;
    let (conv, _) = two_exchanges(&alice).await;

    let listed = share(&alice, &conv, json!({ "visibility": "users", "user_ids": [bob_id] })).await;
    assert_eq!(listed["user_ids"], json!([bob_id]));
    let path = format!("/v1/snapshots/{}", id(&listed));
    let read = bob.get_json(&path).await;
    assert_eq!(read["messages"][3]["content"], "beta beta beta ");
    assert_eq!(read["shared_by"], "alice");
    assert_eq!(alice.get_json(&path).await, read, "the owner always reads it");
    expect_404(&carol, &path).await;
    expect_404(&globex, &path).await;
    expect_404(&admin, &path).await;
    let (s, _) = app.anonymous().send(Method::GET, &path, None).await;
    assert_eq!(s, 401);

    // `tenant` visibility: every member of the tenant, nobody outside it.
    let tenant_wide = id(&share(&alice, &conv, json!({ "visibility": "tenant" })).await);
    let path = format!("/v1/snapshots/{tenant_wide}");
    for api in [&bob, &carol, &admin] {
        assert_eq!(api.get_json(&path).await["messages"].as_array().unwrap().len(), 4);
    }
    expect_404(&globex, &path).await;
    // Nor does another tenant learn of it through the management routes.
    expect_404(&globex, &format!("/v1/shares/{tenant_wide}")).await;
    expect_404(&globex, &format!("/v1/shares/{tenant_wide}/views")).await;
    assert_eq!(globex.get_json("/v1/tenant/shares").await["items"], json!([]));

    // A disabled member can no longer be listed.
    let (dave_id, _) = member(&app, &admin, "dave").await;
    let (s, body) = admin.send(Method::POST, &format!("/v1/users/{dave_id}/disable"), None).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = alice
        .send(
            Method::POST,
            &format!("/v1/conversations/{conv}/shares"),
            Some(json!({ "visibility": "users", "user_ids": [dave_id] })),
        )
        .await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");

    // Members cannot list the tenant's users, so recipients may also be named by e-mail address;
    // an unknown address, another tenant's user and a disabled member get the same refusal.
    let by_email = share(&alice, &conv, json!({ "visibility": "users", "user_emails": ["Carol@acme.example"] })).await;
    let path = format!("/v1/snapshots/{}", id(&by_email));
    assert_eq!(carol.get_json(&path).await["messages"].as_array().unwrap().len(), 4);
    expect_404(&bob, &path).await;
    for stranger in ["nobody@acme.example", "admin@globex.example", "dave@acme.example", "not an address"] {
        let (s, body) = alice
            .send(
                Method::POST,
                &format!("/v1/conversations/{conv}/shares"),
                Some(json!({ "visibility": "users", "user_emails": [stranger] })),
            )
            .await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{stranger}");
        assert_eq!(body["error"]["field"], "user_emails");
        assert!(body["error"]["message"].as_str().unwrap().contains("is not an active member of this tenant"));
    }
}

async fn link_shares_follow_the_tenant_setting(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (_, alice) = member(&app, &admin, "alice").await;
    let anonymous = app.anonymous();
    let (conv, _) = two_exchanges(&alice).await;
    let shares = format!("/v1/conversations/{conv}/shares");

    // Off by default: refused, with a clear reason.
    assert_eq!(alice.get_json("/v1/tenant/sharing").await["links_allowed"], false);
    let (s, body) = alice.send(Method::POST, &shares, Some(json!({ "visibility": "link" }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    assert!(body["error"]["message"].as_str().unwrap().contains("admin must enable"), "{body}");
    // Members cannot change it.
    let (s, body) = alice.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    assert_eq!(app.audit_count(&admin, "share.settings_changed").await, 0);

    let (s, settings) = admin.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(s, 200, "{settings}");
    assert_eq!(settings["links_allowed"], true);
    assert_eq!(alice.get_json("/v1/tenant/sharing").await["links_allowed"], true);
    let created = share(&alice, &conv, json!({ "visibility": "link" })).await;
    let token = created["link"]["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 43, "256 random bits, URL-safe base64");
    assert_eq!(created["link"]["path"], format!("/s/{token}"));
    assert!(created["link"]["url"].as_str().unwrap().ends_with(&format!("/s/{token}")));
    assert_eq!(created["has_link"], true);
    let public = format!("/v1/public/snapshots/{token}");
    let read = anonymous.get_json(&public).await;
    assert_eq!(read["messages"][1]["content"], "alpha alpha ");
    assert_eq!(read.get("shared_by"), None, "signed-out readers do not learn who shared it");
    assert!(!read.to_string().contains(&token));
    // The id alone opens nothing for others; the owner reads it signed in.
    let by_id = format!("/v1/snapshots/{}", id(&created));
    expect_404(&admin, &by_id).await;
    assert_eq!(alice.get_json(&by_id).await["messages"], read["messages"]);
    // Without a master key the link is shown once: the list only says there is one.
    let mine = alice.get_json("/v1/shares").await;
    assert_eq!(mine["items"][0]["has_link"], true);
    assert_eq!(mine["items"][0]["link"], Value::Null);
    // Not the token, nor a near miss.
    let mut wrong = token.clone();
    wrong.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    expect_404(&anonymous, &format!("/v1/public/snapshots/{wrong}")).await;
    expect_404(&anonymous, "/v1/public/snapshots/short").await;
    expect_404(&anonymous, &format!("/v1/public/snapshots/{}", id(&created))).await;

    // Turning links off closes existing links at once; back on, they work again.
    let (s, _) = admin.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": false }))).await;
    assert_eq!(s, 200);
    expect_404(&anonymous, &public).await;
    let (s, body) = alice.send(Method::POST, &shares, Some(json!({ "visibility": "link" }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    let (s, _) = admin.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(s, 200);
    assert_eq!(anonymous.get_json(&public).await, read);
    // A no-op change is not audited.
    let (s, _) = admin.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(s, 200);
    assert_eq!(app.audit_count(&admin, "share.settings_changed").await, 3);

    // Revoked links are gone too.
    let (s, _) = alice.send(Method::DELETE, &format!("/v1/shares/{}", id(&created)), None).await;
    assert_eq!(s, 204);
    expect_404(&anonymous, &public).await;

    // A disabled tenant's links stop working.
    let second = share(&alice, &conv, json!({ "visibility": "link" })).await;
    let second_public = format!("/v1/public/snapshots/{}", second["link"]["token"].as_str().unwrap());
    anonymous.get_json(&second_public).await;
    let acme = admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let (s, body) = admin.send(Method::POST, &format!("/v1/tenants/{acme}/disable"), None).await;
    assert_eq!(s, 200, "{body}");
    expect_404(&anonymous, &second_public).await;
}

async fn a_link_can_be_copied_again_with_a_master_key(b: Backend) {
    let key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    let (_upstream, app, admin) = setup(b, Options::default().env("CONFAB_SECRETS__MASTER_KEY", key)).await;
    let (_, alice) = member(&app, &admin, "alice").await;
    let (conv, _) = two_exchanges(&alice).await;
    let (s, _) = admin.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(s, 200);
    let created = share(&alice, &conv, json!({ "visibility": "link" })).await;
    let sid = id(&created);
    let token = created["link"]["token"].as_str().unwrap();
    let mine = alice.get_json("/v1/shares").await;
    assert_eq!(mine["items"][0]["link"]["token"], token, "the owner copies the same link from the list");
    assert_eq!(alice.get_json(&format!("/v1/shares/{sid}")).await["link"]["token"], token);
    // Tenant admins manage the share but do not get its link.
    assert_eq!(admin.get_json(&format!("/v1/shares/{sid}")).await["link"], Value::Null);
    assert_eq!(admin.get_json("/v1/tenant/shares").await["items"][0]["link"], Value::Null);
    // A revoked link is not offered any more.
    let (s, _) = alice.send(Method::DELETE, &format!("/v1/shares/{sid}"), None).await;
    assert_eq!(s, 204);
    assert_eq!(alice.get_json("/v1/shares").await["items"][0]["link"], Value::Null);
}

async fn the_viewer_log_records_each_read(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (alice_id, alice) = member(&app, &admin, "alice").await;
    let (bob_id, bob) = member(&app, &admin, "bob").await;
    let (_, globex) = app.second_tenant("globex").await;
    let (conv, _) = two_exchanges(&alice).await;
    let sid = id(&share(&alice, &conv, json!({ "visibility": "tenant" })).await);
    let path = format!("/v1/snapshots/{sid}");
    bob.get_json(&path).await;
    bob.get_json(&path).await;
    alice.get_json(&path).await;
    // Refused reads are not views.
    expect_404(&globex, &path).await;

    let views = alice.get_json(&format!("/v1/shares/{sid}/views")).await;
    assert_eq!(views["total"], 3);
    let viewers: Vec<&str> =
        views["items"].as_array().unwrap().iter().map(|v| v["viewer_id"].as_str().unwrap()).collect();
    assert_eq!(viewers, [alice_id.as_str(), bob_id.as_str(), bob_id.as_str()], "newest first");
    assert_eq!(views["items"][1]["viewer_name"], "bob");
    assert_eq!(alice.get_json(&format!("/v1/shares/{sid}")).await["view_count"], 3);
    // Paged.
    let page = alice.get_json(&format!("/v1/shares/{sid}/views?limit=2")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = alice.get_json(&format!("/v1/shares/{sid}/views?limit=2&cursor={cursor}")).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["viewer_id"], bob_id.as_str());
    // Tenant admins see it; other members and other tenants do not.
    assert_eq!(admin.get_json(&format!("/v1/shares/{sid}/views")).await["total"], 3);
    expect_404(&bob, &format!("/v1/shares/{sid}/views")).await;
    expect_404(&globex, &format!("/v1/shares/{sid}/views")).await;

    // Anonymous reads through a link are recorded without a viewer.
    let (s, _) = admin.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(s, 200);
    let link = share(&alice, &conv, json!({ "visibility": "link" })).await;
    app.anonymous().get_json(&format!("/v1/public/snapshots/{}", link["link"]["token"].as_str().unwrap())).await;
    let views = alice.get_json(&format!("/v1/shares/{}/views", id(&link))).await;
    assert_eq!(views["total"], 1);
    assert_eq!(views["items"][0]["viewer_id"], Value::Null);
    assert_eq!(views["items"][0]["viewer_name"], Value::Null);
    assert!(views["items"][0]["viewed_at"].is_string());
}

async fn owners_and_tenant_admins_manage_shares(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    let (alice_id, alice) = member(&app, &admin, "alice").await;
    let (bob_id, bob) = member(&app, &admin, "bob").await;
    let (_, globex) = app.second_tenant("globex").await;
    let (conv, _) = two_exchanges(&alice).await;
    let mut alices = Vec::new();
    for title in ["one", "two", "three"] {
        alices.push(id(&share(&alice, &conv, json!({ "visibility": "tenant", "title": title })).await));
    }
    let bob_conv = bob.conversation().await;
    turn(&bob, &bob_conv, "b", "bob asks").await;
    let bobs = id(&share(&bob, &bob_conv, json!({ "visibility": "tenant" })).await);

    // My shares, newest first, paged.
    let page = alice.get_json("/v1/shares?limit=2").await;
    let titles: Vec<&str> = page["items"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["three", "two"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = alice.get_json(&format!("/v1/shares?limit=2&cursor={cursor}")).await;
    assert_eq!(rest["items"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), [alices[0].clone()]);
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_eq!(
        bob.get_json("/v1/shares").await["items"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(),
        [bobs.as_str()]
    );

    // A member cannot see, revoke or read the views of another member's share, nor manage the tenant's.
    expect_404(&bob, &format!("/v1/shares/{}", alices[0])).await;
    let (s, body) = bob.send(Method::DELETE, &format!("/v1/shares/{}", alices[0]), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let (s, body) = bob.send(Method::GET, "/v1/tenant/shares", None).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    let (s, body) = bob.send(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": true }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    assert_eq!(admin.get_json("/v1/tenant/sharing").await["links_allowed"], false);
    // Nor can another tenant.
    let (s, body) = globex.send(Method::DELETE, &format!("/v1/shares/{}", alices[0]), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    assert_eq!(alice.get_json(&format!("/v1/shares/{}", alices[0])).await["status"], "active");
    assert_eq!(bob.get_json(&format!("/v1/snapshots/{}", alices[0])).await["title"], "one");

    // The owner revokes.
    let (s, _) = alice.send(Method::DELETE, &format!("/v1/shares/{}", alices[1]), None).await;
    assert_eq!(s, 204);
    // A tenant admin lists everything and revokes anyone's.
    let all = admin.get_json("/v1/tenant/shares").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    assert_eq!(all["items"][0]["owner_id"], bob_id.as_str());
    let detail = admin.get_json(&format!("/v1/shares/{bobs}")).await;
    assert_eq!(detail["owner_id"], bob_id.as_str());
    let (s, _) = admin.send(Method::DELETE, &format!("/v1/shares/{bobs}"), None).await;
    assert_eq!(s, 204);
    expect_404(&alice, &format!("/v1/snapshots/{bobs}")).await;
    assert_eq!(bob.get_json(&format!("/v1/shares/{bobs}")).await["status"], "revoked");
    let revoked = admin.get_json("/v1/tenant/shares?status=revoked").await;
    let mut revoked_ids: Vec<String> = revoked["items"].as_array().unwrap().iter().map(id).collect();
    revoked_ids.sort();
    let mut expected = vec![alices[1].clone(), bobs.clone()];
    expected.sort();
    assert_eq!(revoked_ids, expected);
    let active = admin.get_json("/v1/tenant/shares?status=active").await;
    assert_eq!(
        active["items"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(),
        [alices[2].clone(), alices[0].clone()]
    );
    let of_alice = admin.get_json(&format!("/v1/tenant/shares?owner_id={alice_id}")).await;
    assert_eq!(of_alice["items"].as_array().unwrap().len(), 3);

    // Audited: three plus one created, two revoked, with the share as target.
    assert_eq!(app.audit_count(&admin, "share.created").await, 4);
    assert_eq!(app.audit_count(&admin, "share.revoked").await, 2);
    let entries = admin.get_json("/v1/audit?action=share.revoked&limit=10").await;
    let targets: Vec<&str> =
        entries["items"].as_array().unwrap().iter().map(|e| e["target_id"].as_str().unwrap()).collect();
    assert!(targets.contains(&bobs.as_str()) && targets.contains(&alices[1].as_str()), "{entries}");
    let created = admin.get_json("/v1/audit?action=share.created&limit=10").await;
    assert!(
        created["items"].as_array().unwrap().iter().all(|e| !e["details"].to_string().contains("alpha")),
        "no content in the audit log"
    );

    // No credential.
    for path in ["/v1/shares", "/v1/tenant/shares", "/v1/tenant/sharing", &format!("/v1/shares/{}", alices[0])] {
        let (s, _) = app.anonymous().send(Method::GET, path, None).await;
        assert_eq!(s, 401, "{path}");
    }
}

both_backends!(
    a_snapshot_never_changes_after_its_source_does,
    continuing_a_partial_answer_does_not_grow_its_snapshot,
    sharing_refuses_unfinished_branches_and_bad_input,
    revoked_and_expired_shares_are_not_found,
    users_visibility_reaches_only_listed_members,
    link_shares_follow_the_tenant_setting,
    a_link_can_be_copied_again_with_a_master_key,
    the_viewer_log_records_each_read,
    owners_and_tenant_admins_manage_shares,
);

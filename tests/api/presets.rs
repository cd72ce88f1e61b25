//! Presets: immutable versions, pinning, explicit switches, diffs, model restrictions and who
//! may manage which presets.
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

async fn create_preset(api: &Api, body: Value) -> Value {
    let (s, p) = api.send(Method::POST, "/v1/presets", Some(body)).await;
    assert_eq!(s, 201, "{p}");
    p
}

/// Sends `content` in `conv` and waits for the answer; returns the upstream request it caused.
async fn turn(api: &Api, upstream: &ScriptedUpstream, conv: &str, key: &str, content: &str) -> Value {
    let before = upstream.calls();
    let (s, body) =
        api.post_idem(&format!("/v1/conversations/{conv}/messages"), key, json!({ "content": content })).await;
    assert_eq!(s, 202, "{body}");
    let done = api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(upstream.calls(), before + 1);
    upstream.requests().last().unwrap().body.clone()
}

fn system_prompt(request: &Value) -> Option<String> {
    let first = &request["messages"][0];
    (first["role"] == "system").then(|| first["content"].as_str().unwrap().to_string())
}

async fn a_preset_edit_keeps_pinned_conversations_and_an_explicit_switch_moves_them(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let preset = create_preset(
        &admin,
        json!({ "source": "tenant", "name": "Reviewer", "model": "gpt-4o", "system_prompt": "You are Alpha.",
                "temperature": 0.25, "max_tokens": 100 }),
    )
    .await;
    let id = preset["id"].as_str().unwrap();
    assert_eq!(preset["source"], "tenant");
    assert_eq!(preset["current"]["version"], 1);
    let v1 = preset["current"]["id"].as_str().unwrap().to_string();

    let (s, conv) = admin.send(Method::POST, "/v1/conversations", Some(json!({ "preset_id": id }))).await;
    assert_eq!(s, 201, "{conv}");
    assert_eq!(conv["preset_version_id"], v1.as_str());
    let conv = conv["id"].as_str().unwrap().to_string();

    // Sending with the preset uses its settings: system prompt, model, temperature, output cap.
    let sent = turn(&admin, &upstream, &conv, "k1", "hello").await;
    assert_eq!(system_prompt(&sent).as_deref(), Some("You are Alpha."));
    assert_eq!(sent["model"], "gpt-4o");
    assert_eq!(sent["temperature"], 0.25);
    let cap = sent["max_completion_tokens"].as_u64().or(sent["max_tokens"].as_u64());
    assert_eq!(cap, Some(100));

    // An edit writes version 2; the pinned conversation keeps version 1.
    let (s, edited) = admin
        .send(
            Method::PUT,
            &format!("/v1/presets/{id}"),
            Some(json!({ "base_version": 1, "name": "Reviewer", "model": "gpt-4o",
                         "system_prompt": "You are Beta.", "temperature": 0.5 })),
        )
        .await;
    assert_eq!(s, 200, "{edited}");
    assert_eq!(edited["current"]["version"], 2);
    let v2 = edited["current"]["id"].as_str().unwrap().to_string();
    assert_ne!(v1, v2);
    let sent = turn(&admin, &upstream, &conv, "k2", "again").await;
    assert_eq!(system_prompt(&sent).as_deref(), Some("You are Alpha."), "the pinned version must not change");
    assert_eq!(sent["temperature"], 0.25);
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["preset"]["version"], 1);
    assert_eq!(detail["conversation"]["preset_version_id"], v1.as_str());

    // A new conversation pins the current version.
    let (_, fresh) = admin.send(Method::POST, "/v1/conversations", Some(json!({ "preset_id": id }))).await;
    assert_eq!(fresh["preset_version_id"], v2.as_str());
    let sent = turn(&admin, &upstream, fresh["id"].as_str().unwrap(), "k3", "hi").await;
    assert_eq!(system_prompt(&sent).as_deref(), Some("You are Beta."));

    // An explicit switch moves the first conversation to version 2.
    let (s, switched) =
        admin.send(Method::PUT, &format!("/v1/conversations/{conv}/preset"), Some(json!({ "preset_id": id }))).await;
    assert_eq!(s, 200, "{switched}");
    assert_eq!(switched["preset_version_id"], v2.as_str());
    let sent = turn(&admin, &upstream, &conv, "k4", "and now").await;
    assert_eq!(system_prompt(&sent).as_deref(), Some("You are Beta."));
    assert_eq!(sent["temperature"], 0.5);

    // Switching to none drops the system prompt.
    let (s, cleared) =
        admin.send(Method::PUT, &format!("/v1/conversations/{conv}/preset"), Some(json!({ "preset_id": null }))).await;
    assert_eq!(s, 200);
    assert!(cleared["preset_version_id"].is_null());
    let sent = turn(&admin, &upstream, &conv, "k5", "plain").await;
    assert_eq!(system_prompt(&sent), None);

    // A deleted preset cannot be pinned any more, but conversations pinned to it keep answering.
    let resp = admin.delete(&format!("/v1/presets/{id}")).await;
    assert_eq!(resp.status(), 204);
    let (s, body) = admin.send(Method::POST, "/v1/conversations", Some(json!({ "preset_id": id }))).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    let sent = turn(&admin, &upstream, fresh["id"].as_str().unwrap(), "k6", "still").await;
    assert_eq!(system_prompt(&sent).as_deref(), Some("You are Beta."));
    let list = admin.get_json("/v1/presets").await;
    assert!(list["items"].as_array().unwrap().iter().all(|p| p["id"] != id), "deleted presets leave the list");
}

async fn versions_are_immutable_listed_and_diffed(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let preset = create_preset(
        &admin,
        json!({ "name": "SQL helper", "system_prompt": "Line one.\nLine two.\nLine three.", "temperature": 0.1 }),
    )
    .await;
    assert_eq!(preset["source"], "personal");
    let id = preset["id"].as_str().unwrap();
    let update = json!({ "name": "SQL helper", "system_prompt": "Line one.\nLine 2!\nLine three.", "temperature": 0.3,
                         "max_tokens": 200 });
    let (s, _) = admin.send(Method::PUT, &format!("/v1/presets/{id}"), Some(update.clone())).await;
    assert_eq!(s, 200);
    // An edit from a stale base version is a conflict, not a silent overwrite.
    let mut stale = update.clone();
    stale["base_version"] = json!(1);
    let (s, body) = admin.send(Method::PUT, &format!("/v1/presets/{id}"), Some(stale)).await;
    assert_eq!(error_code(s, &body, 409), "conflict");

    let versions = admin.get_json(&format!("/v1/presets/{id}/versions")).await;
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|v| v["version"].as_i64().unwrap()).collect::<Vec<_>>(), vec![2, 1]);
    let v1 = admin.get_json(&format!("/v1/presets/{id}/versions/1")).await;
    assert_eq!(v1["system_prompt"], "Line one.\nLine two.\nLine three.");
    assert_eq!(v1["temperature"], 0.1);
    assert!(v1["max_tokens"].is_null());

    let diff = admin.get_json(&format!("/v1/presets/{id}/diff?from=1&to=2")).await;
    let changes = diff["changes"].as_array().unwrap();
    let field = |name: &str| changes.iter().find(|c| c["field"] == name).cloned();
    assert_eq!(field("temperature").unwrap()["from"], 0.1);
    assert_eq!(field("temperature").unwrap()["to"], 0.3);
    assert_eq!(field("max_tokens").unwrap()["to"], 200);
    assert!(field("name").is_none(), "unchanged fields are not listed: {diff}");
    let lines = field("system_prompt").unwrap()["lines"].as_array().unwrap().clone();
    let ops: Vec<(String, String)> =
        lines.iter().map(|l| (l["op"].as_str().unwrap().into(), l["text"].as_str().unwrap().into())).collect();
    assert!(ops.contains(&("delete".into(), "Line two.".into())), "{ops:?}");
    assert!(ops.contains(&("insert".into(), "Line 2!".into())), "{ops:?}");
    assert!(ops.contains(&("equal".into(), "Line one.".into())), "{ops:?}");
    let same = admin.get_json(&format!("/v1/presets/{id}/diff?from=2&to=2")).await;
    assert_eq!(same["changes"], json!([]));
    let (s, body) = admin.send(Method::GET, &format!("/v1/presets/{id}/diff?from=1&to=9"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");

    assert_eq!(app.audit_count(&admin, "preset.created").await, 1);
    assert_eq!(app.audit_count(&admin, "preset.updated").await, 1);
}

async fn members_keep_personal_presets_and_cannot_touch_tenant_ones(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    app.create_user(&admin, "ann@acme.example", "member").await;
    app.create_user(&admin, "bob@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let bob = app.login("bob@acme.example", PASSWORD).await;
    let tenant_preset = create_preset(&admin, json!({ "source": "tenant", "name": "House style" })).await;
    let tid = tenant_preset["id"].as_str().unwrap();

    // Members may not create or edit tenant presets, nor restrict models.
    let (s, body) = ann.send(Method::POST, "/v1/presets", Some(json!({ "source": "tenant", "name": "Mine" }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    let (s, body) = ann.send(Method::PUT, &format!("/v1/presets/{tid}"), Some(json!({ "name": "Hijacked" }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    let resp = ann.delete(&format!("/v1/presets/{tid}")).await;
    assert_eq!(resp.status(), 403);
    let (s, body) =
        ann.send(Method::PUT, "/v1/tenant/preset-policy", Some(json!({ "allowed_models": ["gpt-4o"] }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    assert_eq!(admin.get_json(&format!("/v1/presets/{tid}")).await["current"]["name"], "House style");

    // Ann's personal preset: hers to edit, invisible to Bob and to other tenants.
    let personal = create_preset(&ann, json!({ "name": "Ann's", "system_prompt": "secret instructions" })).await;
    let pid = personal["id"].as_str().unwrap();
    let (s, _) = ann.send(Method::PUT, &format!("/v1/presets/{pid}"), Some(json!({ "name": "Ann's v2" }))).await;
    assert_eq!(s, 200);
    let names = |list: &Value| -> Vec<String> {
        list["items"].as_array().unwrap().iter().map(|p| p["current"]["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&ann.get_json("/v1/presets").await), vec!["House style", "Ann's v2"]);
    assert_eq!(names(&bob.get_json("/v1/presets").await), vec!["House style"]);
    let (_, other_admin) = app.second_tenant("globex").await;
    assert!(names(&other_admin.get_json("/v1/presets").await).is_empty());
    for (who, id) in [(&bob, pid), (&other_admin, pid), (&other_admin, tid)] {
        for (method, path, body) in [
            (Method::GET, format!("/v1/presets/{id}"), None),
            (Method::PUT, format!("/v1/presets/{id}"), Some(json!({ "name": "x" }))),
            (Method::DELETE, format!("/v1/presets/{id}"), None),
            (Method::GET, format!("/v1/presets/{id}/versions"), None),
            (Method::GET, format!("/v1/presets/{id}/versions/1"), None),
            (Method::GET, format!("/v1/presets/{id}/diff?from=1&to=2"), None),
            (Method::POST, "/v1/conversations".to_string(), Some(json!({ "preset_id": id }))),
        ] {
            let (s, body) = who.send(method.clone(), &path, body).await;
            assert_eq!(error_code(s, &body, 404), "not_found", "{method} {path}");
        }
    }
    // Bob cannot switch his conversation to Ann's preset either.
    let conv = bob.conversation().await;
    let (s, body) =
        bob.send(Method::PUT, &format!("/v1/conversations/{conv}/preset"), Some(json!({ "preset_id": pid }))).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    // Nor anyone else's conversation to anything.
    let (s, body) =
        ann.send(Method::PUT, &format!("/v1/conversations/{conv}/preset"), Some(json!({ "preset_id": tid }))).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
}

async fn admins_restrict_preset_models_and_settings_are_validated(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let policy = admin.get_json("/v1/tenant/preset-policy").await;
    assert!(policy["allowed_models"].is_null());
    let (s, body) =
        admin.send(Method::PUT, "/v1/tenant/preset-policy", Some(json!({ "allowed_models": ["no-such-model"] }))).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    let (s, body) =
        admin.send(Method::PUT, "/v1/tenant/preset-policy", Some(json!({ "allowed_models": ["claude"] }))).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(app.audit_count(&admin, "preset.allowed_models_set").await, 1);

    let (s, body) = admin.send(Method::POST, "/v1/presets", Some(json!({ "name": "P", "model": "gpt-4o" }))).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(body["error"]["field"], "model");
    create_preset(&admin, json!({ "name": "P", "model": "claude" })).await;
    // Presets without a model follow the tenant's default and are always allowed.
    create_preset(&admin, json!({ "name": "Q" })).await;

    for (bad, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "T", "temperature": 3.0 }), "temperature"),
        (json!({ "name": "T", "max_tokens": 0 }), "max_tokens"),
        (json!({ "name": "T", "model": "claude", "max_tokens": 5000 }), "max_tokens"),
        (json!({ "name": "T", "system_prompt": "x".repeat(20_001) }), "system_prompt"),
        (json!({ "name": "T", "model": "nope" }), "model"),
    ] {
        let (s, body) = admin.send(Method::POST, "/v1/presets", Some(bad.clone())).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{bad}");
        assert_eq!(body["error"]["field"], field, "{bad}");
    }
    let (s, body) = admin.send(Method::POST, "/v1/presets", Some(json!({ "name": "T", "owner_id": "x" }))).await;
    assert_eq!(s, 400, "unknown fields are refused: {body}");
    let list = admin.get_json("/v1/presets").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "refused presets were not created");
}

both_backends!(
    a_preset_edit_keeps_pinned_conversations_and_an_explicit_switch_moves_them,
    versions_are_immutable_listed_and_diffed,
    members_keep_personal_presets_and_cannot_touch_tenant_ones,
    admins_restrict_preset_models_and_settings_are_validated,
);

//! Plugins end to end: uploads and their validation, each tenant's chain, the example plugins
//! doing their jobs on real chat turns against the scripted upstream, a hostile plugin under
//! both failure policies, tenant isolation and who may do what.
use base64::Engine;
use confab_tests::plugin_fixtures::fixture;
pub(crate) use confab_tests::plugin_fixtures::request_fixture;
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn plugins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// An example plugin as `plugins/build.sh` built it: (manifest, component in base64).
fn example(name: &str) -> (Value, String) {
    let dist = plugins_dir().join("dist");
    let read = |file: String| {
        std::fs::read(dist.join(&file))
            .unwrap_or_else(|e| panic!("plugins/dist/{file}: {e}; build the example plugins first (plugins/build.sh)"))
    };
    let manifest: Value = serde_json::from_slice(&read(format!("{name}.manifest.json"))).unwrap();
    let component = read(format!("{name}-{}.wasm", manifest["version"].as_str().unwrap()));
    (manifest, base64::engine::general_purpose::STANDARD.encode(component))
}

/// An answer transform written in WAT: `transform-response` gets 14 flat values (the
/// context's six strings and the text) and returns a pointer to an `option<string>`.
fn response_fixture(body: &str, data: &str) -> String {
    fixture(
        "response-transform",
        &format!(
            r#"(module
  (memory (export "memory") 1)
  {data}
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "confab:plugin/response-hook@0.1.0#transform-response")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) {body}))"#
        ),
    )
}

pub(crate) async fn upload(api: &Api, manifest: &Value, component: &str) -> (reqwest::StatusCode, Value) {
    api.send(Method::POST, "/v1/plugins", Some(json!({ "manifest": manifest, "component_base64": component }))).await
}

async fn install(admin: &Api, name: &str) {
    let (manifest, component) = example(name);
    let (s, body) = upload(admin, &manifest, &component).await;
    assert_eq!(s, 201, "{body}");
}

pub(crate) async fn enable(admin: &Api, name: &str, body: Value) -> Value {
    let (s, chain) = admin.send(Method::PUT, &format!("/v1/tenant/plugins/{name}"), Some(body)).await;
    assert_eq!(s, 200, "{chain}");
    chain
}

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// Sends `content` and waits for the answer.
async fn turn(api: &Api, key: &str, content: &str) -> Value {
    let conv = api.conversation().await;
    let (s, body) = api
        .post_idem(&format!("/v1/conversations/{conv}/messages"), key, json!({ "content": content, "model": "gpt-4o" }))
        .await;
    assert_eq!(s, 202, "{body}");
    api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await
}

fn last_sent(upstream: &ScriptedUpstream) -> Value {
    upstream.requests().last().unwrap().body.clone()
}

fn user_text(request: &Value) -> String {
    let messages = request["messages"].as_array().unwrap();
    messages.iter().rev().find(|m| m["role"] == "user").unwrap()["content"].as_str().unwrap().to_string()
}

async fn the_example_plugins_do_their_jobs_on_real_turns(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    for name in ["pii-redactor", "policy-preamble", "keyword-guard"] {
        install(&admin, name).await;
    }
    enable(&admin, "pii-redactor", json!({ "version": "0.1.0", "enabled": true })).await;
    enable(
        &admin,
        "policy-preamble",
        json!({ "version": "0.1.0", "enabled": true,
        "config": { "text": "Follow the Acme acceptable-use policy." } }),
    )
    .await;
    let chain = enable(
        &admin,
        "keyword-guard",
        json!({ "version": "0.1.0", "enabled": true,
        "config": { "patterns": ["project phoenix"], "reason": "Project Phoenix is confidential." } }),
    )
    .await;
    let names: Vec<&str> = chain["chain"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pii-redactor", "policy-preamble", "keyword-guard"]);
    assert_eq!(chain["chain"][0]["failure_policy"], "fail_closed", "the manifest's default");

    // PII never reaches the provider; the preamble does.
    let secret =
        "Mail ada@example.com or call +41 44 668 18 00, card 4111 1111 1111 1111, IBAN CH93 0076 2011 6238 5295 7.";
    let done = turn(&admin, "k1", secret).await;
    assert_eq!(done["status"], "completed", "{done}");
    let sent = last_sent(&upstream);
    let text = user_text(&sent);
    for leaked in ["ada@example.com", "4111 1111 1111 1111", "668 18 00", "CH93"] {
        assert!(!text.contains(leaked), "{leaked} reached the provider: {text}");
    }
    for placeholder in ["[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]"] {
        assert!(text.contains(placeholder), "{placeholder} missing: {text}");
    }
    assert_eq!(sent["messages"][0]["role"], "system");
    assert!(sent["messages"][0]["content"].as_str().unwrap().contains("Acme acceptable-use policy"), "{sent}");
    let runs: Vec<(String, String)> = done["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["plugin"].as_str().unwrap().into(), r["outcome"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        runs,
        [
            ("pii-redactor".to_string(), "changed".to_string()),
            ("policy-preamble".into(), "changed".into()),
            ("keyword-guard".into(), "unchanged".into())
        ]
    );
    // The user's own message is stored as written; only the request was redacted.
    let conv = admin.get_json(&format!("/v1/conversations/{}", done["conversation_id"].as_str().unwrap())).await;
    assert_eq!(conv["messages"][0]["content"], secret);

    // A guarded keyword ends the turn before anything is sent.
    let calls = upstream.calls();
    let refused = turn(&admin, "k2", "What is the status of PROJECT PHOENIX?").await;
    assert_eq!(refused["status"], "failed");
    assert_eq!(refused["error"]["code"], "plugin_rejected");
    assert_eq!(refused["error"]["message"], "Project Phoenix is confidential.");
    assert_eq!(refused["plugins"][2]["outcome"], "rejected");
    assert_eq!(upstream.calls(), calls, "a rejected turn must not reach the provider");

    // The console's recent runs: newest answer first, narrowed to failures or to one plugin.
    let recent = admin.get_json("/v1/tenant/plugins/runs?limit=10").await;
    let items = recent["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "three plugins ran on each of two turns: {recent}");
    assert_eq!(items[0]["message_id"], refused["id"], "{recent}");
    assert_eq!(items[5]["message_id"], done["id"], "{recent}");
    let failures = admin.get_json("/v1/tenant/plugins/runs?failed_only=true").await;
    assert_eq!(failures["items"].as_array().unwrap().len(), 1, "{failures}");
    assert_eq!(failures["items"][0]["plugin"], "keyword-guard");
    assert_eq!(failures["items"][0]["outcome"], "rejected");
    assert_eq!(failures["items"][0]["detail"], "Project Phoenix is confidential.");
    let one = admin.get_json("/v1/tenant/plugins/runs?plugin=pii-redactor").await;
    let outcomes: Vec<&str> = one["items"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["unchanged", "changed"]);
    let (s, body) = admin.send(Method::GET, "/v1/tenant/plugins/runs?limit=0", None).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(refused["usage"]["input_tokens"], 0);

    // Order and on/off are the tenant admin's: the guard first, the redactor off.
    let (s, body) = admin
        .send(
            Method::PUT,
            "/v1/tenant/plugin-order",
            Some(json!({ "names": ["keyword-guard", "pii-redactor", "policy-preamble"] })),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    enable(&admin, "pii-redactor", json!({ "version": "0.1.0", "enabled": false })).await;
    let done = turn(&admin, "k3", "write to bob@example.com").await;
    assert!(user_text(&last_sent(&upstream)).contains("bob@example.com"), "a disabled plugin does not run");
    let runs: Vec<&str> = done["plugins"].as_array().unwrap().iter().map(|r| r["plugin"].as_str().unwrap()).collect();
    assert_eq!(runs, ["keyword-guard", "policy-preamble"]);
    let (s, body) =
        admin.send(Method::PUT, "/v1/tenant/plugin-order", Some(json!({ "names": ["keyword-guard"] }))).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");

    assert_eq!(app.audit_count(&admin, "plugin.configured").await, 4);
    assert_eq!(app.audit_count(&admin, "plugin.chain_ordered").await, 1);
}

async fn a_hostile_plugin_is_stopped_and_its_failure_policy_decides(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let spinner = request_fixture("(loop $spin (br $spin)) (i32.const 16)");
    let manifest = json!({ "name": "spinner", "version": "0.0.1", "hooks": ["transform_request"],
                           "failure_policy": "fail_closed" });
    let (s, body) = upload(&admin, &manifest, &spinner).await;
    assert_eq!(s, 201, "{body}");
    enable(&admin, "spinner", json!({ "version": "0.0.1", "enabled": true, "time_budget_ms": 20 })).await;

    // Fail-closed: the turn fails, nothing is sent, and the server keeps serving meanwhile.
    let conv = admin.conversation().await;
    let started = Instant::now();
    let (s, body) = admin
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "k1",
            json!({ "content": "hello", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, 202, "{body}");
    let me = admin.get_json("/v1/me").await;
    assert!(me["id"].is_string());
    let failed = admin.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "plugin_failed");
    assert!(failed["error"]["message"].as_str().unwrap().contains("spinner"), "{failed}");
    assert_eq!(failed["plugins"][0]["outcome"], "failed");
    assert!(failed["plugins"][0]["detail"].as_str().unwrap().contains("time budget"), "{failed}");
    assert_eq!(upstream.calls(), 0);

    // Fail-open: the turn goes on without it, and says so.
    enable(
        &admin,
        "spinner",
        json!({ "version": "0.0.1", "enabled": true, "time_budget_ms": 20,
                                      "failure_policy": "fail_open" }),
    )
    .await;
    let done = turn(&admin, "k2", "hello again").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["plugins"][0]["outcome"], "failed_open");
    assert_eq!(upstream.calls(), 1);

    // A trap is a failure like any other.
    let crasher = request_fixture("unreachable");
    let manifest = json!({ "name": "crasher", "version": "0.0.1", "hooks": ["transform_request"],
                           "failure_policy": "fail_closed" });
    let (s, _) = upload(&admin, &manifest, &crasher).await;
    assert_eq!(s, 201);
    let resp = admin.delete("/v1/tenant/plugins/spinner").await;
    assert_eq!(resp.status(), 204);
    enable(&admin, "crasher", json!({ "version": "0.0.1", "enabled": true })).await;
    let failed = turn(&admin, "k3", "and again").await;
    assert_eq!(failed["error"]["code"], "plugin_failed");
    assert!(failed["plugins"][0]["detail"].as_str().unwrap().contains("trap"), "{failed}");
    assert_eq!(upstream.calls(), 1);
}

async fn uploads_are_validated_and_reserved_to_platform_admins(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let (manifest, component) = example("pii-redactor");
    app.create_user(&admin, "tina@acme.example", "tenant_admin").await;
    let tenant_admin = app.login("tina@acme.example", PASSWORD).await;
    let (s, body) = upload(&tenant_admin, &manifest, &component).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");

    let refusals = [
        (json!(manifest), "not base64!".to_string(), "component_base64", ""),
        (json!(manifest), base64::engine::general_purpose::STANDARD.encode(b"\0asm garbage"), "component", ""),
        // A core module, not a component.
        (
            json!(manifest),
            base64::engine::general_purpose::STANDARD.encode(wat::parse_str("(module)").unwrap()),
            "component",
            "component",
        ),
        // The manifest claims a hook the component does not export.
        (
            {
                let mut m = manifest.clone();
                m["hooks"] = json!(["presets"]);
                m
            },
            component.clone(),
            "component",
            "presets",
        ),
        (
            {
                let mut m = manifest.clone();
                m["hooks"] = json!(["teleport"]);
                m
            },
            component.clone(),
            "manifest",
            "teleport",
        ),
        (
            {
                let mut m = manifest.clone();
                m["version"] = json!("one");
                m
            },
            component.clone(),
            "manifest",
            "",
        ),
        // A version of the plugin interface this Confab does not implement.
        (
            {
                let mut m = manifest.clone();
                m["interface_version"] = json!("0.9.0");
                m
            },
            component.clone(),
            "manifest",
            "interface_version `0.9.0` is not supported",
        ),
    ];
    for (manifest, component, field, mentions) in refusals {
        let (s, body) = upload(&admin, &manifest, &component).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{manifest}");
        assert_eq!(body["error"]["field"], field, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(mentions), "{body}");
    }
    let (s, body) = upload(&admin, &manifest, &component).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["hooks"], json!(["transform_request"]));
    assert_eq!(body["sha256"].as_str().unwrap().len(), 64);
    let (s, body) = upload(&admin, &manifest, &component).await;
    assert_eq!(error_code(s, &body, 409), "conflict", "versions are immutable");
    let list = admin.get_json("/v1/plugins").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.audit_count(&admin, "plugin.uploaded").await, 0, "platform entries are not a tenant's");

    // Configuration is checked against the manifest's schema; members cannot configure.
    let (s, body) = admin
        .send(
            Method::PUT,
            "/v1/tenant/plugins/pii-redactor",
            Some(json!({ "version": "0.1.0", "enabled": true,
            "config": { "kinds": ["dna"] } })),
        )
        .await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(body["error"]["field"], "config");
    for bad in [
        json!({ "version": "9.9.9", "enabled": true }),
        json!({ "version": "0.1.0", "enabled": true, "time_budget_ms": 0 }),
    ] {
        let (s, body) = admin.send(Method::PUT, "/v1/tenant/plugins/pii-redactor", Some(bad)).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed");
    }
    let (s, body) = admin
        .send(Method::PUT, "/v1/tenant/plugins/nonexistent", Some(json!({ "version": "0.1.0", "enabled": true })))
        .await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    app.create_user(&admin, "mo@acme.example", "member").await;
    let member = app.login("mo@acme.example", PASSWORD).await;
    let (s, body) = member
        .send(Method::PUT, "/v1/tenant/plugins/pii-redactor", Some(json!({ "version": "0.1.0", "enabled": true })))
        .await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    for path in ["/v1/tenant/plugins/available", "/v1/plugins"] {
        let (s, body) = member.send(Method::GET, path, None).await;
        assert_eq!(error_code(s, &body, 403), "forbidden", "{path}");
    }
    let resp = member.delete("/v1/tenant/plugins/pii-redactor").await;
    assert_eq!(resp.status(), 403);
    // Members see which plugins run on their prompts, but not their configuration.
    enable(&admin, "pii-redactor", json!({ "version": "0.1.0", "enabled": true, "config": { "kinds": ["email"] } }))
        .await;
    let seen = member.get_json("/v1/tenant/plugins").await;
    assert_eq!(seen["chain"][0]["name"], "pii-redactor");
    assert_eq!(seen["chain"][0]["config"], json!({}));
    assert_eq!(admin.get_json("/v1/tenant/plugins").await["chain"][0]["config"], json!({ "kinds": ["email"] }));
}

async fn a_plugin_enabled_for_one_tenant_never_runs_for_another(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    install(&admin, "policy-preamble").await;
    enable(
        &admin,
        "policy-preamble",
        json!({ "version": "0.1.0", "enabled": true, "config": { "text": "Acme rules." } }),
    )
    .await;
    let (_, globex) = app.second_tenant("globex").await;
    assert_eq!(globex.get_json("/v1/tenant/plugins").await["chain"], json!([]));
    let done = turn(&globex, "g1", "hello from globex").await;
    assert_eq!(done["status"], "completed");
    assert!(done.get("plugins").is_none() || done["plugins"].is_null(), "{done}");
    let sent = last_sent(&upstream);
    assert_ne!(sent["messages"][0]["role"], "system", "Acme's preamble must not reach Globex's request: {sent}");
    // Each tenant configures its own copy.
    enable(
        &globex,
        "policy-preamble",
        json!({ "version": "0.1.0", "enabled": true, "config": { "text": "Globex rules." } }),
    )
    .await;
    turn(&globex, "g2", "hello").await;
    assert_eq!(last_sent(&upstream)["messages"][0]["content"], "Globex rules.");
    turn(&admin, "a1", "hello").await;
    assert_eq!(last_sent(&upstream)["messages"][0]["content"], "Acme rules.");
    let resp = globex.delete("/v1/tenant/plugins/policy-preamble").await;
    assert_eq!(resp.status(), 204);
    turn(&admin, "a2", "still there?").await;
    assert_eq!(last_sent(&upstream)["messages"][0]["content"], "Acme rules.", "removing it for Globex leaves Acme's");
}

async fn plugin_presets_are_offered_pinned_and_rendered_per_turn(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    install(&admin, "preset-pack").await;
    enable(
        &admin,
        "preset-pack",
        json!({ "version": "0.1.0", "enabled": true, "config": { "organisation": "ACME AG" } }),
    )
    .await;
    let list = admin.get_json("/v1/presets").await;
    let offered = list["plugin_items"].as_array().unwrap();
    let ids: Vec<&str> = offered.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"legal-reviewer") && ids.contains(&"sql-helper"), "{list}");
    let legal = offered.iter().find(|p| p["id"] == "legal-reviewer").unwrap();
    assert_eq!(legal["source"], "plugin");
    assert_eq!(legal["plugin"], "preset-pack");
    assert_eq!(legal["plugin_version"], "0.1.0");
    let v1 = legal["plugin_version_id"].as_str().unwrap().to_string();

    let choice = json!({ "plugin_preset": { "plugin": "preset-pack", "preset_id": "legal-reviewer" } });
    let (s, conv) = admin.send(Method::POST, "/v1/conversations", Some(choice.clone())).await;
    assert_eq!(s, 201, "{conv}");
    assert_eq!(conv["plugin_preset"]["plugin_version_id"], v1.as_str());
    let id = conv["id"].as_str().unwrap().to_string();
    let send = |key: &'static str| {
        let (admin, id) = (&admin, id.clone());
        async move {
            let (s, body) = admin
                .post_idem(
                    &format!("/v1/conversations/{id}/messages"),
                    key,
                    json!({ "content": "Review this clause." }),
                )
                .await;
            (s, body)
        }
    };
    let (s, body) = send("k1").await;
    assert_eq!(s, 202, "{body}");
    admin.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    let system = last_sent(&upstream)["messages"][0].clone();
    assert_eq!(system["role"], "system");
    let prompt = system["content"].as_str().unwrap();
    assert!(prompt.starts_with("You are a careful legal reviewer") && prompt.contains("ACME AG"), "{prompt}");

    // The tenant moves to a new version of the plugin; the conversation keeps the one it pinned.
    let (manifest, component) = example("preset-pack");
    let mut newer = manifest.clone();
    newer["version"] = json!("0.2.0");
    let (s, body) = upload(&admin, &newer, &component).await;
    assert_eq!(s, 201, "{body}");
    enable(
        &admin,
        "preset-pack",
        json!({ "version": "0.2.0", "enabled": true, "config": { "organisation": "ACME AG" } }),
    )
    .await;
    let detail = admin.get_json(&format!("/v1/conversations/{id}")).await;
    assert_eq!(detail["conversation"]["plugin_preset"]["plugin_version_id"], v1.as_str());
    let (s, fresh) = admin.send(Method::POST, "/v1/conversations", Some(choice.clone())).await;
    assert_eq!(s, 201);
    assert_ne!(fresh["plugin_preset"]["plugin_version_id"], v1.as_str(), "a new conversation pins the new version");
    let (s, body) = send("k2").await;
    assert_eq!(s, 202, "{body}");

    // Refusals: an unknown preset, two presets at once, another tenant, a disabled plugin.
    let (s, body) = admin
        .send(
            Method::POST,
            "/v1/conversations",
            Some(json!({ "plugin_preset": { "plugin": "preset-pack", "preset_id": "nope" } })),
        )
        .await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let mut both = choice.clone();
    both["preset_id"] = json!(uuid::Uuid::now_v7());
    let (s, body) = admin.send(Method::POST, "/v1/conversations", Some(both)).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    let (_, globex) = app.second_tenant("globex").await;
    assert_eq!(globex.get_json("/v1/presets").await["plugin_items"], json!([]));
    let (s, body) = globex.send(Method::POST, "/v1/conversations", Some(choice.clone())).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    enable(&admin, "preset-pack", json!({ "version": "0.2.0", "enabled": false })).await;
    let calls = upstream.calls();
    let (s, body) = send("k3").await;
    assert_eq!(error_code(s, &body, 409), "conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains("no longer enabled"), "{body}");
    assert_eq!(upstream.calls(), calls);
    // Switching the conversation away from the plugin preset makes it usable again.
    let (s, _) =
        admin.send(Method::PUT, &format!("/v1/conversations/{id}/preset"), Some(json!({ "preset_id": null }))).await;
    assert_eq!(s, 200);
    let (s, body) = send("k4").await;
    assert_eq!(s, 202, "{body}");
}

async fn answer_transforms_run_on_completed_answers(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    // Replaces every answer with a fixed notice.
    let notice = "[answer withheld by policy]";
    let stamp = response_fixture(
        &format!(
            "(i32.store8 (i32.const 32) (i32.const 1)) (i32.store (i32.const 36) (i32.const 64))
             (i32.store (i32.const 40) (i32.const {})) (i32.const 32)",
            notice.len()
        ),
        &format!(r#"(data (i32.const 64) "{notice}")"#),
    );
    let manifest = json!({ "name": "answer-stamp", "version": "1.0.0", "hooks": ["transform_response"],
                           "failure_policy": "fail_closed" });
    let (s, body) = upload(&admin, &manifest, &stamp).await;
    assert_eq!(s, 201, "{body}");
    enable(&admin, "answer-stamp", json!({ "version": "1.0.0", "enabled": true })).await;
    let done = turn(&admin, "k1", "[upstream tokens=3] hi").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["content"], notice);
    assert_eq!(done["plugins"][0]["outcome"], "changed");
    assert_eq!(upstream.calls(), 1, "answer transforms run after the provider, not instead of it");

    // A failing answer transform under fail-closed: the answer is not kept.
    let crash = response_fixture("unreachable", "");
    let manifest = json!({ "name": "answer-crash", "version": "1.0.0", "hooks": ["transform_response"],
                           "failure_policy": "fail_closed" });
    let (s, _) = upload(&admin, &manifest, &crash).await;
    assert_eq!(s, 201);
    admin.delete("/v1/tenant/plugins/answer-stamp").await;
    enable(&admin, "answer-crash", json!({ "version": "1.0.0", "enabled": true })).await;
    let failed = turn(&admin, "k2", "[upstream tokens=3] hi").await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "plugin_failed");
    assert_eq!(failed["content"], "");
    // Under fail-open the answer is kept as the provider wrote it.
    enable(&admin, "answer-crash", json!({ "version": "1.0.0", "enabled": true, "failure_policy": "fail_open" })).await;
    let kept = turn(&admin, "k3", "[upstream tokens=3] hi").await;
    assert_eq!(kept["status"], "completed");
    assert_eq!(kept["content"], "t0 t1 t2 ");
    assert_eq!(kept["plugins"][0]["outcome"], "failed_open");
}

/// Every kind of misbehaviour, under both failure policies: fail-closed ends the turn with a
/// clear error and sends nothing; fail-open goes on and records it; the server keeps serving.
async fn every_hostile_kind_is_contained_under_both_policies(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    let request_hook = |body: &str| request_fixture(body);
    let hostile = [
        ("spin", request_hook("(loop $spin (br $spin)) (i32.const 16)"), "transform_request", "time budget"),
        (
            "grow",
            request_hook("(loop $grow (drop (memory.grow (i32.const 16))) (br $grow)) (i32.const 16)"),
            "transform_request",
            "memory",
        ),
        ("trap", request_hook("unreachable"), "transform_request", "trap"),
        (
            "dive",
            fixture(
                "request-transform",
                r#"(module
  (memory (export "memory") 1)
  (func $down (param i32) (result i32) (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "confab:plugin/request-hook@0.1.0#transform-request") (param i32) (result i32)
    (drop (call $down (i32.const 0))) (i32.const 16)))"#,
            ),
            "transform_request",
            "stack",
        ),
        (
            "flood",
            response_fixture(
                "(drop (memory.grow (i32.const 161)))
                 (i32.store8 (i32.const 32) (i32.const 1))
                 (i32.store (i32.const 36) (i32.const 131072))
                 (i32.store (i32.const 40) (i32.const 10485760))
                 (i32.const 32)",
                "",
            ),
            "transform_response",
            "more than",
        ),
    ];
    let mut calls = 0;
    for (i, (name, component, hook, mentions)) in hostile.into_iter().enumerate() {
        let manifest = json!({ "name": name, "version": "0.0.1", "hooks": [hook], "failure_policy": "fail_closed" });
        let (s, body) = upload(&admin, &manifest, &component).await;
        assert_eq!(s, 201, "{name}: {body}");
        enable(&admin, name, json!({ "version": "0.0.1", "enabled": true, "time_budget_ms": 30 })).await;
        let failed = turn(&admin, &format!("closed-{i}"), "[upstream tokens=2] hello").await;
        assert_eq!(failed["status"], "failed", "{name}: {failed}");
        assert_eq!(failed["error"]["code"], "plugin_failed", "{name}");
        let detail = failed["plugins"][0]["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(mentions), "{name}: {detail}");
        if hook == "transform_request" {
            assert_eq!(upstream.calls(), calls, "{name}: nothing may be sent under fail-closed");
        } else {
            calls += 1;
            assert_eq!(failed["content"], "", "{name}: an unchecked answer is not kept");
        }
        // The server answers other requests as usual.
        assert_eq!(admin.get_json("/v1/me").await["email"], "admin@acme.example");
        enable(
            &admin,
            name,
            json!({ "version": "0.0.1", "enabled": true, "time_budget_ms": 30,
                                     "failure_policy": "fail_open" }),
        )
        .await;
        let done = turn(&admin, &format!("open-{i}"), "[upstream tokens=2] hello").await;
        calls += 1;
        assert_eq!(done["status"], "completed", "{name}: {done}");
        assert_eq!(done["content"], "t0 t1 ");
        assert_eq!(done["plugins"][0]["outcome"], "failed_open", "{name}");
        assert_eq!(upstream.calls(), calls);
        let resp = admin.delete(&format!("/v1/tenant/plugins/{name}")).await;
        assert_eq!(resp.status(), 204);
    }
}

async fn components_that_reach_for_wasi_are_refused_at_upload(b: Backend) {
    let (_upstream, _app, admin) = setup(b).await;
    for (world, import) in [
        ("filesystem-user", r#"(import "wasi:filesystem/preopens@0.2.0" "get-directories" (func (param i32)))"#),
        (
            "sockets-user",
            r#"(import "wasi:sockets/tcp-create-socket@0.2.0" "create-tcp-socket" (func (param i32 i32)))"#,
        ),
    ] {
        let component = fixture(
            world,
            &format!(
                r#"(module
  {import}
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "confab:plugin/request-hook@0.1.0#transform-request") (param i32) (result i32) (i32.const 16)))"#
            ),
        );
        let manifest = json!({ "name": world, "version": "0.0.1", "hooks": ["transform_request"],
                               "failure_policy": "fail_closed" });
        let (s, body) = upload(&admin, &manifest, &component).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{world}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("wasi:"), "the refusal names the import: {message}");
    }
    assert_eq!(admin.get_json("/v1/plugins").await["items"], json!([]), "nothing was stored");
}

/// A plugin's log lines reach the server's log without the user's words: keyword-guard logs the
/// pattern it matched, which is the user's text too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_log_lines_leave_the_users_words_out() {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options::default().upstream(&upstream).env("CONFAB_LOG__LEVEL", "warn,confab::plugin=info"),
    )
    .await;
    let admin = app.admin().await;
    install(&admin, "keyword-guard").await;
    enable(
        &admin,
        "keyword-guard",
        json!({ "version": "0.1.0", "enabled": true,
        "config": { "patterns": ["bluebird acquisition price"], "reason": "That deal is confidential." } }),
    )
    .await;
    let refused = turn(&admin, "k1", "Roughly, what is the Bluebird acquisition price?").await;
    assert_eq!(refused["error"]["code"], "plugin_rejected", "{refused}");
    let mut log = String::new();
    for _ in 0..50 {
        log = app.server_log();
        if log.contains("prompt refused") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line =
        log.lines().find(|l| l.contains("prompt refused")).unwrap_or_else(|| panic!("no plugin log line: {log}"));
    eprintln!("{line}");
    assert!(line.contains("keyword-guard"), "attributed to the plugin: {line}");
    assert!(line.contains("[…]"), "{line}");
    assert!(!line.contains("acquisition"), "the user's words reached the log: {line}");
}

both_backends!(
    the_example_plugins_do_their_jobs_on_real_turns,
    a_hostile_plugin_is_stopped_and_its_failure_policy_decides,
    uploads_are_validated_and_reserved_to_platform_admins,
    a_plugin_enabled_for_one_tenant_never_runs_for_another,
    plugin_presets_are_offered_pinned_and_rendered_per_turn,
    answer_transforms_run_on_completed_answers,
    every_hostile_kind_is_contained_under_both_policies,
    components_that_reach_for_wasi_are_refused_at_upload,
);

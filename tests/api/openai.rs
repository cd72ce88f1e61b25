//! The OpenAI-compatible endpoint (`/openai/v1`): OpenAI's wire format over Confab's governance.
//! Streamed and not, usage, tool calls through OpenAI and Anthropic models, presets as models,
//! tenant isolation, quota refusals, bad tokens and bad input, keep modes, plugins and audit.
use base64::Engine;
use confab_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const COMPLETIONS: &str = "/openai/v1/chat/completions";
const AUDIT_ACTION: &str = "openai.chat_completion";

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// A client that uses an API token with the given keep mode (the default when `None`).
async fn token_client(app: &TestApp, owner: &Api, keep: Option<&str>) -> Api {
    let mut body = json!({ "name": "openai" });
    if let Some(keep) = keep {
        body["keep"] = json!(keep);
    }
    let (secret, _) = owner.create_token(body).await;
    app.with_token(&secret)
}

async fn post(api: &Api, body: Value) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = api.request(Method::POST, COMPLETIONS).json(&body).send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts OpenAI's error body (plus Confab's request id) and returns `error.type`.
fn openai_error(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &Value, expected: u16) -> String {
    assert_eq!(status.as_u16(), expected, "{body}");
    let err = &body["error"];
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(err.get("param").is_some() && err.get("code").is_some(), "OpenAI's four fields: {body}");
    let id = err["request_id"].as_str().unwrap();
    assert_eq!(headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some(id), "{body}");
    err["type"].as_str().unwrap().to_string()
}

/// A streamed call: every `data:` payload in order (`[DONE]` as a string).
async fn stream(api: &Api, body: Value) -> Vec<Value> {
    let resp = api.request(Method::POST, COMPLETIONS).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let text = tokio::time::timeout(Duration::from_secs(30), resp.text()).await.expect("the stream hung").unwrap();
    text.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap_or_else(|_| Value::String(data.to_string())))
        .collect()
}

fn streamed_text(chunks: &[Value]) -> String {
    chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect()
}

/// The tool calls of a stream, assembled from their pieces: (id, name, arguments).
fn streamed_calls(chunks: &[Value]) -> Vec<(String, String, String)> {
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for piece in chunks.iter().filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array()).flatten() {
        let i = piece["index"].as_u64().unwrap() as usize;
        if calls.len() <= i {
            calls.resize(i + 1, Default::default());
        }
        if let Some(id) = piece["id"].as_str() {
            calls[i].0 = id.to_string();
        }
        if let Some(name) = piece["function"]["name"].as_str() {
            calls[i].1.push_str(name);
        }
        calls[i].2.push_str(piece["function"]["arguments"].as_str().unwrap_or(""));
    }
    calls
}

fn finish_reasons(chunks: &[Value]) -> Vec<String> {
    chunks.iter().filter_map(|c| c["choices"][0]["finish_reason"].as_str().map(str::to_string)).collect()
}

async fn audit_entries(admin: &Api) -> Vec<Value> {
    admin.get_json(&format!("/v1/audit?action={AUDIT_ACTION}&limit=200")).await["items"].as_array().unwrap().clone()
}

/// Waits until the call's settlement (usage event, audit entry) is written: it follows the
/// response.
async fn until<F: AsyncFn() -> bool>(what: &str, check: F) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

async fn completions_stream_and_not_with_usage_audit_and_cost(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let api = token_client(&app, &admin, None).await;

    let (s, headers, body) = post(
        &api,
        json!({ "model": "gpt-4o", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello there [upstream tokens=3]"}
        ], "temperature": 0.5, "max_tokens": 100, "stop": ["END"], "n": 1 }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(headers.get("x-request-id").is_some());
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"), "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["message"]["content"], "t0 t1 t2 ");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let sent = upstream.requests().last().unwrap().body.clone();
    let prompt_tokens = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().split_whitespace().count() as u64);
    assert_eq!(body["usage"]["prompt_tokens"].as_u64().unwrap(), prompt_tokens.sum::<u64>(), "the provider's counts");
    assert_eq!(body["usage"]["completion_tokens"], 3);
    assert_eq!(body["usage"]["total_tokens"], body["usage"]["prompt_tokens"].as_u64().unwrap() + 3);
    assert_eq!(sent["messages"][0], json!({"role": "system", "content": "Be brief."}));
    assert_eq!(sent["temperature"], 0.5);
    assert_eq!(sent["max_tokens"], 100);
    assert_eq!(sent["stop"], json!(["END"]));

    let chunks = stream(
        &api,
        json!({ "model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true},
                "messages": [{"role": "user", "content": "Stream it [upstream tokens=4]"}] }),
    )
    .await;
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant", "{chunks:?}");
    assert!(chunks.iter().take(chunks.len() - 1).all(|c| c["object"] == "chat.completion.chunk"), "{chunks:?}");
    assert_eq!(streamed_text(&chunks), "t0 t1 t2 t3 ");
    assert_eq!(finish_reasons(&chunks), ["stop"]);
    let usage = &chunks[chunks.len() - 2];
    assert_eq!(usage["choices"], json!([]), "{usage}");
    assert_eq!(usage["usage"]["completion_tokens"], 4);
    assert_eq!(chunks.last().unwrap(), "[DONE]");
    // Without include_usage, no usage chunk.
    let chunks =
        stream(&api, json!({ "model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "x"}] }))
            .await;
    assert!(chunks.iter().all(|c| c.get("usage").is_none_or(Value::is_null)), "{chunks:?}");

    // Usage events with cost, and metadata-only audit entries (the default keep mode).
    until("three usage events", async || admin.get_json("/v1/usage").await["today"]["turns"] == 3).await;
    let today = admin.get_json("/v1/usage").await["today"].clone();
    assert!(today["cost"].as_f64().unwrap() > 0.0, "gpt-4o is priced: {today}");
    assert_eq!(today["output_tokens"], 3 + 4 + 8);
    until("three audit entries", async || audit_entries(&admin).await.len() == 3).await;
    let entries = audit_entries(&admin).await;
    let details = entries.iter().map(|e| e["details"].to_string()).collect::<String>();
    assert!(details.contains("\"model\":\"gpt-4o\"") && details.contains("\"status\":\"completed\""), "{details}");
    for secret in ["Hello there", "Stream it", "t0 t1", "Be brief"] {
        assert!(!details.contains(secret), "audit entries keep no content: {details}");
    }
    // The default keeps no conversation.
    assert_eq!(admin.get_json("/v1/conversations").await["items"], json!([]));
}

async fn tool_calls_round_trip_through_openai_and_anthropic(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let api = token_client(&app, &admin, None).await;
    let tools = json!([{ "type": "function", "function": {
        "name": "weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}
    }}]);
    for model in ["gpt-4o", "claude"] {
        let ask = json!({"role": "user", "content": "Weather in Oslo? [upstream tool_call=weather]"});
        // Not streamed.
        let (s, _, body) =
            post(&api, json!({ "model": model, "messages": [ask], "tools": tools, "tool_choice": "auto" })).await;
        assert_eq!(s, 200, "{model}: {body}");
        let choice = &body["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls", "{model}: {body}");
        assert_eq!(choice["message"]["content"], Value::Null, "{model}: {body}");
        let call = &choice["message"]["tool_calls"][0];
        assert_eq!(call["type"], "function");
        assert_eq!(call["function"]["name"], "weather");
        let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(args, json!({"city": "t0", "days": 1}), "{model}");
        let sent = upstream.requests().last().unwrap().body.clone();
        match model {
            "claude" => {
                assert_eq!(sent["tools"][0]["name"], "weather", "{sent}");
                assert_eq!(sent["tools"][0]["input_schema"]["properties"]["city"]["type"], "string");
                assert_eq!(sent["tool_choice"], json!({"type": "auto"}));
            }
            _ => {
                assert_eq!(sent["tools"], tools);
                assert_eq!(sent["tool_choice"], "auto");
            }
        }

        // Streamed: the call arrives in pieces.
        let chunks = stream(
            &api,
            json!({ "model": model, "messages": [ask], "tools": tools, "stream": true,
                    "stream_options": {"include_usage": true} }),
        )
        .await;
        let calls = streamed_calls(&chunks);
        assert_eq!(calls.len(), 1, "{model}: {chunks:?}");
        let (id, name, arguments) = calls[0].clone();
        assert!(!id.is_empty() && name == "weather", "{model}: {chunks:?}");
        assert_eq!(serde_json::from_str::<Value>(&arguments).unwrap(), json!({"city": "t0", "days": 1}));
        assert!(chunks.iter().filter(|c| c["choices"][0]["delta"]["tool_calls"].is_array()).count() >= 2);
        assert_eq!(finish_reasons(&chunks), ["tool_calls"], "{model}");
        assert_eq!(chunks.last().unwrap(), "[DONE]");

        // The result goes back; the model answers with it.
        let (s, _, body) = post(
            &api,
            json!({ "model": model, "tools": tools, "messages": [
                ask,
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": id, "type": "function", "function": {"name": "weather", "arguments": arguments}}
                ]},
                {"role": "tool", "tool_call_id": id, "content": "sunny"}
            ]}),
        )
        .await;
        assert_eq!(s, 200, "{model}: {body}");
        assert_eq!(body["choices"][0]["message"]["content"], "tool said: sunny", "{model}: {body}");
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        let sent = upstream.requests().last().unwrap().body.clone();
        match model {
            "claude" => {
                assert_eq!(sent["messages"][1]["content"][0]["type"], "tool_use", "{sent}");
                assert_eq!(sent["messages"][1]["content"][0]["input"], json!({"city": "t0", "days": 1}));
                assert_eq!(
                    sent["messages"][2]["content"][0],
                    json!({"type": "tool_result", "tool_use_id": id, "content": "sunny"})
                );
            }
            _ => {
                assert_eq!(sent["messages"][1]["tool_calls"][0]["id"], id.as_str(), "{sent}");
                assert_eq!(sent["messages"][2], json!({"role": "tool", "tool_call_id": id, "content": "sunny"}));
            }
        }
    }
    // The rest of OpenAI's options pass through to OpenAI-compatible providers.
    let (s, _, body) = post(
        &api,
        json!({ "model": "gpt-4o", "messages": [{"role": "user", "content": "json please"}],
                "response_format": {"type": "json_object"}, "n": 2, "top_p": 0.5, "stop": "END",
                "tool_choice": {"type": "function", "function": {"name": "weather"}}, "tools": tools }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let sent = upstream.requests().last().unwrap().body.clone();
    assert_eq!(sent["response_format"], json!({"type": "json_object"}));
    assert_eq!(sent["n"], 2);
    assert_eq!(sent["top_p"], 0.5);
    assert_eq!(sent["stop"], json!(["END"]));
    assert_eq!(sent["tool_choice"], json!({"type": "function", "function": {"name": "weather"}}));
    // Anthropic gives one choice per call: asking for two is a clear 400, nothing sent.
    let calls = upstream.calls();
    let (s, h, body) =
        post(&api, json!({ "model": "claude", "n": 2, "messages": [{"role": "user", "content": "x"}] })).await;
    assert_eq!(openai_error(s, &h, &body, 400), "invalid_request_error");
    assert_eq!(body["error"]["param"], "n");
    assert_eq!(upstream.calls(), calls);
}

async fn presets_are_models_and_other_tenants_are_invisible(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let api = token_client(&app, &admin, None).await;
    let (s, preset) = admin
        .send(
            Method::POST,
            "/v1/presets",
            Some(json!({ "source": "tenant", "name": "Reviewer", "model": "claude",
                         "system_prompt": "You review code.", "temperature": 0.2, "max_tokens": 64 })),
        )
        .await;
    assert_eq!(s, 201, "{preset}");
    let preset_model = format!("preset/{}", preset["id"].as_str().unwrap());

    // Another tenant with its own model and preset.
    let (_, globex) = app.second_tenant("globex").await;
    let model = json!({ "provider": "openai", "upstream_model": "gpt-secret", "display_name": "Globex only",
                        "context_window": 8000, "max_output_tokens": 100,
                        "input_price_per_million": 0, "output_price_per_million": 0 });
    let (s, body) = globex.send(Method::PUT, "/v1/models/globex-only", Some(model)).await;
    assert_eq!(s, 200, "{body}");
    let (s, theirs) =
        globex.send(Method::POST, "/v1/presets", Some(json!({ "source": "tenant", "name": "Globex preset" }))).await;
    assert_eq!(s, 201, "{theirs}");
    let their_preset = format!("preset/{}", theirs["id"].as_str().unwrap());
    let globex_api = token_client(&app, &globex, None).await;

    let list = api.get_json("/openai/v1/models").await;
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"gpt-4o") && ids.contains(&"claude") && ids.contains(&preset_model.as_str()), "{ids:?}");
    assert!(!ids.contains(&"globex-only") && !ids.contains(&their_preset.as_str()), "{ids:?}");
    assert!(list["data"].as_array().unwrap().iter().all(|m| m["object"] == "model" && m["owned_by"].is_string()));
    let theirs_listed = globex_api.get_json("/openai/v1/models").await.to_string();
    assert!(theirs_listed.contains("globex-only") && !theirs_listed.contains(&preset_model), "{theirs_listed}");
    assert_eq!(api.get_json(&format!("/openai/v1/models/{preset_model}")).await["id"], preset_model.as_str());
    let (s, _) = api.send(Method::GET, "/openai/v1/models/globex-only", None).await;
    assert_eq!(s, 404);

    // A preset as the model: its model, system prompt and settings apply.
    let (s, _, body) = post(
        &api,
        json!({ "model": preset_model, "messages": [
            {"role": "system", "content": "Mine too."}, {"role": "user", "content": "Review this"}] }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["model"], preset_model.as_str());
    let sent = upstream.requests().last().unwrap().clone();
    assert_eq!(sent.path, "/v1/messages", "the preset's model is an Anthropic one");
    assert_eq!(sent.body["model"], "claude-sonnet-4");
    assert_eq!(sent.body["system"], "You review code.\n\nMine too.");
    assert_eq!(sent.body["temperature"].as_f64().unwrap(), f64::from(0.2f32));
    assert_eq!(sent.body["max_tokens"], 64);

    // Other tenants' models and presets, unknown ones and malformed preset ids: 404, nothing sent.
    let calls = upstream.calls();
    for model in ["globex-only", their_preset.as_str(), "no-such-model", "preset/not-a-uuid"] {
        let (s, h, body) = post(&api, json!({ "model": model, "messages": [{"role": "user", "content": "hi"}] })).await;
        assert_eq!(openai_error(s, &h, &body, 404), "invalid_request_error", "{model}");
        assert_eq!(body["error"]["code"], "model_not_found");
        assert_eq!(body["error"]["param"], "model");
    }
    assert_eq!(upstream.calls(), calls);
}

async fn refusals_quota_auth_and_bad_input_write_nothing(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let api = token_client(&app, &admin, None).await;
    let hello = json!({ "model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}] });

    // No token, a malformed one, a revoked one: 401.
    let (secret, id) = admin.create_token(json!({ "name": "revoked" })).await;
    let (s, _) = admin.send(Method::DELETE, &format!("/v1/me/tokens/{id}"), None).await;
    assert_eq!(s, 204);
    for client in [app.anonymous(), app.with_token("cfb_not-a-real-token"), app.with_token(&secret)] {
        let (s, h, body) = post(&client, hello.clone()).await;
        assert_eq!(openai_error(s, &h, &body, 401), "authentication_error");
        let (s, _) = client.send(Method::GET, "/openai/v1/models", None).await;
        assert_eq!(s, 401);
    }

    // Bad input: a clear 400 naming the field.
    let cases = [
        (json!({ "model": "gpt-4o" }), "body"),
        (json!({ "model": "gpt-4o", "messages": [] }), "messages"),
        (json!({ "model": "gpt-4o", "messages": [{"role": "robot", "content": "x"}] }), "messages[0].role"),
        (json!({ "model": "gpt-4o", "messages": [{"role": "system", "content": "only a system prompt"}] }), "messages"),
        (json!({ "model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "temperature": 7 }), "temperature"),
        (json!({ "model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0 }), "max_tokens"),
        (
            json!({ "model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "tool_choice": "required" }),
            "tool_choice",
        ),
    ];
    for (body, param) in cases {
        let (s, h, resp) = post(&api, body.clone()).await;
        assert_eq!(openai_error(s, &h, &resp, 400), "invalid_request_error", "{body}");
        assert_eq!(resp["error"]["param"], param, "{body}: {resp}");
    }
    let resp = api.request(Method::POST, COMPLETIONS).body("{not json").send().await.unwrap();
    assert_eq!(resp.status(), 400);

    // A user with a spent budget: 429 with Retry-After, nothing sent.
    let carol = app.create_user(&admin, "carol@acme.example", "member").await;
    let resp = admin
        .put("/v1/tenant/quotas", json!({ "subject": "user", "user_id": carol, "period": "day", "token_limit": 0 }))
        .await;
    assert!(resp.status().is_success());
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let carol_api = token_client(&app, &carol, None).await;
    let (s, h, body) = post(&carol_api, hello.clone()).await;
    assert_eq!(openai_error(s, &h, &body, 429), "insufficient_quota");
    assert_eq!(body["error"]["code"], "quota_exceeded");
    let retry_after: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry_after), "{retry_after}");

    assert_eq!(upstream.calls(), 0, "nothing reached the provider");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(admin.get_json("/v1/usage").await["today"]["turns"], 0);
    assert_eq!(audit_entries(&admin).await.len(), 0, "refused before anything was written");
}

async fn upstream_failures_are_mapped_and_never_hang(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let api = token_client(&app, &admin, None).await;
    let ask = |content: &str| json!({ "model": "gpt-4o", "messages": [{"role": "user", "content": content}] });
    let (s, h, body) = post(&api, ask("[upstream status=429 retry_after=7]")).await;
    assert_eq!(openai_error(s, &h, &body, 429), "rate_limit_error");
    assert_eq!(h["retry-after"], "7");
    let (s, h, body) = post(&api, ask("[upstream status=500]")).await;
    assert_eq!(openai_error(s, &h, &body, 502), "api_error");
    let (s, h, body) = post(&api, ask("[upstream status=400]")).await;
    assert_eq!(openai_error(s, &h, &body, 400), "invalid_request_error");
    // A stream that goes silent ends with an error event (the idle timeout), not a hang.
    let mut body = ask("[upstream tokens=5 hang_after=2]");
    body["stream"] = json!(true);
    let chunks = stream(&api, body).await;
    assert_eq!(streamed_text(&chunks), "t0 t1 ");
    let last = chunks.last().unwrap();
    assert_eq!(last["error"]["code"], "upstream_timeout", "{chunks:?}");
    // Not streamed, the same failure is an error status.
    let (s, h, body) = post(&api, ask("[upstream tokens=5 hang_after=2]")).await;
    assert_eq!(openai_error(s, &h, &body, 504), "api_error");
    until("failed calls are on record", async || {
        audit_entries(&admin).await.iter().filter(|e| e["outcome"] == "failure").count() == 5
    })
    .await;
}

async fn keep_modes_decide_what_is_kept(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let nothing = token_client(&app, &admin, Some("nothing")).await;
    let metadata = token_client(&app, &admin, Some("metadata")).await;
    let conversation = token_client(&app, &admin, Some("conversation")).await;
    let tokens = admin.get_json("/v1/me/tokens").await;
    let keeps: Vec<&str> = tokens["items"].as_array().unwrap().iter().map(|t| t["keep"].as_str().unwrap()).collect();
    assert_eq!(keeps, ["conversation", "metadata", "nothing"], "newest first: {tokens}");
    let (s, body) = admin.send(Method::POST, "/v1/me/tokens", Some(json!({ "name": "x", "keep": "everything" }))).await;
    assert!(s.is_client_error(), "{body}");

    let ask = |word: &str| json!({ "model": "gpt-4o", "messages": [{"role": "user", "content": format!("Tell me about {word}")}] });
    let (s, _, _) = post(&nothing, ask("zebrafish")).await;
    assert_eq!(s, 200);
    until("a usage event even when nothing is kept", async || admin.get_json("/v1/usage").await["today"]["turns"] == 1)
        .await;
    assert_eq!(audit_entries(&admin).await.len(), 0, "keep=nothing writes no audit entry");

    let (s, _, _) = post(&metadata, ask("axolotl")).await;
    assert_eq!(s, 200);
    until("one audit entry", async || audit_entries(&admin).await.len() == 1).await;
    assert_eq!(admin.get_json("/v1/conversations").await["items"], json!([]));

    let mut body = ask("quokka");
    body["stream"] = json!(true);
    let chunks = stream(&conversation, body).await;
    assert_eq!(streamed_text(&chunks), "t0 t1 t2 t3 t4 t5 t6 t7 ");
    until("the exchange kept as a conversation", async || {
        admin.get_json("/v1/conversations").await["items"].as_array().unwrap().len() == 1
    })
    .await;
    let conv = admin.get_json("/v1/conversations").await["items"][0].clone();
    assert_eq!(conv["title"], "Tell me about quokka");
    let id = conv["id"].as_str().unwrap();
    let messages = admin.get_json(&format!("/v1/conversations/{id}")).await;
    let text = messages.to_string();
    assert!(text.contains("Tell me about quokka") && text.contains("t0 t1 t2"), "{messages}");
    assert_eq!(audit_entries(&admin).await.len(), 2);
    let hits = admin.request(Method::GET, "/v1/search").query(&[("q", "quokka")]).send().await.unwrap();
    let hits: Value = hits.json().await.unwrap();
    assert!(hits["items"].as_array().is_some_and(|h| !h.is_empty()), "searchable: {hits}");
    for word in ["zebrafish", "axolotl"] {
        let hits: Value =
            admin.request(Method::GET, "/v1/search").query(&[("q", word)]).send().await.unwrap().json().await.unwrap();
        assert_eq!(hits["items"], json!([]), "{word} was not kept: {hits}");
    }
    assert_eq!(admin.get_json("/v1/usage").await["today"]["turns"], 3);
}

/// The example pii-redactor plugin, as `plugins/build.sh` built it.
fn pii_redactor() -> (Value, String) {
    let dist = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins/dist");
    let read = |file: &str| {
        std::fs::read(dist.join(file))
            .unwrap_or_else(|e| panic!("plugins/dist/{file}: {e}; build the example plugins first (plugins/build.sh)"))
    };
    let manifest: Value = serde_json::from_slice(&read("pii-redactor.manifest.json")).unwrap();
    let component = read(&format!("pii-redactor-{}.wasm", manifest["version"].as_str().unwrap()));
    (manifest, base64::engine::general_purpose::STANDARD.encode(component))
}

async fn the_plugin_chain_redacts_before_the_upstream_sees_it(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let (manifest, component) = pii_redactor();
    let (s, body) = admin
        .send(Method::POST, "/v1/plugins", Some(json!({ "manifest": manifest, "component_base64": component })))
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = admin
        .send(Method::PUT, "/v1/tenant/plugins/pii-redactor", Some(json!({ "version": "0.1.0", "enabled": true })))
        .await;
    assert_eq!(s, 200, "{body}");
    let api = token_client(&app, &admin, Some("conversation")).await;
    for model in ["gpt-4o", "claude"] {
        let (s, _, body) = post(
            &api,
            json!({ "model": model, "messages": [{"role": "user", "content": "Write to jane.doe@example.com please"}] }),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        let sent = upstream.requests().last().unwrap().body.to_string();
        assert!(!sent.contains("jane.doe@example.com"), "the provider saw the address: {sent}");
        assert!(sent.contains("Write to"), "{sent}");
    }
    // Tool results pass the chain too, and the tool calls keep their place.
    let (s, _, body) = post(
        &api,
        json!({ "model": "claude", "messages": [
            {"role": "user", "content": "Who owns it?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "owner", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "t1", "content": "owner is bob@example.com"}
        ], "tools": [{"type": "function", "function": {"name": "owner"}}] }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let sent = upstream.requests().last().unwrap().body.clone();
    assert_eq!(sent["messages"][2]["content"][0]["tool_use_id"], "t1", "{sent}");
    assert!(!sent.to_string().contains("bob@example.com"), "{sent}");
    // The plugin runs are on record with the kept answer.
    until("kept", async || admin.get_json("/v1/conversations").await["items"].as_array().unwrap().len() == 3).await;
}

async fn images_go_to_vision_models_as_data_urls_only(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let api = token_client(&app, &admin, None).await;
    let data = base64::engine::general_purpose::STANDARD.encode(crate::files::png(32, 16));
    let image = |url: String| json!({ "type": "image_url", "image_url": { "url": url } });
    let ask = |model: &str, part: Value| json!({ "model": model, "messages": [{ "role": "user", "content": [{ "type": "text", "text": "What is this?" }, part] }] });
    // A vision model gets the image, in OpenAI's format and in Anthropic's.
    let (s, _, body) = post(&api, ask("gpt-4o", image(format!("data:image/png;base64,{data}")))).await;
    assert_eq!(s, 200, "{body}");
    let sent = upstream.requests().last().unwrap().body.clone();
    let parts = sent["messages"][0]["content"].as_array().unwrap().clone();
    assert_eq!(
        parts[0],
        json!({ "type": "image_url", "image_url": { "url": format!("data:image/png;base64,{data}") } })
    );
    assert_eq!(parts[1], json!({ "type": "text", "text": "What is this?" }));
    // The declared type is not trusted: the bytes are sniffed.
    let (s, _, body) = post(&api, ask("claude", image(format!("data:image/jpeg;base64,{data}")))).await;
    assert_eq!(s, 200, "{body}");
    let sent = upstream.requests().last().unwrap().body.clone();
    assert_eq!(
        sent["messages"][0]["content"][0]["source"],
        json!({ "type": "base64", "media_type": "image/png", "data": data })
    );
    // Refused before anything goes upstream: a model without vision, a remote URL (never
    // fetched), bytes that are no image, an image in an assistant message.
    let calls = upstream.calls();
    for (name, body, param) in [
        ("no vision", ask("tiny", image(format!("data:image/png;base64,{data}"))), "messages"),
        (
            "remote",
            ask("gpt-4o", image("https://attacker.example/x.png".into())),
            "messages[0].content[1].image_url.url",
        ),
        (
            "not an image",
            ask("gpt-4o", image("data:image/png;base64,aGVsbG8=".into())),
            "messages[0].content[1].image_url.url",
        ),
        (
            "assistant image",
            json!({ "model": "gpt-4o", "messages": [{ "role": "user", "content": "hi" }, { "role": "assistant", "content": [image(format!("data:image/png;base64,{data}"))] }] }),
            "messages[1].content[0]",
        ),
    ] {
        let (s, h, resp) = post(&api, body).await;
        assert_eq!(openai_error(s, &h, &resp, 400), "invalid_request_error", "{name}: {resp}");
        assert_eq!(resp["error"]["param"], param, "{name}: {resp}");
    }
    assert_eq!(upstream.calls(), calls, "nothing went upstream");
}

both_backends!(
    images_go_to_vision_models_as_data_urls_only,
    completions_stream_and_not_with_usage_audit_and_cost,
    tool_calls_round_trip_through_openai_and_anthropic,
    presets_are_models_and_other_tenants_are_invisible,
    refusals_quota_auth_and_bad_input_write_nothing,
    upstream_failures_are_mapped_and_never_hang,
    keep_modes_decide_what_is_kept,
    the_plugin_chain_redacts_before_the_upstream_sees_it,
);

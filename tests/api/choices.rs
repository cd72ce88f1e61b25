//! Streaming choices: several answers to one message generated at once on one SSE connection,
//! resumed together from one `Last-Event-ID`, cancelled one by one, picked, reserved against the
//! quota all together and recorded one usage event each.
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// A personal preset whose system prompt scripts the upstream; returns its current version id.
async fn scripted_preset(api: &Api, name: &str, model: &str, directive: &str) -> String {
    let body = json!({ "source": "personal", "name": name, "model": model, "system_prompt": directive });
    let (s, p) = api.send(Method::POST, "/v1/presets", Some(body)).await;
    assert_eq!(s, 201, "{p}");
    p["current"]["id"].as_str().unwrap().to_string()
}

fn is_final(event: &SseEvent) -> bool {
    matches!(event.event.as_str(), "message.completed" | "message.failed" | "message.cancelled")
}

/// The answer an event belongs to.
fn answer_of(event: &SseEvent) -> String {
    let d = &event.data;
    d["message_id"].as_str().or(d["assistant_message_id"].as_str()).or(d["message"]["id"].as_str()).unwrap().to_string()
}

/// What one client saw of each answer: its text, its `created` and final events.
#[derive(Default, Debug)]
struct Seen {
    text: HashMap<String, String>,
    created: HashMap<String, usize>,
    finals: HashMap<String, usize>,
    last_id: Option<String>,
}

impl Seen {
    fn take(&mut self, event: &SseEvent) {
        let answer = answer_of(event);
        match event.event.as_str() {
            "message.created" => *self.created.entry(answer).or_default() += 1,
            "message.delta" => {
                let text = self.text.entry(answer).or_default();
                // Each delta carries the answer's length after it: no gap, no overlap.
                text.push_str(event.data["content"].as_str().unwrap());
                assert_eq!(text.len() as u64, event.data["offset"].as_u64().unwrap(), "a gap or a duplicate");
            }
            _ => *self.finals.entry(answer).or_default() += 1,
        }
        self.last_id = event.id.clone();
    }
}

async fn next_event(reader: &mut SseReader) -> Option<SseEvent> {
    tokio::time::timeout(Duration::from_secs(30), reader.next()).await.expect("the stream went quiet")
}

async fn reattach(api: &Api, set: &str, last_event_id: &str) -> SseReader {
    let resp = api
        .request(Method::GET, &format!("/v1/choice-sets/{set}/events"))
        .header("Last-Event-ID", last_event_id)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    SseReader::new(resp)
}

async fn three_choices_stream_concurrently_on_one_connection_and_resume_from_one_id(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    // Three answers, each with its own preset (and model, over three provider wire formats),
    // at three speeds: 16 tokens each, every 30, 60 and 90 ms.
    let fast = scripted_preset(&admin, "Fast", "gpt-4o", "[upstream delay_ms=30 text=fast]").await;
    let middle = scripted_preset(&admin, "Middle", "claude", "[upstream delay_ms=60 text=middle]").await;
    let slow = scripted_preset(&admin, "Slow", "azure-gpt", "[upstream delay_ms=90 text=slow]").await;
    let conv = admin.conversation().await;
    let body = json!({
        "content": "[upstream tokens=16] compare",
        "choices": 3,
        "choice_options": [{ "preset_version_id": fast }, { "preset_version_id": middle }, { "preset_version_id": slow }],
    });
    let resp = admin.stream(&format!("/v1/conversations/{conv}/messages"), "k1", body).await;
    assert_eq!(resp.status(), 200);
    let mut reader = SseReader::new(resp);

    let mut seen = Seen::default();
    let mut order = Vec::new();
    let mut set = String::new();
    // Read until every answer has text and none has ended: they stream at the same time.
    while seen.text.len() < 3 {
        let event = next_event(&mut reader).await.expect("the stream ended early");
        assert!(!is_final(&event), "an answer ended before all three had started: {event:?}");
        if event.event == "message.created" {
            assert_eq!(event.data["choice"].as_u64().unwrap() as usize, order.len(), "created in choice order");
            set = event.data["choice_set_id"].as_str().unwrap().to_string();
            order.push(answer_of(&event));
        }
        seen.take(&event);
    }
    assert_eq!(order.len(), 3);
    // The connection drops mid-stream; one id resumes all three.
    drop(reader);
    let first_id = seen.last_id.clone().unwrap();
    assert_eq!(first_id.split('.').count(), 3, "one position per answer: {first_id}");
    let mut reader = reattach(&admin, &set, &first_id).await;
    // Read on until the fastest has finished and a little more, then drop again.
    while seen.finals.is_empty() {
        let event = next_event(&mut reader).await.expect("the stream ended early");
        seen.take(&event);
    }
    drop(reader);
    let second_id = seen.last_id.clone().unwrap();
    assert!(second_id.split('.').any(|p| p == "x"), "a finished answer is marked done: {second_id}");
    let mut reader = reattach(&admin, &set, &second_id).await;
    while let Some(event) = next_event(&mut reader).await {
        seen.take(&event);
    }

    for (i, id) in order.iter().enumerate() {
        assert_eq!(seen.created.get(id), Some(&1), "answer {i}: one created event");
        assert_eq!(seen.finals.get(id), Some(&1), "answer {i}: one final event");
        let stored = admin.get_json(&format!("/v1/messages/{id}")).await;
        assert_eq!(stored["status"], "completed", "{stored}");
        assert_eq!(seen.text[id], stored["content"].as_str().unwrap(), "answer {i}: what streamed is what is stored");
    }
    let word = |i: usize| seen.text[&order[i]].split_whitespace().next().unwrap().to_string();
    assert_eq!([word(0), word(1), word(2)], ["fast", "middle", "slow"], "each answer used its own preset");
    for id in &order {
        assert_eq!(seen.text[id].split_whitespace().count(), 16);
    }
    // One upstream request per answer, each with its own model.
    let mut models: Vec<String> =
        upstream.requests().iter().map(|r| r.body["model"].as_str().unwrap_or(&r.path).to_string()).collect();
    models.sort();
    assert_eq!(upstream.calls(), 3);
    assert!(models.iter().any(|m| m == "claude-sonnet-4"), "{models:?}");
    assert!(models.iter().any(|m| m == "gpt-4o"), "{models:?}");

    // A finished set resumes with nothing more (every answer done), and from the start in full.
    let done: String = ["x"; 3].join(".");
    let mut reader = reattach(&admin, &set, &done).await;
    assert!(next_event(&mut reader).await.is_none(), "nothing after every answer's end");
    let resp = admin.get(&format!("/v1/choice-sets/{set}/events")).await;
    let mut reader = SseReader::new(resp);
    let mut replay = Seen::default();
    while let Some(event) = next_event(&mut reader).await {
        replay.take(&event);
    }
    assert_eq!(replay.text, seen.text);
    // A Last-Event-ID of another shape is refused.
    let resp = admin
        .request(Method::GET, &format!("/v1/choice-sets/{set}/events"))
        .header("Last-Event-ID", "12")
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(status, &body, 422), "validation_failed");
}

async fn cancel_one_the_others_finish_and_the_pick_becomes_the_active_branch(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let body = json!({ "content": "[upstream tokens=20 delay_ms=40] three ways", "model": "gpt-4o", "choices": 3 });
    let (s, turn) = admin.post_idem(&path, "k1", body.clone()).await;
    assert_eq!(s, 202, "{turn}");
    let set = turn["choice_set_id"].as_str().unwrap().to_string();
    let ids: Vec<String> =
        turn["choices"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(turn["assistant_message"]["id"], ids[0].as_str());
    let user = turn["user_message"]["id"].as_str().unwrap().to_string();

    // Stop the second; the others run on.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (s, cancelled) = admin.send(Method::POST, &format!("/v1/messages/{}/cancel", ids[1]), None).await;
    assert_eq!(s, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let first = admin.wait_final(&ids[0]).await;
    let third = admin.wait_final(&ids[2]).await;
    assert_eq!(first["status"], "completed");
    assert_eq!(third["status"], "completed");
    assert_eq!(third["content"].as_str().unwrap().split_whitespace().count(), 20);
    let second = admin.wait_final(&ids[1]).await;
    assert!(second["content"].as_str().unwrap().split_whitespace().count() < 20, "stopped early: {second}");

    // The same key and body is the same turn: nothing new is generated.
    let (s, again) = admin.post_idem(&path, "k1", body).await;
    assert_eq!(s, 202, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["choice_set_id"], set.as_str());
    let again_ids: Vec<&str> = again["choices"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(again_ids, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let (s, reused) = admin
        .post_idem(
            &path,
            "k1",
            json!({ "content": "[upstream tokens=20 delay_ms=40] three ways",
        "model": "gpt-4o", "choices": 2 }),
        )
        .await;
    assert_eq!(error_code(s, &reused, 422), "idempotency_key_reused");
    assert_eq!(upstream.calls(), 3);

    // Until a pick, the first answer is the active branch; the others are its siblings.
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["id"], ids[0].as_str());
    assert_eq!(messages[1]["sibling_ids"], json!(ids));
    assert_eq!(detail["choice_sets"][0]["id"], set.as_str());
    assert_eq!(detail["choice_sets"][0]["parent_id"], user.as_str());
    assert_eq!(detail["choice_sets"][0]["picked_message_id"], Value::Null);

    // Use this answer.
    let pick = format!("/v1/choice-sets/{set}/pick");
    let (s, picked) = admin.send(Method::POST, &pick, Some(json!({ "message_id": ids[2] }))).await;
    assert_eq!(s, 200, "{picked}");
    assert_eq!(picked["picked_message_id"], ids[2].as_str());
    assert!(picked["picked_at"].is_string());
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages[1]["id"], ids[2].as_str(), "the pick is the active branch");
    assert_eq!(messages[1]["sibling_ids"], json!(ids), "the others stay as siblings");
    assert_eq!(detail["conversation"]["active_leaf_id"], ids[2].as_str());
    assert_eq!(detail["choice_sets"][0]["picked_message_id"], ids[2].as_str());
    // The next message follows the pick.
    let (s, next) = admin.post_idem(&path, "k2", json!({ "content": "go on", "model": "gpt-4o" })).await;
    assert_eq!(s, 202, "{next}");
    assert_eq!(next["user_message"]["parent_id"], ids[2].as_str());
    assert_eq!(next["choice_set_id"], Value::Null);
    admin.wait_final(next["assistant_message"]["id"].as_str().unwrap()).await;

    // The pick is in the user's export (preference data).
    let files = crate::personal::export(&admin).await;
    let file = files.keys().find(|k| k.starts_with("conversations/") && k.contains(&conv)).unwrap().clone();
    let exported: Value = serde_json::from_str(&files[&file]).unwrap();
    assert_eq!(exported["choice_sets"][0]["picked_message_id"], ids[2].as_str());
    assert_eq!(exported["choice_sets"][0]["message_ids"], json!(ids));

    // Bad input changes nothing; another user's set is not found; no credential is 401.
    let (s, body) = admin.send(Method::POST, &pick, Some(json!({ "message_id": user }))).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    let (s, body) = admin.send(Method::POST, &pick, Some(json!({}))).await;
    assert!(s.is_client_error(), "{s} {body}");
    let detail = admin.get_json(&format!("/v1/choice-sets/{set}")).await;
    assert_eq!(detail["choice_set"]["picked_message_id"], ids[2].as_str(), "unchanged by refused picks");
    assert_eq!(detail["answers"].as_array().unwrap().len(), 3);
    app.create_user(&admin, "other@example.com", "member").await;
    let other = app.login("other@example.com", PASSWORD).await;
    let (s, body) = other.send(Method::POST, &pick, Some(json!({ "message_id": ids[0] }))).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let (s, body) = other.send(Method::GET, &format!("/v1/choice-sets/{set}/events"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let (s, body) = other.send(Method::GET, &format!("/v1/choice-sets/{set}"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    let (s, _) = app.anonymous().send(Method::POST, &pick, Some(json!({ "message_id": ids[0] }))).await;
    assert_eq!(s, 401);
    let detail = admin.get_json(&format!("/v1/choice-sets/{set}")).await;
    assert_eq!(detail["choice_set"]["picked_message_id"], ids[2].as_str());

    // Usage: one event per answer (the cancelled one too), summing to what the tenant is charged.
    let usage = admin.get_json("/v1/usage").await;
    let mut sum = 0;
    for id in ids.iter().map(String::as_str).chain([next["assistant_message"]["id"].as_str().unwrap()]) {
        let m = admin.get_json(&format!("/v1/messages/{id}")).await;
        sum += m["usage"]["input_tokens"].as_u64().unwrap() + m["usage"]["output_tokens"].as_u64().unwrap();
    }
    let today = &usage["today"];
    assert_eq!(today["input_tokens"].as_u64().unwrap() + today["output_tokens"].as_u64().unwrap(), sum, "{usage}");
    assert_eq!(today["turns"], 4, "{usage}");
}

async fn a_quota_with_room_for_two_refuses_three_before_anything_is_sent(b: Backend) {
    let (upstream, _app, admin) = setup(b).await;
    // Each answer reserves its prompt plus gpt-4o's 1024 output tokens: 2200 holds two, not three.
    let (s, q) = admin
        .send(
            Method::PUT,
            "/v1/tenant/quotas",
            Some(json!({ "subject": "user_default", "period": "day", "token_limit": 2200 })),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let (s, body) = admin
        .post_idem(&path, "k1", json!({ "content": "[upstream tokens=5] hi", "model": "gpt-4o", "choices": 3 }))
        .await;
    assert_eq!(error_code(s, &body, 429), "quota_exceeded");
    let quota = &body["error"]["quota"];
    assert_eq!(quota["limit"], 2200);
    assert_eq!(quota["remaining"], 2200, "nothing stays reserved: {quota}");
    assert!(quota["requested"].as_u64().unwrap() > 3 * 1024, "the three together: {quota}");
    assert_eq!(upstream.calls(), 0, "nothing is sent");
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["messages"], json!([]), "nothing is written");
    assert_eq!(detail["choice_sets"], json!([]));
    let usage = admin.get_json("/v1/usage").await;
    let day = usage["quotas"].as_array().unwrap().iter().find(|q| q["period"] == "day").unwrap().clone();
    assert_eq!(day["reserved"], 0, "{usage}");

    // Two fit: both run, each settles its own reservation.
    let (s, turn) = admin
        .post_idem(&path, "k2", json!({ "content": "[upstream tokens=5] hi", "model": "gpt-4o", "choices": 2 }))
        .await;
    assert_eq!(s, 202, "{turn}");
    let mut sum = 0;
    for m in turn["choices"].as_array().unwrap() {
        let done = admin.wait_final(m["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed");
        sum += done["usage"]["input_tokens"].as_u64().unwrap() + done["usage"]["output_tokens"].as_u64().unwrap();
    }
    assert_eq!(upstream.calls(), 2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let usage = admin.get_json("/v1/usage").await;
    let day = usage["quotas"].as_array().unwrap().iter().find(|q| q["period"] == "day").unwrap().clone();
    assert_eq!(day["reserved"], 0, "{usage}");
    assert_eq!(day["used"].as_u64().unwrap(), sum, "{usage}");
}

async fn choices_are_validated_before_anything_is_written(b: Backend) {
    let (upstream, app, admin) = setup(b).await;
    let conv = admin.conversation().await;
    let path = format!("/v1/conversations/{conv}/messages");
    let cases = [
        (json!({ "content": "hi", "choices": 5 }), "choices"),
        (json!({ "content": "hi", "choices": 0 }), "choices"),
        (json!({ "content": "hi", "choices": 3, "choice_options": [{}, {}] }), "choice_options"),
        (json!({ "content": "hi", "choice_options": [{ "model": "gpt-4o" }] }), "choice_options"),
        (
            json!({ "content": "hi", "choices": 2, "choice_options": [{ "model": "gpt-4o" }, { "model": "nope" }] }),
            "model",
        ),
    ];
    for (i, (body, field)) in cases.into_iter().enumerate() {
        let (s, err) = admin.post_idem(&path, &format!("bad{i}"), body).await;
        assert!(s.is_client_error(), "{s} {err}");
        assert!(err.to_string().contains(field), "{field}: {err}");
    }
    // Another user's preset version is not found.
    app.create_user(&admin, "other@example.com", "member").await;
    let other = app.login("other@example.com", PASSWORD).await;
    let theirs = scripted_preset(&other, "Theirs", "gpt-4o", "Be brief.").await;
    let (s, err) = admin
        .post_idem(
            &path,
            "bad-preset",
            json!({ "content": "hi", "choices": 2,
            "choice_options": [{}, { "preset_version_id": theirs }] }),
        )
        .await;
    assert_eq!(error_code(s, &err, 404), "not_found");
    assert_eq!(upstream.calls(), 0);
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["messages"], json!([]));

    // Regenerate with choices: new answers beside the old one, under the same question.
    let (s, turn) = admin.post_idem(&path, "k1", json!({ "content": "hi", "model": "gpt-4o" })).await;
    assert_eq!(s, 202, "{turn}");
    let old = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    admin.wait_final(&old).await;
    let (s, again) = admin
        .post_idem(
            &format!("/v1/messages/{old}/regenerate"),
            "r1",
            json!({ "choices": 2,
            "choice_options": [{ "model": "gpt-4o" }, { "model": "claude" }] }),
        )
        .await;
    assert_eq!(s, 202, "{again}");
    assert_eq!(again["user_message"], Value::Null);
    let answers = again["choices"].as_array().unwrap();
    assert_eq!(answers[0]["model"], "gpt-4o");
    assert_eq!(answers[1]["model"], "claude");
    for a in answers {
        assert_eq!(a["parent_id"], turn["user_message"]["id"]);
        assert_eq!(admin.wait_final(a["id"].as_str().unwrap()).await["status"], "completed");
    }
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["messages"][1]["sibling_ids"].as_array().unwrap().len(), 3);
}

both_backends!(
    three_choices_stream_concurrently_on_one_connection_and_resume_from_one_id,
    cancel_one_the_others_finish_and_the_pick_becomes_the_active_branch,
    a_quota_with_room_for_two_refuses_three_before_anything_is_sent,
    choices_are_validated_before_anything_is_written,
);

//! The scripted upstream on its own, over plain HTTP (no Confab involved): its OpenAI and Anthropic
//! wire formats, its knobs, and what it records.
use confab_tests::upstream::ScriptedUpstream;
use futures::StreamExt;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const EIGHT_TOKENS: &str = "t0 t1 t2 t3 t4 t5 t6 t7 ";

/// An OpenAI request: a 2-word system prompt and the given user message (the prompt is 4 tokens
/// when `content` is two words).
fn openai_request(content: &str, stream: bool) -> Value {
    json!({
        "model": "gpt-test",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": content}],
        "stream": stream,
        "stream_options": {"include_usage": true},
        "temperature": 0.2,
    })
}

/// An Anthropic request: a 2-word system prompt and the given user message.
fn anthropic_request(content: &str, stream: bool) -> Value {
    json!({
        "model": "claude-test",
        "system": "be brief",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": content}],
        "stream": stream,
    })
}

async fn post_with(client: &Client, up: &ScriptedUpstream, path: &str, body: &Value) -> reqwest::Result<Response> {
    let request = client.post(format!("{}{path}", up.base_url())).json(body);
    let request = if path == "/v1/messages" {
        request.header("X-Api-Key", "sk-ant-test").header("anthropic-version", "2023-06-01")
    } else {
        request.bearer_auth("sk-test")
    };
    request.send().await
}

async fn post(up: &ScriptedUpstream, path: &str, body: &Value) -> Response {
    post_with(&Client::new(), up, path, body).await.unwrap()
}

async fn openai(up: &ScriptedUpstream, body: &Value) -> Response {
    post(up, "/v1/chat/completions", body).await
}

async fn anthropic(up: &ScriptedUpstream, body: &Value) -> Response {
    post(up, "/v1/messages", body).await
}

/// Reads a body chunk by chunk until it ends or fails: the text received, and the error if any.
async fn read_body(resp: Response) -> (String, Option<reqwest::Error>) {
    let mut chunks = resp.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(err) => return (String::from_utf8(bytes).unwrap(), Some(err)),
        }
    }
    (String::from_utf8(bytes).unwrap(), None)
}

/// Server-sent events as `(event name, data)`; every line must be `event: …` or `data: …`.
fn sse(body: &str) -> Vec<(Option<String>, String)> {
    assert!(body.is_empty() || body.ends_with("\n\n"), "{body:?}");
    body.split("\n\n")
        .filter(|block| !block.is_empty())
        .map(|block| {
            let (mut event, mut data) = (None, None);
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name.to_owned());
                } else if let Some(payload) = line.strip_prefix("data: ") {
                    assert!(data.replace(payload.to_owned()).is_none(), "{block:?}");
                } else {
                    panic!("unexpected SSE line {line:?} in {body:?}");
                }
            }
            (event, data.unwrap_or_else(|| panic!("no data in {block:?}")))
        })
        .collect()
}

/// The JSON data of each event; the ones that do not parse are left out.
fn json_events(events: &[(Option<String>, String)]) -> Vec<Value> {
    events.iter().filter_map(|(_, data)| serde_json::from_str(data).ok()).collect()
}

/// Concatenated `delta.content` of OpenAI chunks.
fn openai_text(chunks: &[Value]) -> String {
    chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect()
}

/// Concatenated `text_delta`s of Anthropic events.
fn anthropic_text(events: &[Value]) -> String {
    events.iter().filter(|e| e["type"] == "content_block_delta").filter_map(|e| e["delta"]["text"].as_str()).collect()
}

fn timeout_client(timeout: Duration) -> Client {
    Client::builder().timeout(timeout).build().unwrap()
}

#[tokio::test]
async fn openai_streams_chunks_in_the_wire_format() {
    let up = ScriptedUpstream::start().await;
    let resp = openai(&up, &openai_request("hello there", true)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let (body, err) = read_body(resp).await;
    assert!(err.is_none(), "{err:?}");
    let events = sse(&body);
    assert!(events.iter().all(|(name, _)| name.is_none()), "OpenAI events are unnamed");
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> =
        events[..events.len() - 1].iter().map(|(_, data)| serde_json::from_str(data).unwrap()).collect();
    // role chunk, 8 tokens, finish chunk, usage chunk
    assert_eq!(chunks.len(), 11, "{body}");
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"), "{id}");
    for chunk in &chunks {
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "gpt-test");
        assert!(chunk["created"].as_u64().unwrap() > 1_700_000_000);
    }
    assert_eq!(
        chunks[0]["choices"],
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}])
    );
    assert_eq!(chunks[1]["choices"], json!([{"index": 0, "delta": {"content": "t0 "}, "finish_reason": null}]));
    assert_eq!(openai_text(&chunks), EIGHT_TOKENS);
    assert_eq!(chunks[9]["choices"], json!([{"index": 0, "delta": {}, "finish_reason": "stop"}]));
    assert_eq!(chunks[10]["choices"], json!([]));
    assert_eq!(chunks[10]["usage"], json!({"prompt_tokens": 4, "completion_tokens": 8, "total_tokens": 12}));
}

#[tokio::test]
async fn openai_stream_caps_tokens_and_usage_on_request() {
    let up = ScriptedUpstream::start().await;
    let chunks_of = |body: String| {
        let events = sse(&body);
        assert_eq!(events.last().unwrap().1, "[DONE]");
        json_events(&events)
    };

    // `max_tokens` caps the reply: finish reason `length`; no usage chunk unless asked for.
    let body = json!({
        "model": "m",
        "messages": [{"role": "user", "content": "[upstream tokens=5 text=hi] go"}],
        "stream": true,
        "max_tokens": 3,
    });
    let chunks = chunks_of(openai(&up, &body).await.text().await.unwrap());
    assert_eq!(openai_text(&chunks), "hi hi hi ");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "length");
    assert!(chunks.iter().all(|c| c.get("usage").is_none()), "{chunks:?}");

    // `max_completion_tokens` too; a cap above the token count leaves it alone.
    let mut body = openai_request("[upstream tokens=3]", true);
    body["max_completion_tokens"] = json!(2);
    let chunks = chunks_of(openai(&up, &body).await.text().await.unwrap());
    assert_eq!(openai_text(&chunks), "t0 t1 ");
    assert_eq!(chunks[chunks.len() - 2]["choices"][0]["finish_reason"], "length");
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 2);
    body["max_completion_tokens"] = json!(5);
    let chunks = chunks_of(openai(&up, &body).await.text().await.unwrap());
    assert_eq!(openai_text(&chunks), "t0 t1 t2 ");
    assert_eq!(chunks[chunks.len() - 2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks.last().unwrap()["usage"], json!({"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}));

    // `usage=0` leaves usage out although asked for.
    let chunks = chunks_of(openai(&up, &openai_request("[upstream usage=0]", true)).await.text().await.unwrap());
    assert_eq!(openai_text(&chunks), EIGHT_TOKENS);
    assert!(chunks.iter().all(|c| c.get("usage").is_none()), "{chunks:?}");
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn anthropic_streams_events_in_the_wire_format() {
    let up = ScriptedUpstream::start().await;
    let resp = anthropic(&up, &anthropic_request("hello there", true)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let (body, err) = read_body(resp).await;
    assert!(err.is_none(), "{err:?}");
    let events = sse(&body);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_deref().unwrap()).collect();
    let mut expected = vec!["message_start", "content_block_start", "ping"];
    expected.extend(["content_block_delta"; 8]);
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, expected);
    let data = json_events(&events);
    assert_eq!(data.len(), events.len(), "every event carries JSON");
    for (name, data) in names.iter().zip(&data) {
        assert_eq!(data["type"], *name);
    }
    let message = &data[0]["message"];
    assert!(message["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], "claude-test");
    assert_eq!(message["content"], json!([]));
    assert_eq!(message["stop_reason"], Value::Null);
    assert_eq!(message["usage"], json!({"input_tokens": 4, "output_tokens": 1}));
    assert_eq!(
        data[1],
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    );
    assert_eq!(
        data[3],
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "t0 "}})
    );
    assert_eq!(anthropic_text(&data), EIGHT_TOKENS);
    assert_eq!(data[11], json!({"type": "content_block_stop", "index": 0}));
    assert_eq!(
        data[12],
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": 8},
        })
    );
    assert_eq!(data[13], json!({"type": "message_stop"}));
}

#[tokio::test]
async fn anthropic_stream_caps_tokens_and_omits_usage_on_request() {
    let up = ScriptedUpstream::start().await;
    // Knobs in content blocks; the system prompt as blocks counts towards input tokens too.
    let body = json!({
        "model": "claude-test",
        "system": [{"type": "text", "text": "one two three"}],
        "max_tokens": 3,
        "stream": true,
        "messages": [
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "an answer"},
            {"role": "user", "content": [{"type": "text", "text": "again"}, {"type": "text", "text": "[upstream tokens=5]"}]},
        ],
    });
    let events = json_events(&sse(&anthropic(&up, &body).await.text().await.unwrap()));
    assert_eq!(anthropic_text(&events), "t0 t1 t2 ");
    assert_eq!(events[0]["message"]["usage"]["input_tokens"], 10);
    let delta = events.iter().find(|e| e["type"] == "message_delta").unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(delta["usage"]["output_tokens"], 3);
    assert_eq!(events.last().unwrap()["type"], "message_stop");

    let events = json_events(&sse(&anthropic(&up, &anthropic_request("[upstream usage=0 text=yo tokens=2]", true))
        .await
        .text()
        .await
        .unwrap()));
    assert_eq!(anthropic_text(&events), "yo yo ");
    assert!(events[0]["message"].get("usage").is_none(), "{:?}", events[0]);
    let delta = events.iter().find(|e| e["type"] == "message_delta").unwrap();
    assert!(delta.get("usage").is_none(), "{delta:?}");
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
}

#[tokio::test]
async fn non_streaming_replies_are_whole_json_documents() {
    let up = ScriptedUpstream::start().await;

    let resp = openai(&up, &openai_request("hello there", false)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let reply: Value = resp.json().await.unwrap();
    assert!(reply["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(reply["object"], "chat.completion");
    assert_eq!(reply["model"], "gpt-test");
    assert_eq!(
        reply["choices"],
        json!([{"index": 0, "message": {"role": "assistant", "content": EIGHT_TOKENS}, "finish_reason": "stop"}])
    );
    assert_eq!(reply["usage"], json!({"prompt_tokens": 4, "completion_tokens": 8, "total_tokens": 12}));

    let mut body = openai_request("[upstream tokens=4]", false);
    body["max_tokens"] = json!(2);
    let reply: Value = openai(&up, &body).await.json().await.unwrap();
    assert_eq!(reply["choices"][0]["message"]["content"], "t0 t1 ");
    assert_eq!(reply["choices"][0]["finish_reason"], "length");

    let resp = anthropic(&up, &anthropic_request("hello there", false)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let reply: Value = resp.json().await.unwrap();
    assert!(reply["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(reply["type"], "message");
    assert_eq!(reply["role"], "assistant");
    assert_eq!(reply["model"], "claude-test");
    assert_eq!(reply["content"], json!([{"type": "text", "text": EIGHT_TOKENS}]));
    assert_eq!(reply["stop_reason"], "end_turn");
    assert_eq!(reply["usage"], json!({"input_tokens": 4, "output_tokens": 8}));

    let mut body = anthropic_request("[upstream usage=0]", false);
    body["max_tokens"] = json!(1);
    let reply: Value = anthropic(&up, &body).await.json().await.unwrap();
    assert_eq!(reply["content"][0]["text"], "t0 ");
    assert_eq!(reply["stop_reason"], "max_tokens");
    assert!(reply.get("usage").is_none(), "{reply}");
}

#[tokio::test]
async fn status_knob_answers_with_the_providers_error_body() {
    let up = ScriptedUpstream::start().await;

    let resp = openai(&up, &openai_request("[upstream status=429 retry_after=7]", true)).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "7");
    let error: Value = resp.json().await.unwrap();
    assert!(error["error"]["message"].is_string(), "{error}");
    assert_eq!(error["error"]["type"], "requests");
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");

    let resp = anthropic(&up, &anthropic_request("[upstream status=429 retry_after=7]", true)).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "7");
    let error: Value = resp.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "rate_limit_error");
    assert!(error["error"]["message"].is_string(), "{error}");

    let resp = anthropic(&up, &anthropic_request("[upstream status=500]", false)).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(resp.headers().get("retry-after").is_none());
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["type"], "api_error");
    let resp = openai(&up, &openai_request("[upstream status=401]", false)).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "invalid_api_key");

    assert_eq!(up.calls(), 4, "error answers are counted too");
}

#[tokio::test]
async fn fail_first_fails_the_first_attempts_of_each_message() {
    let up = ScriptedUpstream::start().await;
    let body = openai_request("[upstream fail_first=2] hi", false);
    for _ in 0..2 {
        let resp = openai(&up, &body).await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        let error: Value = resp.json().await.unwrap();
        assert_eq!(error["error"]["type"], "server_error", "{error}");
    }
    // Another message has its own counter.
    let other = openai_request("[upstream fail_first=1] other", false);
    assert_eq!(openai(&up, &other).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let resp = openai(&up, &body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["choices"][0]["message"]["content"], EIGHT_TOKENS);
    assert_eq!(openai(&up, &other).await.status(), StatusCode::OK);
    assert_eq!(openai(&up, &body).await.status(), StatusCode::OK);

    let body = anthropic_request("[upstream fail_first=1]", true);
    let resp = anthropic(&up, &body).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error: Value = resp.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "overloaded_error");
    let resp = anthropic(&up, &body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(anthropic_text(&json_events(&sse(&resp.text().await.unwrap()))), EIGHT_TOKENS);
    assert_eq!(up.calls(), 8);
}

#[tokio::test]
async fn drop_after_breaks_the_body_after_n_tokens() {
    let up = ScriptedUpstream::start().await;

    let resp = openai(&up, &openai_request("[upstream drop_after=3]", true)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (body, err) = read_body(resp).await;
    assert!(err.is_some(), "the body must fail, got a clean end after {body:?}");
    let events = sse(&body);
    assert!(events.iter().all(|(_, data)| data != "[DONE]"), "{body}");
    let chunks = json_events(&events);
    assert_eq!(openai_text(&chunks), "t0 t1 t2 ");
    assert!(chunks.iter().all(|c| c["choices"][0]["finish_reason"].is_null()), "{body}");

    let resp = anthropic(&up, &anthropic_request("[upstream drop_after=3 delay_ms=5]", true)).await;
    let (body, err) = read_body(resp).await;
    assert!(err.is_some(), "the body must fail, got a clean end after {body:?}");
    let events = json_events(&sse(&body));
    assert_eq!(anthropic_text(&events), "t0 t1 t2 ");
    assert!(events.iter().all(|e| e["type"] != "message_stop" && e["type"] != "message_delta"), "{body}");

    // Not streaming: the JSON document is cut off.
    let resp = openai(&up, &openai_request("[upstream drop_after=1]", false)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (body, err) = read_body(resp).await;
    assert!(err.is_some(), "{body}");
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
}

#[tokio::test]
async fn hang_after_goes_silent_until_the_client_gives_up() {
    let up = ScriptedUpstream::start().await;
    let client = timeout_client(Duration::from_millis(500));

    let started = Instant::now();
    let resp = post_with(&client, &up, "/v1/chat/completions", &openai_request("[upstream hang_after=2]", true))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (body, err) = read_body(resp).await;
    let elapsed = started.elapsed();
    assert!(err.as_ref().is_some_and(reqwest::Error::is_timeout), "{err:?}");
    assert!(elapsed >= Duration::from_millis(450) && elapsed < Duration::from_secs(5), "{elapsed:?}");
    let events = sse(&body);
    assert_eq!(openai_text(&json_events(&events)), "t0 t1 ");
    assert!(events.iter().all(|(_, data)| data != "[DONE]"));

    // hang_after=0: the headers and the preamble, then nothing.
    let resp =
        post_with(&client, &up, "/v1/messages", &anthropic_request("[upstream hang_after=0]", true)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (body, err) = read_body(resp).await;
    assert!(err.as_ref().is_some_and(reqwest::Error::is_timeout), "{err:?}");
    let names: Vec<String> = sse(&body).into_iter().map(|(name, _)| name.unwrap()).collect();
    assert_eq!(names, ["message_start", "content_block_start", "ping"]);

    // hang_before_headers: not even a status line.
    let started = Instant::now();
    let err =
        post_with(&client, &up, "/v1/chat/completions", &openai_request("[upstream hang_before_headers=1]", true))
            .await
            .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(450));
    assert_eq!(up.calls(), 3);
}

#[tokio::test]
async fn malformed_at_sends_one_line_that_is_not_json() {
    let up = ScriptedUpstream::start().await;

    let body = openai(&up, &openai_request("[upstream malformed_at=1]", true)).await.text().await.unwrap();
    let events = sse(&body);
    let broken: Vec<&str> = events
        .iter()
        .map(|(_, data)| data.as_str())
        .filter(|data| *data != "[DONE]" && serde_json::from_str::<Value>(data).is_err())
        .collect();
    assert_eq!(broken, [r#"{"choices":[{"delta":{"content":"#]);
    assert_eq!(openai_text(&json_events(&events)), "t0 t2 t3 t4 t5 t6 t7 ");
    assert_eq!(events.last().unwrap().1, "[DONE]");

    let body = anthropic(&up, &anthropic_request("[upstream malformed_at=1]", true)).await.text().await.unwrap();
    let events = sse(&body);
    let broken: Vec<_> = events.iter().filter(|(_, data)| serde_json::from_str::<Value>(data).is_err()).collect();
    assert_eq!(broken, [&(Some("content_block_delta".to_owned()), "{not json".to_owned())]);
    let data = json_events(&events);
    assert_eq!(anthropic_text(&data), "t0 t2 t3 t4 t5 t6 t7 ");
    assert_eq!(data.last().unwrap()["type"], "message_stop");

    // Not streaming: a complete body that does not parse.
    let resp = anthropic(&up, &anthropic_request("[upstream malformed_at=0]", false)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (body, err) = read_body(resp).await;
    assert!(err.is_none(), "{err:?}");
    assert!(body.starts_with('{') && serde_json::from_str::<Value>(&body).is_err(), "{body}");
}

#[tokio::test]
async fn delay_ms_paces_the_stream_event_by_event() {
    let up = ScriptedUpstream::start().await;
    let started = Instant::now();
    let resp = openai(&up, &openai_request("[upstream tokens=3 delay_ms=200]", true)).await;
    let mut chunks = resp.bytes_stream();
    let mut arrivals = Vec::new();
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.unwrap();
        body.extend_from_slice(&chunk);
        arrivals.push((started.elapsed(), String::from_utf8(chunk.to_vec()).unwrap()));
    }
    let total = started.elapsed();
    assert!(total >= Duration::from_millis(600), "{total:?}");
    // The role chunk comes at once, not buffered behind the tokens.
    assert!(arrivals[0].0 < Duration::from_millis(400), "{arrivals:?}");
    assert!(arrivals[0].1.contains(r#""role":"assistant""#), "{arrivals:?}");
    let first_token = arrivals.iter().find(|(_, text)| text.contains("t0 ")).unwrap();
    assert!(first_token.0 >= Duration::from_millis(200), "{arrivals:?}");
    assert_eq!(openai_text(&json_events(&sse(&String::from_utf8(body).unwrap()))), "t0 t1 t2 ");

    // Not streaming: the delay comes before the answer.
    let started = Instant::now();
    let resp = anthropic(&up, &anthropic_request("[upstream tokens=2 delay_ms=150]", false)).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.json::<Value>().await.unwrap()["content"][0]["text"], "t0 t1 ");
}

#[tokio::test]
async fn knobs_come_from_the_last_user_message_only() {
    let up = ScriptedUpstream::start().await;
    let body = json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "[upstream tokens=1 status=500]"},
            {"role": "assistant", "content": "[upstream tokens=2]"},
            {"role": "user", "content": "please [upstream tokens=3 colour=blue delay_ms=oops] and [upstreamish tokens=9] [upstream text=ok]"},
            {"role": "system", "content": "[upstream tokens=4]"},
        ],
    });
    let reply: Value = openai(&up, &body).await.json().await.unwrap();
    assert_eq!(reply["choices"][0]["message"]["content"], "ok ok ok ");
    assert_eq!(reply["usage"]["prompt_tokens"], 3 + 2 + 10 + 2);
}

#[tokio::test]
async fn records_every_model_request_in_order() {
    let up = ScriptedUpstream::start().await;
    let client = Client::new();

    let first = openai_request("hello there", false);
    assert_eq!(openai(&up, &first).await.status(), StatusCode::OK);

    // Azure: the deployment path and its query; the model defaults to the deployment.
    let azure = json!({"messages": [{"role": "user", "content": "hi"}], "stream": true});
    let resp = client
        .post(format!("{}/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01", up.base_url()))
        .header("Api-Key", "azure-secret")
        .json(&azure)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let chunks = json_events(&sse(&resp.text().await.unwrap()));
    assert_eq!(chunks[0]["model"], "gpt-4o");
    assert_eq!(openai_text(&chunks), EIGHT_TOKENS);

    let third = anthropic_request("[upstream status=529]", true);
    assert_eq!(anthropic(&up, &third).await.status().as_u16(), 529);

    // A malformed request is recorded, then refused the provider's way.
    let resp = client
        .post(format!("{}/v1/messages", up.base_url()))
        .json(&json!({"model": "claude-test", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["type"], "invalid_request_error");

    // Elsewhere: 404, not recorded.
    for (method, path) in [
        (reqwest::Method::GET, "/v1/chat/completions"),
        (reqwest::Method::POST, "/v1/completions"),
        (reqwest::Method::POST, "/openai/deployments//chat/completions"),
        (reqwest::Method::GET, "/"),
    ] {
        let resp = client.request(method, format!("{}{path}", up.base_url())).json(&first).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }

    assert_eq!(up.calls(), 4);
    let requests = up.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v1/chat/completions",
            "/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01",
            "/v1/messages",
            "/v1/messages",
        ]
    );
    assert_eq!(requests[0].body, first);
    assert_eq!(requests[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(requests[1].body, azure);
    assert!(requests[1].headers.contains(&("api-key".to_owned(), "azure-secret".to_owned())), "{:?}", requests[1]);
    assert_eq!(requests[2].body, third);
    assert_eq!(requests[2].header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(requests[2].header("anthropic-version"), Some("2023-06-01"));
    assert!(requests.iter().flat_map(|r| &r.headers).all(|(name, _)| *name == name.to_lowercase()));
}

#[tokio::test]
async fn dropping_the_upstream_stops_it() {
    let up = ScriptedUpstream::start().await;
    let base = up.base_url();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'), "{base}");
    let client = timeout_client(Duration::from_secs(30));

    // A stream left hanging, and a kept-alive idle connection.
    let resp = post_with(&client, &up, "/v1/chat/completions", &openai_request("[upstream hang_after=1]", true))
        .await
        .unwrap();
    let hanging = tokio::spawn(read_body(resp));
    assert_eq!(
        post_with(&client, &up, "/v1/chat/completions", &openai_request("hi", false)).await.unwrap().status(),
        200
    );

    drop(up);
    let (body, err) = tokio::time::timeout(Duration::from_secs(5), hanging).await.unwrap().unwrap();
    assert!(err.is_some_and(|err| !err.is_timeout()), "{body}");
    assert_eq!(openai_text(&json_events(&sse(&body))), "t0 ");

    tokio::time::sleep(Duration::from_millis(100)).await;
    let gone = client.post(format!("{base}/v1/chat/completions")).json(&openai_request("hi", false)).send().await;
    assert!(gone.is_err(), "{gone:?}");
}

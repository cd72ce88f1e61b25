//! The answer stream: server-sent events from `message.created` to the final event, each with
//! the id a client sends back as `Last-Event-ID` to resume.

use super::views::MessageView;
use bytes::Bytes;
use confab_core::chat::Positions;
use confab_core::chat::engine::ChatEvent;
use confab_core::domain::MessageStatus;
use confab_core::store::messages::Message;
use futures::StreamExt;
use futures::stream::BoxStream;
use poem::IntoResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object, Union};
use std::time::Duration;
use uuid::Uuid;

/// `message.created`: the turn exists; always the first event of a new stream.
#[derive(Debug, Clone, Object)]
pub struct MessageCreated {
    /// The conversation.
    pub conversation_id: Uuid,
    /// The user message this turn added; null for turns without one (regenerate, continue).
    #[oai(nullable)]
    pub user_message_id: Option<Uuid>,
    /// The answer being written: the id to attach to and to cancel.
    pub assistant_message_id: Uuid,
    /// The model writing the answer.
    #[oai(nullable)]
    pub model: Option<String>,
    /// On a choice set's stream: the set (null on a single answer's stream).
    #[oai(nullable)]
    pub choice_set_id: Option<Uuid>,
    /// On a choice set's stream: this answer's index in choice order, from 0 (null otherwise).
    #[oai(nullable)]
    pub choice: Option<u32>,
}

/// `message.delta`: the next piece of the answer.
#[derive(Debug, Clone, Object)]
pub struct MessageDelta {
    /// The answer.
    pub message_id: Uuid,
    /// The next piece of its text, to append.
    pub content: String,
    /// The answer's length in bytes after this delta (also the event's `id`).
    pub offset: u64,
}

/// `message.completed`: the answer is complete.
#[derive(Debug, Clone, Object)]
pub struct MessageCompleted {
    /// The finished answer.
    pub message: MessageView,
}

/// `message.failed`: the turn ended with an error; `message.status` is `failed` (no text) or
/// `partial` (some text; it can be continued).
#[derive(Debug, Clone, Object)]
pub struct MessageFailed {
    /// The answer as it ended, with its `error`.
    pub message: MessageView,
}

/// `message.cancelled`: stopped by the user; `message.content` has the text so far.
#[derive(Debug, Clone, Object)]
pub struct MessageCancelled {
    /// The answer as it was when stopped.
    pub message: MessageView,
}

/// One server-sent event. Its SSE `event:` field is the `type`; its `id:` is the message's
/// content length in bytes after the event (send it back as `Last-Event-ID` to resume). On a
/// choice set's stream the id holds one position per answer instead (see
/// `GET /v1/choice-sets/{id}/events`).
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "type")]
pub enum StreamEvent {
    #[oai(mapping = "message.created")]
    Created(MessageCreated),
    #[oai(mapping = "message.delta")]
    Delta(MessageDelta),
    #[oai(mapping = "message.completed")]
    Completed(MessageCompleted),
    #[oai(mapping = "message.failed")]
    Failed(MessageFailed),
    #[oai(mapping = "message.cancelled")]
    Cancelled(MessageCancelled),
}

impl StreamEvent {
    /// The SSE id: 0 for `created`, the content length after a delta, length + 1 at the end.
    fn id(&self) -> u64 {
        match self {
            StreamEvent::Created(_) => 0,
            StreamEvent::Delta(d) => d.offset,
            StreamEvent::Completed(MessageCompleted { message })
            | StreamEvent::Failed(MessageFailed { message })
            | StreamEvent::Cancelled(MessageCancelled { message }) => message.content.len() as u64 + 1,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            StreamEvent::Created(_) => "message.created",
            StreamEvent::Delta(_) => "message.delta",
            StreamEvent::Completed(_) => "message.completed",
            StreamEvent::Failed(_) => "message.failed",
            StreamEvent::Cancelled(_) => "message.cancelled",
        }
    }
}

/// The answer stream as a response body. Described in the spec as an event stream (a string of
/// SSE frames whose `data:` is a [`StreamEvent`]), not as poem-openapi's default JSON array, which
/// validators and generators would read as one JSON document.
///
/// Each event is written as one frame straight into one buffer (see [`frame`]): the deltas, which
/// are nearly all of a stream, without building a JSON `Value`, the `StreamEvent` or poem's `Event`
/// on the way.
pub struct Events<K: EventKind = MessageEvents> {
    frames: BoxStream<'static, Bytes>,
    heartbeat: Duration,
    kind: std::marker::PhantomData<fn() -> K>,
}

impl<K: EventKind> Events<K> {
    /// A stream of ready SSE frames, with a keep-alive after every `heartbeat` of silence.
    pub(crate) fn new(frames: BoxStream<'static, Bytes>, heartbeat: Duration) -> Self {
        Self { frames, heartbeat, kind: std::marker::PhantomData }
    }
}

/// What an event stream carries, for the spec: the event union and how the stream is described.
pub trait EventKind: Send + 'static {
    /// The description of the `text/event-stream` body.
    const DESCRIPTION: &'static str;
    /// The description of the 200 response.
    const RESPONSE: &'static str;
    fn register(registry: &mut Registry);
}

/// An answer's stream (or a choice set's): [`StreamEvent`]s.
pub struct MessageEvents;

impl EventKind for MessageEvents {
    const DESCRIPTION: &'static str = EVENT_STREAM_DESCRIPTION;
    const RESPONSE: &'static str = "The message's events from `Last-Event-ID` on (from the start without it), \
                                    live until its final event.";
    fn register(registry: &mut Registry) {
        StreamEvent::register(registry);
    }
}

const EVENT_STREAM_DESCRIPTION: &str = "Server-sent events (`text/event-stream`). Each event has \
     `event:` (its type: `message.created`, `message.delta`, `message.completed`, `message.failed` \
     or `message.cancelled`), `id:` (send the last one back as `Last-Event-ID` to resume) and one \
     `data:` line holding a JSON `StreamEvent` (`#/components/schemas/StreamEvent`, also named by \
     this media type's `x-event-schema`). Lines starting with `:` are keep-alives. The stream ends \
     after the final event (`completed`, `failed` or `cancelled`).";

impl<K: EventKind> Payload for Events<K> {
    const CONTENT_TYPE: &'static str = "text/event-stream";

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(K::DESCRIPTION),
            ..MetaSchema::new_with_format("string", "event-stream")
        }))
    }

    fn register(registry: &mut Registry) {
        K::register(registry);
    }
}

impl<K: EventKind> IntoResponse for Events<K> {
    fn into_response(self) -> poem::Response {
        let Events { mut frames, heartbeat, .. } = self;
        // A keep-alive comment whenever the heartbeat interval passes (as poem's SSE sends it).
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
        let body = futures::stream::poll_fn(move |cx| {
            if let std::task::Poll::Ready(frame) = frames.poll_next_unpin(cx) {
                return std::task::Poll::Ready(frame.map(Ok::<_, std::io::Error>));
            }
            interval.poll_tick(cx).map(|_| Some(Ok(Bytes::from_static(b":\n\n"))))
        });
        poem::Response::builder()
            .content_type("text/event-stream")
            .header("X-Accel-Buffering", "no")
            .header("Cache-Control", "no-cache")
            .body(poem::Body::from_bytes_stream(body))
    }
}

impl<K: EventKind> ApiResponse for Events<K> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: K::RESPONSE,
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType { content_type: Self::CONTENT_TYPE, schema: Self::schema_ref() }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        K::register(registry);
    }
}

fn to_wire(event: ChatEvent) -> StreamEvent {
    match event {
        ChatEvent::Created { user_message_id, message } => StreamEvent::Created(MessageCreated {
            conversation_id: message.conversation_id.0,
            user_message_id: user_message_id.map(|u| u.0),
            assistant_message_id: message.id.0,
            model: message.model,
            choice_set_id: None,
            choice: None,
        }),
        ChatEvent::Delta { message_id, content, offset } => {
            StreamEvent::Delta(MessageDelta { message_id: message_id.0, content, offset: offset as u64 })
        }
        ChatEvent::Finished(m) => final_event(std::sync::Arc::unwrap_or_clone(m)),
    }
}

/// The final event for a finished message.
fn final_event(m: Message) -> StreamEvent {
    match m.status {
        MessageStatus::Completed => StreamEvent::Completed(MessageCompleted { message: m.into() }),
        MessageStatus::Cancelled => StreamEvent::Cancelled(MessageCancelled { message: m.into() }),
        _ => StreamEvent::Failed(MessageFailed { message: m.into() }),
    }
}

/// Measures when the turn's first delta is handed to the client's connection
/// (`confab_chat_first_delta_written_seconds`, from the request's arrival).
pub(super) fn first_delta_timed(
    stream: BoxStream<'static, ChatEvent>,
    metrics: std::sync::Arc<confab_core::metrics::Metrics>,
    arrived: std::time::Instant,
) -> BoxStream<'static, ChatEvent> {
    let mut first = true;
    stream
        .inspect(move |event| {
            if matches!(event, ChatEvent::Delta { .. }) && std::mem::take(&mut first) {
                metrics.first_delta_written(arrived.elapsed());
            }
        })
        .boxed()
}

pub(super) fn sse(stream: BoxStream<'static, ChatEvent>, heartbeat: Duration) -> Events {
    Events::new(stream.map(frame).boxed(), heartbeat)
}

/// A choice set's answers on one stream. Events are those of a single answer (deltas carry
/// their `message_id`; `message.created` also its `choice_set_id` and `choice` index); each
/// event's `id:` is the stream's [`Positions`] after it, one position per answer, so one
/// `Last-Event-ID` resumes every answer where it was.
pub(super) fn sse_choices(
    stream: BoxStream<'static, (usize, ChatEvent)>,
    set: Uuid,
    mut positions: Positions,
    heartbeat: Duration,
) -> Events {
    let events = stream.map(move |(index, event)| {
        positions.advance(index, &event);
        let mut wire = to_wire(event);
        if let StreamEvent::Created(created) = &mut wire {
            created.choice_set_id = Some(set);
            created.choice = u32::try_from(index).ok();
        }
        generic_frame(&wire, &positions.to_string())
    });
    Events::new(events.boxed(), heartbeat)
}

/// One event as an SSE frame: `id:`, `event:` and a single `data:` line of JSON (the JSON never
/// holds a raw line break), then the blank line. A delta is written from its text into one
/// buffer, in the exact bytes the generic path writes (keys in order, serde_json's escaping);
/// the final event, which carries the whole answer, has the answer's text escaped straight into
/// the frame the same way (the rest of the message takes the generic path); `created` takes the
/// generic path. Each reader of a long answer so makes one copy of it for the end, not several.
fn frame(event: ChatEvent) -> Bytes {
    match event {
        ChatEvent::Delta { message_id, content, offset } => {
            let mut buf = Vec::with_capacity(content.len() + DELTA_FRAME_OVERHEAD);
            let mut offset_digits = itoa::Buffer::new();
            let offset = offset_digits.format(offset).as_bytes();
            buf.extend_from_slice(b"id: ");
            buf.extend_from_slice(offset);
            buf.extend_from_slice(b"\nevent: message.delta\ndata: {\"content\":");
            // Writing a `str` into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut buf, content.as_str());
            buf.extend_from_slice(b",\"message_id\":\"");
            buf.extend_from_slice(message_id.0.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()).as_bytes());
            buf.extend_from_slice(b"\",\"offset\":");
            buf.extend_from_slice(offset);
            buf.extend_from_slice(b",\"type\":\"message.delta\"}\n\n");
            Bytes::from(buf)
        }
        ChatEvent::Finished(message) => {
            let id = message.content.len() + 1;
            // The message is shared by every reader: copy all of it but the text, and escape the
            // text from the shared one straight into the frame.
            let wire = final_event(message.without_content());
            let json = poem_openapi::types::ToJSON::to_json_string(&wire);
            // The message's own `content` key (inside a JSON string a quote is escaped, so the
            // pattern cannot come from a value); anything unexpected takes the generic path.
            const KEY: &str = "\"content\":";
            const EMPTY: &str = "\"content\":\"\"";
            let mut found = json.match_indices(EMPTY);
            let (Some((at, _)), None) = (found.next(), found.next()) else {
                return generic_frame(&final_event(Message::clone(&message)), &id.to_string());
            };
            let mut id_digits = itoa::Buffer::new();
            let mut buf = Vec::with_capacity(message.content.len() + json.len() + 64);
            buf.extend_from_slice(b"id: ");
            buf.extend_from_slice(id_digits.format(id).as_bytes());
            buf.extend_from_slice(b"\nevent: ");
            buf.extend_from_slice(wire.name().as_bytes());
            buf.extend_from_slice(b"\ndata: ");
            buf.extend_from_slice(&json.as_bytes()[..at + KEY.len()]);
            let _ = serde_json::to_writer(&mut buf, message.content.as_str());
            buf.extend_from_slice(&json.as_bytes()[at + EMPTY.len()..]);
            buf.extend_from_slice(b"\n\n");
            Bytes::from(buf)
        }
        created => {
            let wire = to_wire(created);
            generic_frame(&wire, &wire.id().to_string())
        }
    }
}

/// A delta frame's bytes besides its text: the fixed parts, the id and offset twice, the uuid.
const DELTA_FRAME_OVERHEAD: usize = 160;

/// An event as poem's `Event` formats it, from its JSON through poem-openapi's `ToJSON`, with the
/// `id:` given (an answer's offset, or a choice set's positions).
fn generic_frame(event: &StreamEvent, id: &str) -> Bytes {
    sse_frame(id, event.name(), &poem_openapi::types::ToJSON::to_json_string(event))
}

/// An SSE frame: `id:`, `event:`, the data one `data:` line per line, then the blank line.
pub(crate) fn sse_frame(id: &str, name: &str, data: &str) -> Bytes {
    let mut text = format!("id: {id}\nevent: {name}\n");
    for line in data.lines() {
        text.push_str("data: ");
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    Bytes::from(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use confab_core::domain::MessageId;

    /// The delta frame is byte for byte what the generic path (poem-openapi's JSON, poem's SSE
    /// event) writes, for text that needs every kind of escaping.
    #[test]
    fn delta_frames_match_the_generic_encoding() {
        let texts = [
            "",
            "hello",
            "t0 t1 ",
            "quote \" backslash \\ slash / tab \t",
            "line\nbreak\r\nand \u{0} \u{1f} \u{7f}",
            "héllo → 世界 🎉 \u{2028} \u{feff}",
            "</script><b>&amp;</b>",
        ];
        for (i, text) in texts.iter().enumerate() {
            let message_id = MessageId::new();
            let offset = 1000 * i + text.len();
            let fast = frame(ChatEvent::Delta { message_id, content: (*text).to_owned(), offset });
            let wire = to_wire(ChatEvent::Delta { message_id, content: (*text).to_owned(), offset });
            let data = poem_openapi::types::ToJSON::to_json_string(&wire);
            let poem_event = poem::web::sse::Event::message(data).event_type(wire.name()).id(wire.id().to_string());
            assert_eq!(std::str::from_utf8(&fast).unwrap(), poem_event.to_string(), "{text:?}");
        }
    }

    /// The final frame, with the answer's text spliced in, is byte for byte what the generic path
    /// writes, for every final status, text that needs every kind of escaping, plugin runs
    /// (whose details hold the word "content") and an error.
    #[test]
    fn final_frames_match_the_generic_encoding() {
        use confab_core::domain::{ConversationId, MessageRole, MessageStatus, TenantId};
        use confab_core::store::messages::MessageError;
        let texts = ["", "t0 t1 ", "quote \" \"content\":\"\" \\ \n \u{2028} 世界 🎉", "</script>"];
        let statuses =
            [MessageStatus::Completed, MessageStatus::Partial, MessageStatus::Failed, MessageStatus::Cancelled];
        for text in texts {
            for status in statuses {
                let message = Message {
                    id: MessageId::new(),
                    tenant_id: TenantId::new(),
                    conversation_id: ConversationId::new(),
                    parent_id: Some(MessageId::new()),
                    role: MessageRole::Assistant,
                    status,
                    content: text.to_string(),
                    model: Some("gpt-4o".into()),
                    model_config: None,
                    error: (status != MessageStatus::Completed).then(|| MessageError {
                        code: "interrupted".into(),
                        message: "\"content\":\"\" was cut".into(),
                        retry_after_secs: None,
                    }),
                    input_tokens: Some(3),
                    output_tokens: Some(2),
                    plugin_runs: Some(serde_json::json!([{ "plugin": "p", "version": "1", "outcome": "changed",
                        "detail": "\"content\":\"\"", "elapsed_us": 5 }])),
                    created_at: chrono::Utc::now(),
                    updated_at: chrono::Utc::now(),
                };
                let fast = frame(ChatEvent::Finished(std::sync::Arc::new(message.clone())));
                let wire = to_wire(ChatEvent::Finished(std::sync::Arc::new(message)));
                let data = poem_openapi::types::ToJSON::to_json_string(&wire);
                let poem_event = poem::web::sse::Event::message(data).event_type(wire.name()).id(wire.id().to_string());
                assert_eq!(std::str::from_utf8(&fast).unwrap(), poem_event.to_string(), "{text:?} {status:?}");
            }
        }
    }
}

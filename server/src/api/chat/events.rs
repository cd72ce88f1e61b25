//! The answer stream: server-sent events from `message.created` to the final event, each with
//! the id a client sends back as `Last-Event-ID` to resume.

use super::views::MessageView;
use confab_core::chat::engine::ChatEvent;
use confab_core::domain::MessageStatus;
use futures::StreamExt;
use futures::stream::BoxStream;
use poem_openapi::payload::EventStream;
use poem_openapi::{Object, Union};
use std::time::Duration;
use uuid::Uuid;

/// `message.created`: the turn exists; always the first event of a new stream.
#[derive(Debug, Clone, Object)]
pub struct MessageCreated {
    pub conversation_id: Uuid,
    pub user_message_id: Option<Uuid>,
    pub assistant_message_id: Uuid,
    pub model: Option<String>,
}

/// `message.delta`: the next piece of the answer.
#[derive(Debug, Clone, Object)]
pub struct MessageDelta {
    pub message_id: Uuid,
    pub content: String,
    /// The answer's length in bytes after this delta (also the event's `id`).
    pub offset: u64,
}

/// `message.completed`: the answer is complete.
#[derive(Debug, Clone, Object)]
pub struct MessageCompleted {
    pub message: MessageView,
}

/// `message.failed`: the turn ended with an error; `message.status` is `failed` (no text) or
/// `partial` (some text; it can be continued).
#[derive(Debug, Clone, Object)]
pub struct MessageFailed {
    pub message: MessageView,
}

/// `message.cancelled`: stopped by the user; `message.content` has the text so far.
#[derive(Debug, Clone, Object)]
pub struct MessageCancelled {
    pub message: MessageView,
}

/// One server-sent event. Its SSE `event:` field is the `type`; its `id:` is the message's
/// content length in bytes after the event (send it back as `Last-Event-ID` to resume).
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

pub(super) type Events = EventStream<BoxStream<'static, StreamEvent>>;

fn to_wire(event: ChatEvent) -> StreamEvent {
    match event {
        ChatEvent::Created { user_message_id, message } => StreamEvent::Created(MessageCreated {
            conversation_id: message.conversation_id.0,
            user_message_id: user_message_id.map(|u| u.0),
            assistant_message_id: message.id.0,
            model: message.model,
        }),
        ChatEvent::Delta { message_id, content, offset } => {
            StreamEvent::Delta(MessageDelta { message_id: message_id.0, content, offset: offset as u64 })
        }
        ChatEvent::Finished(m) => match m.status {
            MessageStatus::Completed => StreamEvent::Completed(MessageCompleted { message: m.into() }),
            MessageStatus::Cancelled => StreamEvent::Cancelled(MessageCancelled { message: m.into() }),
            _ => StreamEvent::Failed(MessageFailed { message: m.into() }),
        },
    }
}

pub(super) fn sse(stream: BoxStream<'static, ChatEvent>, heartbeat: Duration) -> Events {
    EventStream::new(stream.map(to_wire).boxed()).keep_alive(heartbeat).to_event(|event| {
        let data = poem_openapi::types::ToJSON::to_json_string(&event);
        poem::web::sse::Event::message(data).event_type(event.name()).id(event.id().to_string())
    })
}

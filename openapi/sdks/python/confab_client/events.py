"""The answer stream's events, parsed from the raw server-sent events.

The server (`server/src/api/chat/events.rs`) sends, for one assistant message:

| SSE `event:`        | class              | data                                                   |
|---------------------|--------------------|--------------------------------------------------------|
| `message.created`   | `MessageCreated`   | conversation, user and assistant message ids, model    |
| `message.delta`     | `MessageDelta`     | the next piece of text and the answer's byte length    |
| `message.completed` | `MessageCompleted` | the finished `MessageView`                             |
| `message.failed`    | `MessageFailed`    | the `MessageView`, status `failed` or `partial`        |
| `message.cancelled` | `MessageCancelled` | the `MessageView` with the text written before cancel  |

`message.created` always comes first on a new stream; exactly one of the last three ends it.
Each event's SSE `id:` (`event_id` here) is a position in the answer: 0 for `created`, the
content's length in bytes after a delta, that length + 1 for the final event. Sent back as
`Last-Event-ID`, it resumes the stream right after that event. An event type this version does not
know arrives as `UnknownEvent`, so a newer server does not break an older client.

A private turn's stream (`server/src/api/private.rs`; the spec's `PrivateStreamEvent`) has the same
shape, with the turn's id instead of a message's and no stored message at the end:

| SSE `event:`      | class                   | data                                                    |
|-------------------|-------------------------|---------------------------------------------------------|
| `turn.created`    | `PrivateTurnCreated`    | the turn id, the model, the history messages left out   |
| `turn.delta`      | `PrivateTurnDelta`      | the next piece of text and the answer's byte length     |
| `turn.completed`  | `PrivateTurnCompleted`  | the answer's byte length and token counts               |
| `turn.failed`     | `PrivateTurnFailed`     | `failed` or `partial`, the error, the byte length       |
| `turn.cancelled`  | `PrivateTurnCancelled`  | the byte length of the text written before cancel       |

Its event ids are positions in the same way (0, the offset after a delta, length + 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID

from ._generated_names import MessageView


@dataclass(frozen=True)
class ServerSentEvent:
    """One raw event as it came off the wire."""

    event: str
    data: str
    id: str | None


class SSEDecoder:
    """Incremental text/event-stream parser (WHATWG HTML §9.2): feed it lines, get events."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._last_id: str | None = None

    def decode(self, line: str) -> ServerSentEvent | None:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            sse = ServerSentEvent(self._event or "message", "\n".join(self._data), self._last_id)
            self._event, self._data = "", []
            return sse
        if line.startswith(":"):  # a comment: the server's keep-alive
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        return None


def _uuid(value: Any) -> UUID | None:
    return None if value is None else UUID(str(value))


@dataclass(frozen=True)
class MessageCreated:
    """`message.created`: the turn exists; the first event of a new stream."""

    type: ClassVar[str] = "message.created"
    terminal: ClassVar[bool] = False
    event_id: str | None
    conversation_id: UUID
    assistant_message_id: UUID
    user_message_id: UUID | None
    """The user message being answered (for regenerate and continue, the existing one)."""
    model: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class MessageDelta:
    """`message.delta`: the next piece of the answer."""

    type: ClassVar[str] = "message.delta"
    terminal: ClassVar[bool] = False
    event_id: str | None
    message_id: UUID
    content: str
    offset: int
    """The answer's length in bytes (UTF-8) after this delta."""
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class _Final:
    terminal: ClassVar[bool] = True
    event_id: str | None
    message: MessageView
    """The assistant message as it ended (the generated model; `.content`, `.status`, `.error`...)."""
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class MessageCompleted(_Final):
    """`message.completed`: the answer is complete."""

    type: ClassVar[str] = "message.completed"


@dataclass(frozen=True)
class MessageFailed(_Final):
    """`message.failed`: the turn ended with an error; `message.status` is `failed` (no text) or
    `partial` (some text; it can be continued), `message.error` says why."""

    type: ClassVar[str] = "message.failed"


@dataclass(frozen=True)
class MessageCancelled(_Final):
    """`message.cancelled`: stopped by the user; `message.content` has the text so far."""

    type: ClassVar[str] = "message.cancelled"


@dataclass(frozen=True)
class UnknownEvent:
    """An event type this client version does not know (kept, not dropped)."""

    terminal: ClassVar[bool] = False
    type: str
    event_id: str | None
    data: Any


@dataclass(frozen=True)
class PrivateTurnCreated:
    """`turn.created`: the private answer is under way; the first event of a new stream."""

    type: ClassVar[str] = "turn.created"
    terminal: ClassVar[bool] = False
    event_id: str | None
    turn_id: UUID
    """The answer's id: to resume its events (`private_turn_events`) and to cancel it."""
    model: str
    """The model as named (a catalogue model, or `preset/<id>`)."""
    dropped_messages: int
    """Older messages of the history left out to fit the model's window."""
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class PrivateTurnDelta:
    """`turn.delta`: the next piece of the private answer."""

    type: ClassVar[str] = "turn.delta"
    terminal: ClassVar[bool] = False
    event_id: str | None
    turn_id: UUID
    content: str
    offset: int
    """The answer's length in bytes (UTF-8) after this delta."""
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class PrivateTurnError:
    """Why a private answer failed or stopped early."""

    code: str
    """e.g. `upstream_timeout`, `upstream_stream_broken`, `plugin_rejected`, `interrupted`."""
    message: str


@dataclass(frozen=True)
class PrivateTurnCompleted:
    """`turn.completed`: the private answer is complete (its text is the deltas'; the server
    keeps none of it)."""

    type: ClassVar[str] = "turn.completed"
    terminal: ClassVar[bool] = True
    event_id: str | None
    turn_id: UUID
    length: int
    """The answer's length in bytes (UTF-8)."""
    input_tokens: int
    output_tokens: int
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class PrivateTurnFailed:
    """`turn.failed`: the private answer ended with an error. `status` is `failed` (no text) or
    `partial` (some text: keep it, and continue it with a new turn whose last message is it)."""

    type: ClassVar[str] = "turn.failed"
    terminal: ClassVar[bool] = True
    event_id: str | None
    turn_id: UUID
    status: str
    error: PrivateTurnError
    length: int
    """The answer's length in bytes (UTF-8)."""
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class PrivateTurnCancelled:
    """`turn.cancelled`: stopped by the user; the text so far stands."""

    type: ClassVar[str] = "turn.cancelled"
    terminal: ClassVar[bool] = True
    event_id: str | None
    turn_id: UUID
    length: int
    """The answer's length in bytes (UTF-8)."""
    raw: dict[str, Any] = field(repr=False, compare=False)


StreamEvent = MessageCreated | MessageDelta | MessageCompleted | MessageFailed | MessageCancelled | UnknownEvent
"""What iterating a `MessageStream` yields."""

FinalEvent = MessageCompleted | MessageFailed | MessageCancelled

PrivateStreamEvent = (
    PrivateTurnCreated
    | PrivateTurnDelta
    | PrivateTurnCompleted
    | PrivateTurnFailed
    | PrivateTurnCancelled
    | UnknownEvent
)
"""What iterating a `PrivateTurnStream` yields."""

PrivateFinalEvent = PrivateTurnCompleted | PrivateTurnFailed | PrivateTurnCancelled

_FINAL: dict[str, type[MessageCompleted | MessageFailed | MessageCancelled]] = {
    MessageCompleted.type: MessageCompleted,
    MessageFailed.type: MessageFailed,
    MessageCancelled.type: MessageCancelled,
}


def _decode(sse: ServerSentEvent) -> tuple[str, dict[str, Any]] | UnknownEvent:
    """The event's type (its `event:` field, or else the data's `type`) and its JSON object; an
    `UnknownEvent` when the data is not a JSON object."""
    try:
        data = json.loads(sse.data)
    except ValueError:
        return UnknownEvent(type=sse.event, event_id=sse.id, data=sse.data)
    if not isinstance(data, dict):
        return UnknownEvent(type=sse.event, event_id=sse.id, data=data)
    kind = sse.event if sse.event != "message" else str(data.get("type", sse.event))
    return kind, data


def parse_event(sse: ServerSentEvent) -> StreamEvent:
    """The typed answer event for a raw one (its `event:` field, or else the data's `type`)."""
    decoded = _decode(sse)
    if isinstance(decoded, UnknownEvent):
        return decoded
    kind, data = decoded
    if kind == MessageCreated.type:
        return MessageCreated(
            event_id=sse.id,
            conversation_id=UUID(data["conversation_id"]),
            assistant_message_id=UUID(data["assistant_message_id"]),
            user_message_id=_uuid(data.get("user_message_id")),
            model=data.get("model"),
            raw=data,
        )
    if kind == MessageDelta.type:
        return MessageDelta(
            event_id=sse.id,
            message_id=UUID(data["message_id"]),
            content=data["content"],
            offset=int(data["offset"]),
            raw=data,
        )
    if kind in _FINAL:
        return _FINAL[kind](event_id=sse.id, message=MessageView.from_dict(data["message"]), raw=data)
    return UnknownEvent(type=kind, event_id=sse.id, data=data)


def parse_private_event(sse: ServerSentEvent) -> PrivateStreamEvent:
    """The typed private-turn event for a raw one (its `event:` field, or else the data's `type`)."""
    decoded = _decode(sse)
    if isinstance(decoded, UnknownEvent):
        return decoded
    kind, data = decoded
    if kind == PrivateTurnCreated.type:
        return PrivateTurnCreated(
            event_id=sse.id,
            turn_id=UUID(data["turn_id"]),
            model=str(data["model"]),
            dropped_messages=int(data.get("dropped_messages", 0)),
            raw=data,
        )
    if kind == PrivateTurnDelta.type:
        return PrivateTurnDelta(
            event_id=sse.id,
            turn_id=UUID(data["turn_id"]),
            content=data["content"],
            offset=int(data["offset"]),
            raw=data,
        )
    if kind == PrivateTurnCompleted.type:
        return PrivateTurnCompleted(
            event_id=sse.id,
            turn_id=UUID(data["turn_id"]),
            length=int(data["length"]),
            input_tokens=int(data.get("input_tokens", 0)),
            output_tokens=int(data.get("output_tokens", 0)),
            raw=data,
        )
    if kind == PrivateTurnFailed.type:
        error = data.get("error") or {}
        return PrivateTurnFailed(
            event_id=sse.id,
            turn_id=UUID(data["turn_id"]),
            status=str(data["status"]),
            error=PrivateTurnError(code=str(error.get("code", "")), message=str(error.get("message", ""))),
            length=int(data["length"]),
            raw=data,
        )
    if kind == PrivateTurnCancelled.type:
        return PrivateTurnCancelled(
            event_id=sse.id, turn_id=UUID(data["turn_id"]), length=int(data["length"]), raw=data
        )
    return UnknownEvent(type=kind, event_id=sse.id, data=data)

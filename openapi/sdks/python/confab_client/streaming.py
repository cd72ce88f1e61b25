"""Iterating an answer's events, with automatic reattach.

Two kinds of stream share one reconnect loop (`_SyncStream`, `_AsyncStream`) and differ in a
`_Position`: what they follow, how they parse and reattach.

- An answer (`MessageStream`) starts either with the turn request itself (`POST …/messages` and the
  other turn operations, with `Accept: text/event-stream`) or with `GET /v1/messages/{id}/events`.
  When the connection drops before a final event, the stream reattaches with
  `GET /v1/messages/{id}/events` and `Last-Event-ID` set to the last event it yielded; if it dropped
  before even `message.created` (so the message id is unknown), it repeats the turn request with the
  same `Idempotency-Key`, which the server answers with the same turn's stream.
- A private turn (`PrivateTurnStream`) starts with `POST /v1/private/turns` or with
  `GET /v1/private/turns/{id}/events`, and reattaches with the latter. The turn request has no
  idempotency: a drop before `turn.created` raises `StreamError` rather than start a second turn. A
  404 on reattach (the server no longer holds the turn) raises `PrivateTurnGoneError`.

Events at or before the last seen position are skipped (and a delta that starts before it is
trimmed), so the caller sees each piece of text once, in order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from uuid import UUID

import httpx

from .errors import ConfabError, NotFoundError, PrivateTurnGoneError, StreamError
from .events import (
    FinalEvent,
    MessageCancelled,
    MessageCompleted,
    MessageCreated,
    MessageDelta,
    MessageFailed,
    PrivateFinalEvent,
    PrivateStreamEvent,
    PrivateTurnCancelled,
    PrivateTurnCompleted,
    PrivateTurnCreated,
    PrivateTurnDelta,
    PrivateTurnFailed,
    ServerSentEvent,
    SSEDecoder,
    StreamEvent,
    parse_event,
    parse_private_event,
)

log = logging.getLogger("confab_client")


@dataclass(frozen=True)
class ReattachPolicy:
    """How hard a stream tries to resume after its connection drops.

    Attributes:
        max_attempts: reconnections in a row that bring no new event before `StreamError`.
        backoff: wait `backoff * 2**(n-1)` seconds before the n-th attempt in a row ...
        max_backoff: ... but never longer than this.
    """

    max_attempts: int = 5
    backoff: float = 0.25
    max_backoff: float = 4.0

    def wait(self, attempt: int) -> float:
        return float(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))


@dataclass(frozen=True)
class _Turn:
    """The request that starts a stream. With an `idempotency_key` it is repeated (same key) if the
    stream breaks before it knows what to reattach to; without one (a private turn) it is not."""

    path: str
    body: dict[str, Any] | None
    idempotency_key: str | None


class _Event(Protocol):
    @property
    def event_id(self) -> str | None: ...


E = TypeVar("E", bound=_Event)
"""The events a stream yields."""
F = TypeVar("F")
"""Its final events."""
_Delta = TypeVar("_Delta", MessageDelta, PrivateTurnDelta)


class _Position(Generic[E, F]):
    """What a stream follows and has yielded so far; decides which events are new and which
    request (re)opens the stream. Subclasses say how events are parsed and what they tell."""

    events_path: ClassVar[str]
    """`GET` this (formatted with the target's id) to reattach."""

    def __init__(self, target: UUID | None, last_event_id: str | None, turn: _Turn | None) -> None:
        self.target = target
        """What the stream follows (the assistant message, the private turn), once known."""
        self.last_event_id = last_event_id
        self.turn = turn
        self.parts: list[str] = []
        self.final: F | None = None

    def parse(self, sse: ServerSentEvent) -> E:
        raise NotImplementedError

    def _take(self, event: E) -> E:
        """Notes what a new event says (target, text, final); the event to yield (a delta
        trimmed to its unseen part). Runs before `last_event_id` moves to the event's id."""
        raise NotImplementedError

    def _seen(self, event_id: str | None) -> bool:
        if event_id is None or self.last_event_id is None:
            return False
        try:
            return int(event_id) <= int(self.last_event_id)
        except ValueError:
            return False

    def accept(self, event: E) -> E | None:
        """The event to yield (a delta that overlaps what was seen loses the seen part), or None."""
        if self._seen(event.event_id):
            return None
        event = self._take(event)
        if event.event_id is not None:
            self.last_event_id = event.event_id
        return event

    def _unseen_part(self, delta: _Delta) -> _Delta:
        # A delta's text ends at byte `offset` of the answer; if it starts before the position
        # already seen (a server that resumed at a coarser boundary), keep only the new bytes.
        try:
            seen = int(self.last_event_id) if self.last_event_id is not None else 0
        except ValueError:
            return delta
        data = delta.content.encode()
        start = delta.offset - len(data)
        if start >= seen:
            return delta
        return replace(delta, content=data[seen - start :].decode("utf-8", errors="replace"))

    def resumable(self) -> bool:
        """Whether a broken connection can be reopened: the target is known (reattach), or the
        turn request can be repeated safely (it has an idempotency key)."""
        return self.target is not None or (self.turn is not None and self.turn.idempotency_key is not None)

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        headers = {"Accept": "text/event-stream"}
        if self.target is None:
            assert self.turn is not None
            if self.turn.idempotency_key is not None:
                headers["Idempotency-Key"] = self.turn.idempotency_key
            return http.build_request("POST", self.turn.path, json=self.turn.body, headers=headers)
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        return http.build_request("GET", self.events_path.format(self.target), headers=headers)

    def attach_to_turn(self, content: bytes) -> None:
        """The turn request answered 202 with JSON instead of a stream."""
        raise ConfabError("the server answered the turn with 202 instead of an event stream", status=202)

    def refused(self, error: ConfabError) -> ConfabError:
        """The exception to raise for an error answer."""
        return error

    def broken(self, cause: BaseException | None) -> StreamError:
        return StreamError(
            f"the event stream broke and could not be resumed ({cause or 'ended before a final event'})",
            message_id=self.target,
            last_event_id=self.last_event_id,
        )


class _MessagePosition(_Position[StreamEvent, FinalEvent]):
    events_path = "/v1/messages/{}/events"

    def parse(self, sse: ServerSentEvent) -> StreamEvent:
        return parse_event(sse)

    def _take(self, event: StreamEvent) -> StreamEvent:
        if isinstance(event, MessageDelta):
            event = self._unseen_part(event)
            self.target = event.message_id
            self.parts.append(event.content)
        elif isinstance(event, MessageCreated):
            self.target = event.assistant_message_id
        elif isinstance(event, MessageCompleted | MessageFailed | MessageCancelled):
            self.final = event
            self.target = event.message.id
        return event

    def attach_to_turn(self, content: bytes) -> None:
        """A turn answered with 202 and JSON (an intermediary dropped `Accept`): attach to it."""
        self.target = UUID(json.loads(content)["assistant_message"]["id"])


class _PrivatePosition(_Position[PrivateStreamEvent, PrivateFinalEvent]):
    events_path = "/v1/private/turns/{}/events"

    def __init__(self, target: UUID | None, last_event_id: str | None, turn: _Turn | None) -> None:
        super().__init__(target, last_event_id, turn)
        self.model: str | None = None
        self.dropped_messages = 0

    def parse(self, sse: ServerSentEvent) -> PrivateStreamEvent:
        return parse_private_event(sse)

    def _take(self, event: PrivateStreamEvent) -> PrivateStreamEvent:
        if isinstance(event, PrivateTurnDelta):
            event = self._unseen_part(event)
            self.target = event.turn_id
            self.parts.append(event.content)
        elif isinstance(event, PrivateTurnCreated):
            self.target = event.turn_id
            self.model = event.model
            self.dropped_messages = event.dropped_messages
        elif isinstance(event, PrivateTurnCompleted | PrivateTurnFailed | PrivateTurnCancelled):
            self.final = event
            self.target = event.turn_id
        return event

    def refused(self, error: ConfabError) -> ConfabError:
        if self.target is not None and isinstance(error, NotFoundError):
            # The events request of a known turn: the server no longer holds it.
            return PrivateTurnGoneError(
                error, turn_id=self.target, last_event_id=self.last_event_id, text="".join(self.parts)
            )
        return error

    def broken(self, cause: BaseException | None) -> StreamError:
        why = cause or "ended before a final event"
        if self.target is None:
            message = (
                f"the private turn's stream broke before turn.created ({why}); the turn was not sent "
                "again, as that would start a second one"
            )
        else:
            message = f"the private turn's stream broke and could not be resumed ({why})"
        return StreamError(message, turn_id=self.target, last_event_id=self.last_event_id)


class _StreamView(Generic[E, F]):
    _pos: _Position[E, F]

    @property
    def last_event_id(self) -> str | None:
        """The id of the last event yielded: `Last-Event-ID` for resuming elsewhere."""
        return self._pos.last_event_id

    @property
    def text(self) -> str:
        """The text of the deltas yielded so far (after a reattach with `last_event_id`, only
        the text from there on)."""
        return "".join(self._pos.parts)

    @property
    def final(self) -> F | None:
        """The final event, once seen."""
        return self._pos.final


class _SyncStream(_StreamView[E, F]):
    """The synchronous reconnect loop over a `_Position`."""

    def __init__(self, http: httpx.Client, policy: ReattachPolicy, pos: _Position[E, F]) -> None:
        self._http = http
        self._policy = policy
        self._pos = pos
        self._response: httpx.Response | None = None
        self._closed = False
        self._iterator = self._events()

    def __iter__(self) -> Generator[E, None, None]:
        return self._iterator

    def __next__(self) -> E:
        return next(self._iterator)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the connection. The answer goes on on the server (only cancel stops it)."""
        self._closed = True
        self._iterator.close()
        if self._response is not None:
            self._response.close()

    def until_done(self) -> F:
        """Read to the end; the final event."""
        for _ in self._iterator:
            pass
        assert self._pos.final is not None
        return self._pos.final

    def _events(self) -> Generator[E, None, None]:
        failures = 0
        while self._pos.final is None and not self._closed:
            cause: BaseException | None = None
            try:
                self._response = self._http.send(self._pos.request(self._http), stream=True)
                if self._response.status_code == 202:
                    self._pos.attach_to_turn(self._response.read())
                    continue
                decoder = SSEDecoder()
                for line in self._response.iter_lines():
                    sse = decoder.decode(line)
                    if sse is None:
                        continue
                    event = self._pos.accept(self._pos.parse(sse))
                    if event is not None:
                        failures = 0
                        yield event
                        if self._pos.final is not None:
                            return
            except ConfabError as exc:
                refused = self._pos.refused(exc)
                if refused is exc:
                    raise
                raise refused from exc
            except httpx.TransportError as exc:
                cause = exc
            finally:
                if self._response is not None:
                    self._response.close()
            if self._closed:
                return
            if not self._pos.resumable():
                raise self._pos.broken(cause) from cause
            failures += 1
            if failures > self._policy.max_attempts:
                raise self._pos.broken(cause) from cause
            wait = self._policy.wait(failures)
            log.info("event stream of %s dropped (%s); reattaching in %.2fs", self._pos.target, cause, wait)
            time.sleep(wait)


class _AsyncStream(_StreamView[E, F]):
    """The asynchronous reconnect loop over a `_Position`."""

    def __init__(self, http: httpx.AsyncClient, policy: ReattachPolicy, pos: _Position[E, F]) -> None:
        self._http = http
        self._policy = policy
        self._pos = pos
        self._response: httpx.Response | None = None
        self._closed = False
        self._iterator = self._events()

    def __aiter__(self) -> AsyncGenerator[E, None]:
        return self._iterator

    async def __anext__(self) -> E:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Drop the connection. The answer goes on on the server (only cancel stops it)."""
        self._closed = True
        await self._iterator.aclose()
        if self._response is not None:
            await self._response.aclose()

    async def until_done(self) -> F:
        """Read to the end; the final event."""
        async for _ in self._iterator:
            pass
        assert self._pos.final is not None
        return self._pos.final

    async def _events(self) -> AsyncGenerator[E, None]:
        failures = 0
        while self._pos.final is None and not self._closed:
            cause: BaseException | None = None
            try:
                self._response = await self._http.send(self._pos.request(self._http), stream=True)
                if self._response.status_code == 202:
                    self._pos.attach_to_turn(await self._response.aread())
                    continue
                decoder = SSEDecoder()
                async for line in self._response.aiter_lines():
                    sse = decoder.decode(line)
                    if sse is None:
                        continue
                    event = self._pos.accept(self._pos.parse(sse))
                    if event is not None:
                        failures = 0
                        yield event
                        if self._pos.final is not None:
                            return
            except ConfabError as exc:
                refused = self._pos.refused(exc)
                if refused is exc:
                    raise
                raise refused from exc
            except httpx.TransportError as exc:
                cause = exc
            finally:
                if self._response is not None:
                    await self._response.aclose()
            if self._closed:
                return
            if not self._pos.resumable():
                raise self._pos.broken(cause) from cause
            failures += 1
            if failures > self._policy.max_attempts:
                raise self._pos.broken(cause) from cause
            wait = self._policy.wait(failures)
            log.info("event stream of %s dropped (%s); reattaching in %.2fs", self._pos.target, cause, wait)
            await asyncio.sleep(wait)


class _MessageView:
    _pos: _Position[StreamEvent, FinalEvent]

    @property
    def message_id(self) -> UUID | None:
        """The assistant message's id (known from `message.created` on)."""
        return self._pos.target

    @property
    def final(self) -> FinalEvent | None:
        """The final event (`MessageCompleted`, `MessageFailed` or `MessageCancelled`), once seen."""
        return self._pos.final


class _PrivateView:
    _pos: _PrivatePosition

    @property
    def turn_id(self) -> UUID | None:
        """The private turn's id (known from `turn.created` on, or given to attach)."""
        return self._pos.target

    @property
    def model(self) -> str | None:
        """The model answering, from `turn.created`."""
        return self._pos.model

    @property
    def dropped_messages(self) -> int:
        """Older history messages the server left out to fit the model's window, from `turn.created`."""
        return self._pos.dropped_messages

    @property
    def final(self) -> PrivateFinalEvent | None:
        """The final event (`PrivateTurnCompleted`, `PrivateTurnFailed` or `PrivateTurnCancelled`),
        once seen."""
        return self._pos.final


class MessageStream(_MessageView, _SyncStream[StreamEvent, FinalEvent]):
    """A synchronous answer stream: iterate it for `StreamEvent`s; use it as a context manager
    (or call `close()`) to drop the connection early. Iteration ends after the final event."""

    def __init__(
        self,
        http: httpx.Client,
        policy: ReattachPolicy,
        *,
        turn: _Turn | None = None,
        message_id: UUID | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__(http, policy, _MessagePosition(message_id, last_event_id, turn))


class AsyncMessageStream(_MessageView, _AsyncStream[StreamEvent, FinalEvent]):
    """The asynchronous answer stream: `async for event in stream`; `async with` (or `aclose()`)
    drops the connection early. Iteration ends after the final event."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: ReattachPolicy,
        *,
        turn: _Turn | None = None,
        message_id: UUID | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__(http, policy, _MessagePosition(message_id, last_event_id, turn))


class PrivateTurnStream(_PrivateView, _SyncStream[PrivateStreamEvent, PrivateFinalEvent]):
    """A synchronous private turn's stream: iterate it for `PrivateStreamEvent`s; use it as a
    context manager (or call `close()`) to drop the connection early (the answer goes on; only
    cancel stops it). Iteration ends after the final event. The server keeps no text: `text` is the
    answer as received."""

    _pos: _PrivatePosition

    def __init__(
        self,
        http: httpx.Client,
        policy: ReattachPolicy,
        *,
        turn: _Turn | None = None,
        turn_id: UUID | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__(http, policy, _PrivatePosition(turn_id, last_event_id, turn))


class AsyncPrivateTurnStream(_PrivateView, _AsyncStream[PrivateStreamEvent, PrivateFinalEvent]):
    """The asynchronous private turn's stream: `async for event in stream`; `async with` (or
    `aclose()`) drops the connection early. Iteration ends after the final event."""

    _pos: _PrivatePosition

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: ReattachPolicy,
        *,
        turn: _Turn | None = None,
        turn_id: UUID | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__(http, policy, _PrivatePosition(turn_id, last_event_id, turn))

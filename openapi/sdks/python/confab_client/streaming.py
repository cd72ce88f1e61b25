"""Iterating an answer's events, with automatic reattach.

A stream starts either with the turn request itself (`POST …/messages` and the other turn
operations, with `Accept: text/event-stream`) or with `GET /v1/messages/{id}/events`. When the
connection drops before a final event, the stream reattaches with `GET /v1/messages/{id}/events`
and `Last-Event-ID` set to the last event it yielded; if it dropped before even `message.created`
(so the message id is unknown), it repeats the turn request with the same `Idempotency-Key`, which
the server answers with the same turn's stream. Events at or before the last seen position are
skipped (and a delta that starts before it is trimmed), so the caller sees each piece of text
once, in order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import httpx

from .errors import ConfabError, StreamError
from .events import FinalEvent, MessageCreated, MessageDelta, SSEDecoder, StreamEvent, parse_event

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
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


@dataclass(frozen=True)
class _Turn:
    """The request that starts a turn: replayed (same key) if the stream breaks before it is known."""

    path: str
    body: dict[str, Any] | None
    idempotency_key: str


class _Position:
    """What the stream has yielded so far; decides which events are new."""

    def __init__(self, message_id: UUID | None, last_event_id: str | None) -> None:
        self.message_id = message_id
        self.last_event_id = last_event_id
        self.parts: list[str] = []
        self.final: FinalEvent | None = None

    def _seen(self, event_id: str | None) -> bool:
        if event_id is None or self.last_event_id is None:
            return False
        try:
            return int(event_id) <= int(self.last_event_id)
        except ValueError:
            return False

    def accept(self, event: StreamEvent) -> StreamEvent | None:
        """The event to yield (a delta that overlaps what was seen loses the seen part), or None."""
        if self._seen(event.event_id):
            return None
        if isinstance(event, MessageDelta):
            event = self._unseen_part(event)
        if event.event_id is not None:
            self.last_event_id = event.event_id
        if isinstance(event, MessageCreated):
            self.message_id = event.assistant_message_id
        elif isinstance(event, MessageDelta):
            self.message_id = event.message_id
            self.parts.append(event.content)
        elif event.terminal:
            self.final = event  # type: ignore[assignment]
            self.message_id = event.message.id  # type: ignore[union-attr]
        return event

    def _unseen_part(self, delta: MessageDelta) -> MessageDelta:
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

    def request(self, http: httpx.Client | httpx.AsyncClient, turn: _Turn | None) -> httpx.Request:
        headers = {"Accept": "text/event-stream"}
        if self.message_id is None:
            assert turn is not None
            headers["Idempotency-Key"] = turn.idempotency_key
            return http.build_request("POST", turn.path, json=turn.body, headers=headers)
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        return http.build_request("GET", f"/v1/messages/{self.message_id}/events", headers=headers)

    def attach_to_turn(self, content: bytes) -> None:
        """A turn answered with 202 and JSON (an intermediary dropped `Accept`): attach to it."""
        self.message_id = UUID(json.loads(content)["assistant_message"]["id"])

    def broken(self, cause: BaseException | None) -> StreamError:
        return StreamError(
            f"the event stream broke and could not be resumed ({cause or 'ended before a final event'})",
            message_id=self.message_id,
            last_event_id=self.last_event_id,
        )


class _StreamView:
    _pos: _Position

    @property
    def message_id(self) -> UUID | None:
        """The assistant message's id (known from `message.created` on)."""
        return self._pos.message_id

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
    def final(self) -> FinalEvent | None:
        """The final event (`MessageCompleted`, `MessageFailed` or `MessageCancelled`), once seen."""
        return self._pos.final


class MessageStream(_StreamView):
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
        self._http = http
        self._policy = policy
        self._turn = turn
        self._pos = _Position(message_id, last_event_id)
        self._response: httpx.Response | None = None
        self._closed = False
        self._iterator = self._events()

    def __iter__(self) -> Iterator[StreamEvent]:
        return self._iterator

    def __next__(self) -> StreamEvent:
        return next(self._iterator)

    def __enter__(self) -> MessageStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the connection. The answer goes on on the server (only cancel stops it)."""
        self._closed = True
        self._iterator.close()
        if self._response is not None:
            self._response.close()

    def until_done(self) -> FinalEvent:
        """Read to the end; the final event."""
        for _ in self._iterator:
            pass
        assert self._pos.final is not None
        return self._pos.final

    def _events(self) -> Iterator[StreamEvent]:
        failures = 0
        while self._pos.final is None and not self._closed:
            cause: BaseException | None = None
            try:
                self._response = self._http.send(self._pos.request(self._http, self._turn), stream=True)
                if self._response.status_code == 202:
                    self._pos.attach_to_turn(self._response.read())
                    continue
                decoder = SSEDecoder()
                for line in self._response.iter_lines():
                    sse = decoder.decode(line)
                    if sse is None:
                        continue
                    event = self._pos.accept(parse_event(sse))
                    if event is not None:
                        failures = 0
                        yield event
                        if self._pos.final is not None:
                            return
            except ConfabError:
                raise
            except httpx.TransportError as exc:
                cause = exc
            finally:
                if self._response is not None:
                    self._response.close()
            if self._closed:
                return
            failures += 1
            if failures > self._policy.max_attempts:
                raise self._pos.broken(cause) from cause
            wait = self._policy.wait(failures)
            log.info("event stream of %s dropped (%s); reattaching in %.2fs", self._pos.message_id, cause, wait)
            time.sleep(wait)


class AsyncMessageStream(_StreamView):
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
        self._http = http
        self._policy = policy
        self._turn = turn
        self._pos = _Position(message_id, last_event_id)
        self._response: httpx.Response | None = None
        self._closed = False
        self._iterator = self._events()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._iterator

    async def __anext__(self) -> StreamEvent:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> AsyncMessageStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Drop the connection. The answer goes on on the server (only cancel stops it)."""
        self._closed = True
        await self._iterator.aclose()
        if self._response is not None:
            await self._response.aclose()

    async def until_done(self) -> FinalEvent:
        """Read to the end; the final event."""
        async for _ in self._iterator:
            pass
        assert self._pos.final is not None
        return self._pos.final

    async def _events(self) -> AsyncIterator[StreamEvent]:
        failures = 0
        while self._pos.final is None and not self._closed:
            cause: BaseException | None = None
            try:
                self._response = await self._http.send(self._pos.request(self._http, self._turn), stream=True)
                if self._response.status_code == 202:
                    self._pos.attach_to_turn(await self._response.aread())
                    continue
                decoder = SSEDecoder()
                async for line in self._response.aiter_lines():
                    sse = decoder.decode(line)
                    if sse is None:
                        continue
                    event = self._pos.accept(parse_event(sse))
                    if event is not None:
                        failures = 0
                        yield event
                        if self._pos.final is not None:
                            return
            except ConfabError:
                raise
            except httpx.TransportError as exc:
                cause = exc
            finally:
                if self._response is not None:
                    await self._response.aclose()
            if self._closed:
                return
            failures += 1
            if failures > self._policy.max_attempts:
                raise self._pos.broken(cause) from cause
            wait = self._policy.wait(failures)
            log.info("event stream of %s dropped (%s); reattaching in %.2fs", self._pos.message_id, cause, wait)
            await asyncio.sleep(wait)

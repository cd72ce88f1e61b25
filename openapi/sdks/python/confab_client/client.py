"""`Confab` and `AsyncConfab`: an API token and a base URL, the generated operations (`.api`) and
the hand-written streaming calls, all over one httpx client whose transport adds idempotency keys,
retries 429/503 and raises `ConfabError`s."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import httpx

from ._generated_names import AuthenticatedClient, PrivateMessageBody
from ._transport import AsyncRetryTransport, RetryPolicy, RetryTransport
from .streaming import (
    AsyncMessageStream,
    AsyncPrivateTurnStream,
    MessageStream,
    PrivateTurnStream,
    ReattachPolicy,
    _Turn,
)

PrivateMessage = Mapping[str, Any] | PrivateMessageBody
"""One message of a private chat's history: `{"role": "user" | "assistant", "content": str}`, or
the generated `PrivateMessageBody`."""

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""Reads wait up to 60 s: well above the server's 15 s keep-alive on event streams."""


def _settings(base_url: str | None, token: str | None) -> tuple[str, str]:
    base_url = base_url or os.environ.get("CONFAB_URL")
    token = token or os.environ.get("CONFAB_TOKEN")
    if not base_url or not token:
        raise ValueError("pass base_url and token, or set CONFAB_URL and CONFAB_TOKEN")
    return base_url.rstrip("/"), token


def _headers(token: str, extra: dict[str, str] | None) -> dict[str, str]:
    from . import __version__

    return {"Authorization": f"Bearer {token}", "User-Agent": f"confab-client-python/{__version__}", **(extra or {})}


def _body(**fields: Any) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, UUID) else v for k, v in fields.items() if v is not None}


def _private_messages(messages: Iterable[PrivateMessage]) -> list[dict[str, Any]]:
    if isinstance(messages, str | bytes | Mapping):
        raise TypeError("messages is the whole history: a list of {'role', 'content'} messages, oldest first")
    return [m.to_dict() if isinstance(m, PrivateMessageBody) else dict(m) for m in messages]


class _Turns:
    """The turn operations that can stream, shared by both clients (they differ in the stream type)."""

    def _turn(self, path: str, body: dict[str, Any] | None, key: str | None) -> _Turn:
        return _Turn(path=path, body=body, idempotency_key=key or str(uuid.uuid4()))

    def _send(
        self,
        conversation_id: UUID | str,
        content: str,
        model: str | None,
        parent_id: UUID | str | None,
        key: str | None,
    ) -> _Turn:
        return self._turn(
            f"/v1/conversations/{conversation_id}/messages",
            _body(content=content, model=model, parent_id=parent_id),
            key,
        )

    def _regenerate(self, message_id: UUID | str, model: str | None, key: str | None) -> _Turn:
        return self._turn(f"/v1/messages/{message_id}/regenerate", _body(model=model), key)

    def _continue(self, message_id: UUID | str, key: str | None) -> _Turn:
        return self._turn(f"/v1/messages/{message_id}/continue", None, key)

    def _edit(self, message_id: UUID | str, content: str, model: str | None, key: str | None) -> _Turn:
        return self._turn(f"/v1/messages/{message_id}/edit", _body(content=content, model=model), key)

    def _private(self, messages: Iterable[PrivateMessage], model: str | None, preset_id: UUID | str | None) -> _Turn:
        # No idempotency key: the server does not deduplicate private turns, so the stream never
        # repeats this request (the transport's automatic key is ignored by the server).
        body = _body(messages=_private_messages(messages), model=model, preset_id=preset_id)
        return _Turn(path="/v1/private/turns", body=body, idempotency_key=None)


class Confab(_Turns):
    """The synchronous client.

    `api` is the generated client: pass it to any generated operation, e.g.
    `conversations_create.sync(client=confab.api, body=CreateConversation(title="Notes"))`.
    `http` is the underlying `httpx.Client` (base URL and token set) for anything else.

    Every call: a POST without an `Idempotency-Key` gets a fresh uuid4 key, kept on its retries;
    429 and 503 are retried per `Retry-After` (at most `max_retries` times, each wait at most
    `max_retry_wait` s); any other error answer raises a `ConfabError` subclass.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        max_retry_wait: float = 30.0,
        reattach: ReattachPolicy | None = None,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base_url, token = _settings(base_url, token)
        self.retry = RetryPolicy(max_retries=max_retries, max_wait=max_retry_wait)
        self.reattach = reattach or ReattachPolicy()
        self.http = httpx.Client(
            base_url=base_url,
            headers=_headers(token, headers),
            timeout=timeout,
            transport=RetryTransport(transport or httpx.HTTPTransport(), self.retry),
        )
        self.api = AuthenticatedClient(base_url=base_url, token=token).set_httpx_client(self.http)

    def __enter__(self) -> Confab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _stream(self, turn: _Turn) -> MessageStream:
        return MessageStream(self.http, self.reattach, turn=turn)

    def stream_message(
        self,
        conversation_id: UUID | str,
        content: str,
        *,
        model: str | None = None,
        parent_id: UUID | str | None = None,
        idempotency_key: str | None = None,
    ) -> MessageStream:
        """Send a message and stream the answer (`POST /v1/conversations/{id}/messages`).
        The request is made when iteration starts."""
        return self._stream(self._send(conversation_id, content, model, parent_id, idempotency_key))

    def stream_regenerate(
        self, message_id: UUID | str, *, model: str | None = None, idempotency_key: str | None = None
    ) -> MessageStream:
        """Answer again beside this message, streamed."""
        return self._stream(self._regenerate(message_id, model, idempotency_key))

    def stream_continue(self, message_id: UUID | str, *, idempotency_key: str | None = None) -> MessageStream:
        """Continue a `partial` answer, streamed."""
        return self._stream(self._continue(message_id, idempotency_key))

    def stream_edit(
        self, message_id: UUID | str, content: str, *, model: str | None = None, idempotency_key: str | None = None
    ) -> MessageStream:
        """Edit a user message (a new branch) and stream the new answer."""
        return self._stream(self._edit(message_id, content, model, idempotency_key))

    def message_events(self, message_id: UUID | str, *, last_event_id: str | None = None) -> MessageStream:
        """Attach to an assistant message's events, live or finished
        (`GET /v1/messages/{id}/events`); after `last_event_id` when given."""
        return MessageStream(self.http, self.reattach, message_id=UUID(str(message_id)), last_event_id=last_event_id)

    def stream_private_turn(
        self,
        messages: Iterable[PrivateMessage],
        *,
        model: str | None = None,
        preset_id: UUID | str | None = None,
    ) -> PrivateTurnStream:
        """Answer a private chat, streamed (`POST /v1/private/turns`). `messages` is the whole
        history, oldest first, kept by the caller: the server stores none of it (nor the answer).
        When the last message is the assistant's (a partial answer), the new answer continues it.
        `model` or `preset_id` pick what answers (the tenant's default model without either).

        The request is made when iteration starts. A connection lost after `turn.created`
        reattaches by itself; one lost before it raises `StreamError` (repeating the request would
        start a second turn). A refusal raises its `ConfabError` (e.g. `PermissionDeniedError` with
        `private_mode_disabled`, `UnprocessableEntityError` for a bad history)."""
        return PrivateTurnStream(self.http, self.reattach, turn=self._private(messages, model, preset_id))

    def private_turn_events(self, turn_id: UUID | str, *, last_event_id: str | None = None) -> PrivateTurnStream:
        """Attach to a private turn's events, live or recently ended
        (`GET /v1/private/turns/{id}/events`); after `last_event_id` when given. Raises
        `PrivateTurnGoneError` (a `NotFoundError`) once the server no longer holds the turn."""
        return PrivateTurnStream(self.http, self.reattach, turn_id=UUID(str(turn_id)), last_event_id=last_event_id)


class AsyncConfab(_Turns):
    """The asynchronous client: as `Confab`, with `await`/`async for`. Pass `api` to the
    generated operations' `asyncio`/`asyncio_detailed` functions."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        max_retry_wait: float = 30.0,
        reattach: ReattachPolicy | None = None,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base_url, token = _settings(base_url, token)
        self.retry = RetryPolicy(max_retries=max_retries, max_wait=max_retry_wait)
        self.reattach = reattach or ReattachPolicy()
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers=_headers(token, headers),
            timeout=timeout,
            transport=AsyncRetryTransport(transport or httpx.AsyncHTTPTransport(), self.retry),
        )
        self.api = AuthenticatedClient(base_url=base_url, token=token).set_async_httpx_client(self.http)

    async def __aenter__(self) -> AsyncConfab:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def _stream(self, turn: _Turn) -> AsyncMessageStream:
        return AsyncMessageStream(self.http, self.reattach, turn=turn)

    def stream_message(
        self,
        conversation_id: UUID | str,
        content: str,
        *,
        model: str | None = None,
        parent_id: UUID | str | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncMessageStream:
        """Send a message and stream the answer; the request is made when iteration starts."""
        return self._stream(self._send(conversation_id, content, model, parent_id, idempotency_key))

    def stream_regenerate(
        self, message_id: UUID | str, *, model: str | None = None, idempotency_key: str | None = None
    ) -> AsyncMessageStream:
        return self._stream(self._regenerate(message_id, model, idempotency_key))

    def stream_continue(self, message_id: UUID | str, *, idempotency_key: str | None = None) -> AsyncMessageStream:
        return self._stream(self._continue(message_id, idempotency_key))

    def stream_edit(
        self, message_id: UUID | str, content: str, *, model: str | None = None, idempotency_key: str | None = None
    ) -> AsyncMessageStream:
        return self._stream(self._edit(message_id, content, model, idempotency_key))

    def message_events(self, message_id: UUID | str, *, last_event_id: str | None = None) -> AsyncMessageStream:
        """Attach to an assistant message's events, live or finished; after `last_event_id` when given."""
        return AsyncMessageStream(
            self.http, self.reattach, message_id=UUID(str(message_id)), last_event_id=last_event_id
        )

    def stream_private_turn(
        self,
        messages: Iterable[PrivateMessage],
        *,
        model: str | None = None,
        preset_id: UUID | str | None = None,
    ) -> AsyncPrivateTurnStream:
        """Answer a private chat, streamed; as `Confab.stream_private_turn`."""
        return AsyncPrivateTurnStream(self.http, self.reattach, turn=self._private(messages, model, preset_id))

    def private_turn_events(self, turn_id: UUID | str, *, last_event_id: str | None = None) -> AsyncPrivateTurnStream:
        """Attach to a private turn's events, live or recently ended; after `last_event_id` when
        given. Raises `PrivateTurnGoneError` once the server no longer holds the turn."""
        return AsyncPrivateTurnStream(self.http, self.reattach, turn_id=UUID(str(turn_id)), last_event_id=last_event_id)

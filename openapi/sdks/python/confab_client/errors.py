"""Errors as exceptions: every non-2xx answer raises a `ConfabError` subclass chosen by status.

The server's error body is `{"error": {"code", "message", "request_id", "field"?, "quota"?}}`; this
module reads it from the raw response (not through generated models), so it keeps working for any
status and for codes added later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class QuotaDetail:
    """The token budget that refused a request (`quota_exceeded`): what is left and when it resets."""

    scope: str
    """`user` (the caller's own budget) or `tenant` (everyone's together)."""
    period: str
    """`day` or `month` (UTC)."""
    limit: int
    used: int
    remaining: int
    requested: int
    """The most the refused request could have used."""
    resets_at: datetime

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuotaDetail:
        return cls(
            scope=str(data["scope"]),
            period=str(data["period"]),
            limit=int(data["limit"]),
            used=int(data["used"]),
            remaining=int(data["remaining"]),
            requested=int(data["requested"]),
            resets_at=datetime.fromisoformat(str(data["resets_at"]).replace("Z", "+00:00")),
        )


class ConfabError(Exception):
    """An error answer from the Confab API (or, for `StreamError`, a stream that could not be resumed).

    Attributes:
        status: the HTTP status (None for errors that are not an HTTP answer).
        code: the stable snake_case code, e.g. `not_found`, `validation_failed`, `quota_exceeded`.
        message: the server's sentence for people.
        request_id: quote it when reporting a problem; it is in the server's logs.
        field: the request field at fault, for validation errors.
        quota: for `quota_exceeded`, the budget that refused the request.
        retry_after: seconds from the `Retry-After` header, when there was one.
        body: the decoded error body (or the raw text when it was not JSON).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str | None = None,
        field: str | None = None,
        quota: QuotaDetail | None = None,
        retry_after: float | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.field = field
        self.quota = quota
        self.retry_after = retry_after
        self.body = body
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        head = " ".join(str(part) for part in (self.status, self.code) if part)
        text = f"{head}: {self.message}" if head else self.message
        return f"{text} (request_id {self.request_id})" if self.request_id else text


class BadRequestError(ConfabError):
    """400: malformed request (not JSON, wrong types, unknown fields)."""


class AuthenticationError(ConfabError):
    """401: no valid session or API token (`unauthenticated`, `invalid_credentials`)."""


class PermissionDeniedError(ConfabError):
    """403: authenticated, but not allowed (`forbidden`)."""


class NotFoundError(ConfabError):
    """404: no such object for this caller (objects of other tenants included)."""


class ConflictError(ConfabError):
    """409: conflicts with the current state, e.g. an `Idempotency-Key` still in flight."""


class PayloadTooLargeError(ConfabError):
    """413: the request body is larger than the server accepts."""


class UnsupportedMediaTypeError(ConfabError):
    """415: the body was not sent as JSON."""


class UnprocessableEntityError(ConfabError):
    """422: well-formed but unacceptable values (`validation_failed` with `field`,
    `idempotency_key_reused` when a key is reused with a different body)."""


class RateLimitError(ConfabError):
    """429: rate limited (`rate_limited`) or over a token quota (`quota_exceeded`, with `quota`).
    Raised after the client's own retries, or at once when `Retry-After` is longer than it waits."""


class InternalServerError(ConfabError):
    """5xx other than 503: something went wrong on the server's side."""


class UnavailableError(ConfabError):
    """503: a dependency is down and nothing was changed; raised after the client's own retries."""


class StreamError(ConfabError):
    """An event stream broke and could not be resumed within the client's reattach attempts.
    `message_id` (or, for a private turn, `turn_id`) and `last_event_id` say where to resume later
    with `message_events` (`private_turn_events`).

    A private turn's stream that broke before `turn.created` raises it with `turn_id` None: the
    turn was not repeated (that would start a second one), so nothing can be resumed.
    """

    def __init__(
        self,
        message: str,
        *,
        message_id: Any = None,
        last_event_id: str | None = None,
        turn_id: Any = None,
    ) -> None:
        super().__init__(message, code="stream_interrupted")
        self.message_id = message_id
        self.turn_id = turn_id
        self.last_event_id = last_event_id


class PrivateTurnGoneError(NotFoundError, StreamError):
    """404 on a private turn's events: the server no longer holds the turn (it ended more than
    `resume_secs` ago, the server restarted, another server has it, or it is not the caller's), so
    nothing more can be read. Both a `NotFoundError` (status 404, the server's code and request id)
    and a `StreamError` (`turn_id`, `last_event_id`).

    Keep what arrived (`text`, also the stream's `text`) as a partial answer; continue it with a
    new private turn whose last message is that answer.
    """

    def __init__(self, cause: ConfabError, *, turn_id: Any, last_event_id: str | None, text: str) -> None:
        ConfabError.__init__(
            self,
            f"the server no longer holds private turn {turn_id} (it ended more than resume_secs ago, the "
            f"server restarted, or it is not the caller's); keep the {len(text.encode())} bytes received "
            "as a partial answer",
            status=cause.status,
            code=cause.code,
            request_id=cause.request_id,
            field=cause.field,
            retry_after=cause.retry_after,
            body=cause.body,
            headers=cause.headers,
        )
        self.message_id = None
        self.turn_id = turn_id
        self.last_event_id = last_event_id
        self.text = text
        """The text this stream received (after `last_event_id` when it started from one)."""


_BY_STATUS: dict[int, type[ConfabError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: UnavailableError,
}


def error_class(status: int) -> type[ConfabError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return InternalServerError if status >= 500 else ConfabError


def error_from_response(
    status: int, headers: Mapping[str, str], content: bytes, retry_after: float | None = None
) -> ConfabError:
    """The exception for an error answer, from its status, headers and raw body."""
    text = content.decode("utf-8", errors="replace")
    try:
        body: Any = json.loads(text) if text else None
    except ValueError:
        body = text
    detail = body.get("error") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        detail = {}
    quota = detail.get("quota")
    return error_class(status)(
        str(detail.get("message") or text.strip() or f"HTTP {status}"),
        status=status,
        code=str(detail.get("code") or f"http_{status}"),
        request_id=detail.get("request_id") or headers.get("x-request-id"),
        field=detail.get("field"),
        quota=QuotaDetail.from_dict(quota) if isinstance(quota, dict) else None,
        retry_after=retry_after,
        body=body,
        headers=headers,
    )

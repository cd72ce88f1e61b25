"""The httpx transport under every call, generated or hand-written: it gives each POST an
`Idempotency-Key`, retries 429 and 503 as `Retry-After` says (the same request, so the same key),
and turns every other error answer into a `ConfabError`.

Sitting at the transport means the generated operations get the same behaviour without wrapping
each of them.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from .errors import error_from_response

log = logging.getLogger("confab_client")

IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """When the client repeats a request that got 429 or 503 (never other statuses).

    Attributes:
        max_retries: repeats after the first attempt.
        max_wait: the longest single wait in seconds; an answer asking for more (a quota that
            resets tomorrow) is raised at once.
        backoff: without `Retry-After`, wait `backoff * 2**attempt` seconds.
    """

    max_retries: int = 2
    max_wait: float = 30.0
    backoff: float = 0.5

    def delay(self, status: int, headers: Mapping[str, str], attempt: int) -> float | None:
        """Seconds to wait before repeating the request, or None to give up now."""
        if status not in RETRY_STATUSES or attempt >= self.max_retries:
            return None
        asked = parse_retry_after(headers.get("retry-after"))
        wait = asked if asked is not None else self.backoff * 2**attempt
        return wait if wait <= self.max_wait else None


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _with_idempotency_key(request: httpx.Request) -> None:
    # One key per call: the request object is what a retry sends again.
    if request.method == "POST" and IDEMPOTENCY_HEADER not in request.headers:
        request.headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())


def _log_retry(request: httpx.Request, status: int, wait: float, attempt: int) -> None:
    log.info("%s %s: %s, retry %d in %.2fs", request.method, request.url.path, status, attempt + 1, wait)


class RetryTransport(httpx.BaseTransport):
    def __init__(
        self,
        inner: httpx.BaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _with_idempotency_key(request)
        attempt = 0
        while True:
            response = self._inner.handle_request(request)
            if response.status_code < 400:
                return response
            try:
                content = response.read()
            finally:
                response.close()
            wait = self._policy.delay(response.status_code, response.headers, attempt)
            if wait is None:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                raise error_from_response(response.status_code, response.headers, content, retry_after)
            _log_retry(request, response.status_code, wait, attempt)
            self._sleep(wait)
            attempt += 1

    def close(self) -> None:
        self._inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _with_idempotency_key(request)
        attempt = 0
        while True:
            response = await self._inner.handle_async_request(request)
            if response.status_code < 400:
                return response
            try:
                content = await response.aread()
            finally:
                await response.aclose()
            wait = self._policy.delay(response.status_code, response.headers, attempt)
            if wait is None:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                raise error_from_response(response.status_code, response.headers, content, retry_after)
            _log_retry(request, response.status_code, wait, attempt)
            await asyncio.sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()

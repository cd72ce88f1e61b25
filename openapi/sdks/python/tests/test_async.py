"""The asynchronous client against the real server."""

from __future__ import annotations

import uuid

import pytest
from conftest import scripted
from helpers import assert_contiguous

from confab_client import (
    AsyncConfab,
    MessageCompleted,
    MessageCreated,
    MessageDelta,
    NotFoundError,
    RateLimitError,
    ReattachPolicy,
)
from confab_client.generated.api.chat import conversations_create, messages_get
from confab_client.generated.models import CreateConversation

pytestmark = pytest.mark.anyio

SEND = r"/v1/conversations/[^/]+/messages"
EVENTS = r"/v1/messages/[^/]+/events"


async def test_streams_an_answer(amember: AsyncConfab) -> None:
    conversation = await conversations_create.asyncio(client=amember.api, body=CreateConversation(title="async"))
    prompt, answer = scripted(tokens=10)
    events = []
    async with amember.stream_message(conversation.id, prompt) as stream:
        async for event in stream:
            events.append(event)
    assert isinstance(events[0], MessageCreated)
    assert isinstance(events[-1], MessageCompleted)
    deltas = [e for e in events if isinstance(e, MessageDelta)]
    assert_contiguous(deltas)
    assert stream.text == events[-1].message.content == answer


async def test_reattaches_with_last_event_id_after_dropping_mid_stream(amember: AsyncConfab) -> None:
    conversation = await conversations_create.asyncio(client=amember.api, body=CreateConversation())
    prompt, answer = scripted(tokens=40, delay_ms=25)
    stream = amember.stream_message(conversation.id, prompt)
    first = [await stream.__anext__() for _ in range(4)]
    await stream.aclose()
    rest = [e async for e in amember.message_events(stream.message_id, last_event_id=stream.last_event_id)]
    deltas = [e for e in first + rest if isinstance(e, MessageDelta)]
    assert len(deltas) > 3, "the answer finished before the drop; nothing was reattached mid-stream"
    assert_contiguous(deltas)
    assert isinstance(rest[-1], MessageCompleted)
    assert "".join(d.content for d in deltas) == rest[-1].message.content == answer


async def test_reattaches_by_itself_when_the_connection_breaks(e2e: dict, proxy) -> None:
    proxy.cut("POST", SEND, after_events=3)
    async with AsyncConfab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.05)) as client:
        conversation = await conversations_create.asyncio(client=client.api, body=CreateConversation())
        prompt, answer = scripted(tokens=25, delay_ms=20)
        stream = client.stream_message(conversation.id, prompt)
        final = await stream.until_done()
    assert stream.text == final.message.content == answer
    reattaches = proxy.requests("GET", EVENTS)
    assert len(reattaches) == 1 and reattaches[0].headers["Last-Event-ID"] != "0"


async def test_errors_raise(amember: AsyncConfab, e2e: dict) -> None:
    with pytest.raises(NotFoundError) as err:
        await messages_get.asyncio(client=amember.api, id=uuid.uuid4())
    assert err.value.code == "not_found" and err.value.request_id
    async with AsyncConfab(e2e["base"], e2e["quota_user"]["token"], max_retry_wait=0.5) as client:
        conversation = await conversations_create.asyncio(client=client.api, body=CreateConversation())
        with pytest.raises(RateLimitError) as err:
            await client.stream_message(conversation.id, "hello").until_done()
    assert err.value.code == "quota_exceeded" and err.value.quota.limit == 0

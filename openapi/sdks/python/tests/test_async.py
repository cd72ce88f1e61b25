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
    PrivateTurnCompleted,
    PrivateTurnCreated,
    PrivateTurnDelta,
    PrivateTurnGoneError,
    RateLimitError,
    ReattachPolicy,
    StreamError,
    UnprocessableEntityError,
)
from confab_client.generated.api.chat import conversations_create, messages_get
from confab_client.generated.models import CreateConversation

pytestmark = pytest.mark.anyio

SEND = r"/v1/conversations/[^/]+/messages"
EVENTS = r"/v1/messages/[^/]+/events"
PRIVATE = r"/v1/private/turns"
PRIVATE_EVENTS = r"/v1/private/turns/[^/]+/events"


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


async def test_a_private_turn_streams_to_completion(amember: AsyncConfab) -> None:
    prompt, answer = scripted(tokens=10)
    events = []
    async with amember.stream_private_turn([{"role": "user", "content": prompt}]) as stream:
        async for event in stream:
            events.append(event)
    assert isinstance(events[0], PrivateTurnCreated) and events[0].turn_id == stream.turn_id
    deltas = [e for e in events if isinstance(e, PrivateTurnDelta)]
    assert_contiguous(deltas)
    final = events[-1]
    assert isinstance(final, PrivateTurnCompleted) and stream.final is final
    assert stream.text == answer and final.length == len(answer.encode())
    assert stream.last_event_id == str(final.length + 1)


async def test_a_private_turn_reattaches_by_itself_after_turn_created(e2e: dict, proxy) -> None:
    proxy.cut("POST", PRIVATE, after_events=3)
    prompt, answer = scripted(tokens=25, delay_ms=20)
    async with AsyncConfab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.05)) as client:
        stream = client.stream_private_turn([{"role": "user", "content": prompt}])
        events = [e async for e in stream]
    deltas = [e for e in events if isinstance(e, PrivateTurnDelta)]
    assert_contiguous(deltas)
    assert sum(isinstance(e, PrivateTurnCreated) for e in events) == 1
    assert isinstance(stream.final, PrivateTurnCompleted)
    assert stream.text == answer
    reattaches = proxy.requests("GET", PRIVATE_EVENTS)
    assert len(reattaches) == 1 and reattaches[0].headers["Last-Event-ID"] == deltas[1].event_id
    assert len(proxy.requests("POST", PRIVATE)) == 1


async def test_a_private_turn_lost_before_turn_created_raises(e2e: dict, proxy) -> None:
    proxy.cut("POST", PRIVATE, after_events=0)
    prompt, _ = scripted(tokens=3)
    async with AsyncConfab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.01)) as client:
        stream = client.stream_private_turn([{"role": "user", "content": prompt}])
        with pytest.raises(StreamError) as err:
            await stream.until_done()
    assert err.value.turn_id is None and not isinstance(err.value, PrivateTurnGoneError)
    assert len(proxy.requests("POST", PRIVATE)) == 1 and proxy.requests("GET", PRIVATE_EVENTS) == []


async def test_private_turn_events_with_last_event_id_replays_only_later_events(amember: AsyncConfab) -> None:
    prompt, answer = scripted(tokens=6)
    stream = amember.stream_private_turn([{"role": "user", "content": prompt}])
    events = [e async for e in stream]
    first = next(e for e in events if isinstance(e, PrivateTurnDelta))
    assert stream.turn_id is not None
    async with amember.private_turn_events(stream.turn_id, last_event_id=first.event_id) as replay:
        rest = [e async for e in replay]
    assert rest and all(int(e.event_id) > first.offset for e in rest)
    assert not any(isinstance(e, PrivateTurnCreated) for e in rest)
    assert first.content + replay.text == answer
    assert replay.final == stream.final
    with pytest.raises(PrivateTurnGoneError) as err:
        await amember.private_turn_events(uuid.uuid4()).until_done()
    assert isinstance(err.value, NotFoundError)


async def test_a_refused_private_turn_raises_its_error(amember: AsyncConfab) -> None:
    with pytest.raises(UnprocessableEntityError) as err:
        await amember.stream_private_turn([]).until_done()
    assert (err.value.code, err.value.field) == ("validation_failed", "messages")

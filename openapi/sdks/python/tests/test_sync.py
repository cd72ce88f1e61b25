"""The synchronous client against the real server."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from conftest import scripted
from helpers import assert_contiguous, user_messages

import confab_client
from confab_client import (
    AuthenticationError,
    Confab,
    MessageCancelled,
    MessageCompleted,
    MessageCreated,
    MessageDelta,
    MessageFailed,
    NotFoundError,
    RateLimitError,
    ReattachPolicy,
    StreamError,
    UnavailableError,
    UnprocessableEntityError,
)
from confab_client.generated.api.chat import (
    conversations_create,
    conversations_get,
    messages_cancel,
    messages_get,
    messages_send,
)
from confab_client.generated.api.session import me_get
from confab_client.generated.models import CreateConversation, SendMessage

SEND = r"/v1/conversations/[^/]+/messages"
EVENTS = r"/v1/messages/[^/]+/events"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_an_api_token_signs_in(member: Confab, e2e: dict) -> None:
    me = me_get.sync(client=member.api)
    assert me.email == e2e["member"]["email"]
    with Confab(e2e["base"], "cfb_not-a-real-token") as stranger:
        with pytest.raises(AuthenticationError) as err:
            me_get.sync(client=stranger.api)
    assert err.value.status == 401 and err.value.code == "unauthenticated"


def test_the_version_is_the_apis(e2e: dict, member: Confab) -> None:
    spec = member.http.get("/openapi.json").json()
    assert confab_client.__version__ == spec["info"]["version"]


def test_streams_an_answer(member: Confab, conversation) -> None:
    prompt, answer = scripted(tokens=12)
    with member.stream_message(conversation.id, prompt) as stream:
        events = list(stream)
    created, *deltas, final = events
    assert isinstance(created, MessageCreated) and created.conversation_id == conversation.id
    assert created.event_id == "0" and created.user_message_id is not None
    assert deltas and all(isinstance(d, MessageDelta) for d in deltas)
    assert_contiguous(deltas)
    assert isinstance(final, MessageCompleted)
    assert final.message.status.value == "completed"
    assert stream.text == final.message.content == answer
    assert stream.message_id == created.assistant_message_id == final.message.id
    stored = messages_get.sync(client=member.api, id=created.assistant_message_id)
    assert stored.content == answer


def test_a_failed_answer_ends_with_message_failed(member: Confab, conversation) -> None:
    final = member.stream_message(conversation.id, "[upstream status=500]").until_done()
    assert isinstance(final, MessageFailed)
    assert final.message.status.value == "failed" and final.message.error.code


def test_a_cancelled_answer_ends_with_message_cancelled(member: Confab, conversation) -> None:
    prompt, answer = scripted(tokens=60, delay_ms=30)
    cancelled = False
    with member.stream_message(conversation.id, prompt) as stream:
        for event in stream:
            if isinstance(event, MessageDelta) and not cancelled:
                messages_cancel.sync(client=member.api, id=stream.message_id)
                cancelled = True
    assert isinstance(stream.final, MessageCancelled)
    assert stream.final.message.status.value == "cancelled"
    assert stream.text == stream.final.message.content and answer.startswith(stream.text)
    assert len(stream.text) < len(answer)


def test_regenerate_streams_a_sibling_answer(member: Confab, conversation) -> None:
    prompt, answer = scripted(tokens=4)
    first = member.stream_message(conversation.id, prompt).until_done()
    with member.stream_regenerate(first.message.id) as stream:
        events = list(stream)
    created, final = events[0], events[-1]
    assert isinstance(created, MessageCreated) and created.user_message_id == first.message.parent_id
    assert isinstance(final, MessageCompleted) and final.message.id != first.message.id
    assert final.message.parent_id == first.message.parent_id
    assert stream.text == final.message.content == answer


def test_reattaches_with_last_event_id_after_dropping_mid_stream(member: Confab, conversation) -> None:
    prompt, answer = scripted(tokens=40, delay_ms=25)
    stream = member.stream_message(conversation.id, prompt)
    first = [next(stream) for _ in range(4)]  # created and three deltas
    stream.close()  # drop the connection; the answer goes on on the server
    assert isinstance(first[0], MessageCreated)
    assert stream.last_event_id == first[-1].event_id

    rest = list(member.message_events(stream.message_id, last_event_id=stream.last_event_id))
    assert not any(isinstance(e, MessageCreated) for e in rest)
    deltas = [e for e in first + rest if isinstance(e, MessageDelta)]
    assert len(deltas) > 3, "the answer finished before the drop; nothing was reattached mid-stream"
    assert_contiguous(deltas)
    final = rest[-1]
    assert isinstance(final, MessageCompleted)
    assert "".join(d.content for d in deltas) == final.message.content == answer


def test_reattaches_by_itself_when_the_connection_breaks(member: Confab, e2e: dict, proxy, conversation) -> None:
    prompt, answer = scripted(tokens=30, delay_ms=20)
    proxy.cut("POST", SEND, after_events=4)  # created and three deltas, then the connection breaks
    proxy.cut("GET", EVENTS, after_events=2)  # and the first reattach breaks too
    with Confab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.05)) as client:
        stream = client.stream_message(conversation.id, prompt)
        events = list(stream)
    deltas = [e for e in events if isinstance(e, MessageDelta)]
    assert_contiguous(deltas)
    assert isinstance(events[-1], MessageCompleted)
    assert stream.text == events[-1].message.content == answer
    reattaches = proxy.requests("GET", EVENTS)
    assert len(reattaches) >= 2
    assert reattaches[0].headers["Last-Event-ID"] == deltas[2].event_id
    assert reattaches[1].headers["Last-Event-ID"] == deltas[4].event_id
    assert len(proxy.requests("POST", SEND)) == 1


def test_a_drop_before_the_first_event_repeats_the_turn_with_the_same_key(
    member: Confab, e2e: dict, proxy, conversation
) -> None:
    prompt, answer = scripted(tokens=5)
    proxy.cut("POST", SEND, after_events=0)
    with Confab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.05)) as client:
        final = client.stream_message(conversation.id, prompt).until_done()
    assert final.message.content == answer
    sends = proxy.requests("POST", SEND)
    assert len(sends) == 2
    assert sends[0].headers["Idempotency-Key"] == sends[1].headers["Idempotency-Key"]
    assert UUID4.match(sends[0].headers["Idempotency-Key"])
    detail = conversations_get.sync(client=member.api, id=conversation.id)
    assert len(user_messages(detail)) == 1, "the repeated request created a second turn"


def test_gives_up_reattaching_after_bounded_attempts(member: Confab, e2e: dict, proxy, conversation) -> None:
    prompt, _ = scripted(tokens=30, delay_ms=20)
    proxy.cut("POST", SEND, after_events=2)
    proxy.cut("GET", EVENTS, after_events=0, times=10)
    policy = ReattachPolicy(max_attempts=3, backoff=0.01)
    with Confab(proxy.url, e2e["member"]["token"], reattach=policy) as client:
        stream = client.stream_message(conversation.id, prompt)
        with pytest.raises(StreamError) as err:
            list(stream)
    assert len(proxy.requests("GET", EVENTS)) == 3
    assert err.value.message_id == stream.message_id and err.value.last_event_id == stream.last_event_id
    # Where it stopped is enough to resume later.
    rest = member.message_events(err.value.message_id, last_event_id=err.value.last_event_id)
    assert stream.text + "".join(e.content for e in rest if isinstance(e, MessageDelta)) == rest.final.message.content


def test_the_same_idempotency_key_returns_the_same_turn(member: Confab, conversation) -> None:
    key = str(uuid.uuid4())
    prompt, _ = scripted(tokens=3)
    first = messages_send.sync(
        client=member.api, id=conversation.id, body=SendMessage(content=prompt), idempotency_key=key
    )
    again = messages_send.sync(
        client=member.api, id=conversation.id, body=SendMessage(content=prompt), idempotency_key=key
    )
    assert again.assistant_message.id == first.assistant_message.id
    assert again.user_message.id == first.user_message.id
    assert (first.replayed, again.replayed) == (False, True)

    with pytest.raises(UnprocessableEntityError) as err:
        messages_send.sync(
            client=member.api, id=conversation.id, body=SendMessage(content=prompt + "!"), idempotency_key=key
        )
    assert err.value.code == "idempotency_key_reused" and err.value.field == "Idempotency-Key"

    # A streamed replay of the same key reattaches to the same answer.
    final = member.stream_message(conversation.id, prompt, idempotency_key=key).until_done()
    assert final.message.id == first.assistant_message.id


def test_the_sdk_keeps_its_key_when_it_retries(member: Confab, e2e: dict, proxy, conversation) -> None:
    prompt, answer = scripted(tokens=3)
    # The server takes the turn, but its answer is lost: the client sees a 503 with Retry-After.
    proxy.fail("POST", SEND, 503, retry_after="1", forward=True)
    with Confab(proxy.url, e2e["member"]["token"]) as client:
        started = time.monotonic()
        turn = messages_send.sync(client=client.api, id=conversation.id, body=SendMessage(content=prompt))
        waited = time.monotonic() - started
    sends = proxy.requests("POST", SEND)
    assert len(sends) == 2
    key = sends[0].headers["Idempotency-Key"]
    assert UUID4.match(key) and sends[1].headers["Idempotency-Key"] == key
    assert waited >= 1.0, "Retry-After was not honoured"
    assert turn.replayed is True
    detail = conversations_get.sync(client=member.api, id=conversation.id)
    assert len(user_messages(detail)) == 1
    final = member.message_events(turn.assistant_message.id).until_done()
    assert final.message.content == answer
    # Each call has its own key.
    messages_send.sync(client=member.api, id=conversation.id, body=SendMessage(content=prompt))
    detail = conversations_get.sync(client=member.api, id=conversation.id)
    assert len(user_messages(detail)) == 2


def test_retries_are_bounded(e2e: dict, proxy, conversation) -> None:
    proxy.fail("POST", SEND, 503, retry_after="0", times=5)
    with Confab(proxy.url, e2e["member"]["token"], max_retries=2) as client:
        with pytest.raises(UnavailableError) as err:
            messages_send.sync(client=client.api, id=conversation.id, body=SendMessage(content="hi"))
    assert err.value.status == 503
    sends = proxy.requests("POST", SEND)
    assert len(sends) == 3 and len({s.headers["Idempotency-Key"] for s in sends}) == 1


def test_other_client_errors_are_not_retried(e2e: dict, proxy) -> None:
    proxy.fail("POST", r"/v1/conversations", 409, retry_after="0")
    with Confab(proxy.url, e2e["member"]["token"]) as client:
        with pytest.raises(confab_client.ConflictError):
            conversations_create.sync(client=client.api, body=CreateConversation())
        with pytest.raises(NotFoundError):
            messages_get.sync(client=client.api, id=uuid.uuid4())
    assert len(proxy.requests("POST", r"/v1/conversations")) == 1
    assert len(proxy.requests("GET", r"/v1/messages/.+")) == 1


def test_an_error_has_its_code_and_request_id(member: Confab, e2e: dict, conversation) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError) as err:
        messages_get.sync(client=member.api, id=missing)
    assert (err.value.status, err.value.code) == (404, "not_found")
    assert re.fullmatch(r"[0-9a-f]{32}", err.value.request_id)
    assert err.value.request_id == err.value.headers["x-request-id"]
    assert err.value.request_id in str(err.value)
    # Another tenant's objects are not found either (never "forbidden").
    with Confab(e2e["base"], e2e["other_tenant"]["token"]) as other:
        with pytest.raises(NotFoundError):
            conversations_get.sync(client=other.api, id=conversation.id)
    # A validation error names its field.
    with pytest.raises(UnprocessableEntityError) as err:
        member.http.get("/v1/conversations", params={"limit": 100000})
    assert (err.value.status, err.value.code, err.value.field) == (422, "validation_failed", "limit")


def test_a_spent_quota_raises_with_its_detail(e2e: dict, proxy) -> None:
    with Confab(proxy.url, e2e["quota_user"]["token"], max_retry_wait=0.5) as client:
        conversation = conversations_create.sync(client=client.api, body=CreateConversation())
        with pytest.raises(RateLimitError) as err:
            client.stream_message(conversation.id, "hello").until_done()
    error = err.value
    assert (error.status, error.code) == (429, "quota_exceeded")
    assert error.quota is not None
    assert (error.quota.scope, error.quota.limit, error.quota.remaining) == ("user", 0, 0)
    assert error.quota.requested > 0
    assert error.retry_after is not None and error.retry_after >= 1
    assert error.request_id
    # Retry-After is longer than this client waits: raised at once, not retried.
    assert len(proxy.requests("POST", SEND)) == 1

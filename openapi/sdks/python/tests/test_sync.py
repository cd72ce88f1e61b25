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
    BadRequestError,
    Confab,
    MessageCancelled,
    MessageCompleted,
    MessageCreated,
    MessageDelta,
    MessageFailed,
    NotFoundError,
    PrivateTurnCancelled,
    PrivateTurnCompleted,
    PrivateTurnCreated,
    PrivateTurnDelta,
    PrivateTurnFailed,
    PrivateTurnGoneError,
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
    private_turns_cancel,
)
from confab_client.generated.api.session import me_get
from confab_client.generated.models import CreateConversation, SendMessage

SEND = r"/v1/conversations/[^/]+/messages"
EVENTS = r"/v1/messages/[^/]+/events"
PRIVATE = r"/v1/private/turns"
PRIVATE_EVENTS = r"/v1/private/turns/[^/]+/events"
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


# ---- private turns: the caller keeps the history, the server stores nothing ---------------------


def test_a_private_turn_streams_to_completion(member: Confab) -> None:
    prompt, answer = scripted(tokens=9)
    history = [
        {"role": "user", "content": "First"},
        {"role": "assistant", "content": "An answer"},
        {"role": "user", "content": prompt},
    ]
    with member.stream_private_turn(history) as stream:
        events = list(stream)
    created, *deltas, final = events
    assert isinstance(created, PrivateTurnCreated) and created.event_id == "0"
    assert created.model and created.dropped_messages == 0
    assert deltas and all(isinstance(d, PrivateTurnDelta) for d in deltas)
    assert_contiguous(deltas)
    assert isinstance(final, PrivateTurnCompleted)
    assert final.length == len(answer.encode()) and final.event_id == str(final.length + 1)
    assert final.output_tokens > 0
    assert stream.text == answer
    assert stream.final is final and stream.last_event_id == final.event_id
    assert stream.turn_id == created.turn_id == final.turn_id
    assert (stream.model, stream.dropped_messages) == (created.model, 0)


def test_a_private_turn_reattaches_by_itself_after_turn_created(e2e: dict, proxy) -> None:
    prompt, answer = scripted(tokens=30, delay_ms=20)
    proxy.cut("POST", PRIVATE, after_events=4)  # turn.created and three deltas, then the connection breaks
    proxy.cut("GET", PRIVATE_EVENTS, after_events=1)  # and the first reattach breaks after one event
    with Confab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.05)) as client:
        stream = client.stream_private_turn([{"role": "user", "content": prompt}])
        events = list(stream)
    assert isinstance(events[0], PrivateTurnCreated)
    assert sum(isinstance(e, PrivateTurnCreated) for e in events) == 1
    deltas = [e for e in events if isinstance(e, PrivateTurnDelta)]
    assert_contiguous(deltas)
    final = events[-1]
    assert isinstance(final, PrivateTurnCompleted) and final.length == len(answer.encode())
    assert stream.text == "".join(d.content for d in deltas) == answer
    reattaches = proxy.requests("GET", PRIVATE_EVENTS)
    assert len(reattaches) == 2
    assert all(r.path == f"/v1/private/turns/{stream.turn_id}/events" for r in reattaches)
    assert reattaches[0].headers["Last-Event-ID"] == deltas[2].event_id
    assert reattaches[1].headers["Last-Event-ID"] == deltas[3].event_id
    assert len(proxy.requests("POST", PRIVATE)) == 1


def _private_turns_of(admin: Confab, user_id, model: str) -> int:
    """How many private turns of this user with this model the audit log has (one per turn the
    server started, recorded when it ends)."""
    page = admin.http.get("/v1/audit", params={"action": "chat.private_turn", "actor": str(user_id), "limit": 200})
    return sum(1 for e in page.json()["items"] if (e.get("details") or {}).get("served_by") == model)


def test_a_private_turn_lost_before_turn_created_is_not_sent_again(member: Confab, e2e: dict, proxy) -> None:
    model = "azure-gpt"  # used by no other test: its audit entries are this test's turns
    me = me_get.sync(client=member.api)
    with Confab(e2e["base"], e2e["admin"]["token"]) as admin:
        before = _private_turns_of(admin, me.id, model)
        prompt, _ = scripted(tokens=3)
        proxy.cut("POST", PRIVATE, after_events=0)  # the server starts the turn; its answer is lost
        with Confab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.01)) as client:
            stream = client.stream_private_turn([{"role": "user", "content": prompt}], model=model)
            with pytest.raises(StreamError) as err:
                stream.until_done()
        assert not isinstance(err.value, PrivateTurnGoneError)
        assert err.value.turn_id is None and stream.turn_id is None and stream.text == ""
        assert "turn.created" in str(err.value)
        assert len(proxy.requests("POST", PRIVATE)) == 1, "the turn was sent again"
        assert proxy.requests("GET", PRIVATE_EVENTS) == []
        # The server started exactly one turn (audited once it ended).
        deadline = time.monotonic() + 15
        while _private_turns_of(admin, me.id, model) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        assert _private_turns_of(admin, me.id, model) == before + 1


def test_private_turn_events_with_last_event_id_replays_only_later_events(member: Confab, e2e: dict) -> None:
    prompt, answer = scripted(tokens=8)
    stream = member.stream_private_turn([{"role": "user", "content": prompt}])
    events = list(stream)
    deltas = [e for e in events if isinstance(e, PrivateTurnDelta)]
    middle = deltas[len(deltas) // 2]
    assert stream.turn_id is not None

    replay = member.private_turn_events(stream.turn_id, last_event_id=middle.event_id)
    rest = list(replay)
    assert rest and all(int(e.event_id) > int(middle.event_id) for e in rest)
    assert not any(isinstance(e, PrivateTurnCreated) for e in rest)
    assert_contiguous([e for e in rest if isinstance(e, PrivateTurnDelta)], start=middle.offset)
    assert isinstance(rest[-1], PrivateTurnCompleted) and rest[-1] == stream.final
    assert replay.text == answer.encode()[middle.offset :].decode()
    assert replay.turn_id == stream.turn_id and replay.model is None

    # From the start: the whole answer again, turn.created first.
    again = list(member.private_turn_events(str(stream.turn_id)))
    assert isinstance(again[0], PrivateTurnCreated) and again[0].turn_id == stream.turn_id
    assert "".join(e.content for e in again if isinstance(e, PrivateTurnDelta)) == answer

    # Not the caller's, or unknown: the server does not hold it for them.
    with Confab(e2e["base"], e2e["other_tenant"]["token"]) as other:
        with pytest.raises(PrivateTurnGoneError) as err:
            other.private_turn_events(stream.turn_id).until_done()
    assert isinstance(err.value, NotFoundError) and err.value.status == 404 and err.value.code == "not_found"
    assert err.value.turn_id == stream.turn_id and err.value.text == ""
    with pytest.raises(PrivateTurnGoneError):
        member.private_turn_events(uuid.uuid4()).until_done()


def test_a_private_turn_gone_on_reattach_keeps_what_arrived(e2e: dict, proxy) -> None:
    prompt, answer = scripted(tokens=30, delay_ms=20)
    proxy.cut("POST", PRIVATE, after_events=3)  # turn.created and two deltas
    proxy.fail("GET", PRIVATE_EVENTS, 404)  # as once the server no longer holds the turn
    with Confab(proxy.url, e2e["member"]["token"], reattach=ReattachPolicy(backoff=0.01)) as client:
        stream = client.stream_private_turn([{"role": "user", "content": prompt}])
        with pytest.raises(PrivateTurnGoneError) as err:
            list(stream)
    error = err.value
    assert isinstance(error, NotFoundError) and isinstance(error, StreamError) and error.status == 404
    assert error.turn_id == stream.turn_id is not None
    assert error.last_event_id == stream.last_event_id and int(error.last_event_id) > 0
    assert error.text == stream.text and stream.text and answer.startswith(stream.text)
    assert "no longer holds" in str(error)
    assert len(proxy.requests("GET", PRIVATE_EVENTS)) == 1, "a 404 is final: no more reattaching"


def test_a_private_turn_ends_failed_or_cancelled(member: Confab) -> None:
    failed = member.stream_private_turn([{"role": "user", "content": "[upstream status=500]"}]).until_done()
    assert isinstance(failed, PrivateTurnFailed)
    assert failed.status == "failed" and failed.error.code and failed.length == 0

    prompt, answer = scripted(tokens=60, delay_ms=30)
    with member.stream_private_turn([{"role": "user", "content": prompt}]) as stream:
        for event in stream:
            if isinstance(event, PrivateTurnDelta) and event.offset == len(event.content.encode()):
                private_turns_cancel.sync_detailed(client=member.api, id=stream.turn_id)
    assert isinstance(stream.final, PrivateTurnCancelled)
    assert stream.final.length == len(stream.text.encode()) and answer.startswith(stream.text)
    assert len(stream.text) < len(answer)


def test_a_refused_private_turn_raises_its_error(member: Confab) -> None:
    with pytest.raises(UnprocessableEntityError) as err:
        member.stream_private_turn([]).until_done()
    assert (err.value.status, err.value.code, err.value.field) == (422, "validation_failed", "messages")
    with pytest.raises(UnprocessableEntityError):
        member.stream_private_turn([{"role": "assistant", "content": "no question"}]).until_done()
    with pytest.raises(BadRequestError) as bad:
        member.stream_private_turn([{"role": "system", "content": "hi"}]).until_done()
    assert bad.value.code == "bad_request"
    with pytest.raises(NotFoundError) as missing:
        member.stream_private_turn([{"role": "user", "content": "hi"}], model="no-such-model").until_done()
    assert not isinstance(missing.value, PrivateTurnGoneError)
    with pytest.raises(TypeError):
        member.stream_private_turn("hi")  # type: ignore[arg-type]

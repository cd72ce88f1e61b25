"""The official `openai` package against Confab's OpenAI-compatible endpoint (/openai/v1)."""
import json
import re

import openai
import pytest

from conftest import E2E, client, recorded

WEATHER = [{
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}]


def test_non_streaming_chat(member):
    completion = member.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hello [upstream tokens=3]"}], temperature=0.3
    )
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o"
    assert completion.choices[0].message.content == "t0 t1 t2 "
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens == 3
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 3
    assert recorded()[-1]["body"]["temperature"] == pytest.approx(0.3)


def test_streaming_chat_with_usage_chunk(member):
    stream = member.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Stream please [upstream tokens=5]"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "t0 t1 t2 t3 t4 "
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage.completion_tokens == 5


@pytest.mark.parametrize("model", ["gpt-4o", "claude"])
def test_tool_call_round_trip(member, model):
    ask = {"role": "user", "content": "Weather in Oslo? [upstream tool_call=weather]"}
    first = member.chat.completions.create(model=model, messages=[ask], tools=WEATHER, tool_choice="auto")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "weather"
    assert json.loads(call.function.arguments) == {"city": "t0"}
    sent = recorded()[-1]
    if model == "claude":
        assert sent["path"] == "/v1/messages"
        assert sent["body"]["tools"][0]["input_schema"]["required"] == ["city"]
    else:
        assert sent["body"]["tools"] == WEATHER

    second = member.chat.completions.create(
        model=model,
        tools=WEATHER,
        messages=[
            ask,
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
        ],
    )
    assert second.choices[0].message.content == "tool said: sunny, 21 C"
    body = recorded()[-1]["body"]
    if model == "claude":
        assert body["messages"][2]["content"][0] == {"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21 C"}
    else:
        assert body["messages"][2] == {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}


@pytest.mark.parametrize("model", ["gpt-4o", "claude"])
def test_streamed_tool_call(member, model):
    stream = member.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Weather? [upstream tool_call=weather]"}],
        tools=WEATHER,
        stream=True,
    )
    name, arguments, pieces, finish = "", "", 0, None
    for chunk in stream:
        delta = chunk.choices[0].delta if chunk.choices else None
        for piece in (delta.tool_calls or []) if delta else []:
            pieces += 1
            name += piece.function.name or ""
            arguments += piece.function.arguments or ""
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert (name, json.loads(arguments), finish) == ("weather", {"city": "t0"}, "tool_calls")
    assert pieces >= 2, "the arguments arrive in pieces"


def test_preset_as_model(member):
    preset = E2E["acme_preset"]
    assert preset in {m.id for m in member.models.list()}
    completion = member.chat.completions.create(model=preset, messages=[{"role": "user", "content": "Review this"}])
    assert completion.model == preset
    sent = recorded()[-1]
    assert sent["path"] == "/v1/messages", "the preset's model is claude"
    assert sent["body"]["system"] == "You review code."


def test_plugin_redacts_pii_before_the_upstream_sees_it():
    tenant = E2E["plugin_tenant"]
    assert tenant, "the e2e server found no plugins/dist/pii-redactor (run plugins/build.sh)"
    completion = client(tenant["token"]).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Mail jane.doe@example.com the report"}]
    )
    assert completion.choices[0].message.content
    sent = json.dumps(recorded()[-1]["body"])
    assert "jane.doe@example.com" not in sent
    assert "the report" in sent


def test_quota_refusal_is_a_rate_limit_error():
    quota = client(E2E["quota_user"]["token"])
    before = len(recorded())
    with pytest.raises(openai.RateLimitError) as refused:
        quota.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert int(refused.value.response.headers["retry-after"]) >= 1
    assert refused.value.code == "quota_exceeded"
    assert len(recorded()) == before, "nothing reached the provider"


def test_bad_token_is_an_authentication_error():
    with pytest.raises(openai.AuthenticationError) as refused:
        client("cfb_not-a-token").chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.request_id, "Confab's request id is in x-request-id"
    with pytest.raises(openai.AuthenticationError):
        client("cfb_not-a-token").models.list()


def test_bad_input_is_a_bad_request_error(member):
    with pytest.raises(openai.BadRequestError) as refused:
        member.chat.completions.create(model="gpt-4o", messages=[])
    assert refused.value.body["param"] == "messages"
    with pytest.raises(openai.BadRequestError):
        member.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}], temperature=9)


def test_other_tenants_models_are_not_listed_and_not_found(member):
    mine = {m.id for m in member.models.list()}
    assert {"gpt-4o", "claude"} <= mine
    for model in E2E["other_tenant_models"]:
        assert model not in mine
        with pytest.raises(openai.NotFoundError):
            member.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    theirs = {m.id for m in client(E2E["other_tenant"]["token"]).models.list()}
    assert set(E2E["other_tenant_models"]) <= theirs
    assert E2E["acme_preset"] not in theirs
    assert all(re.match(r"^preset/[0-9a-f-]{36}$", m) for m in mine if m.startswith("preset/"))

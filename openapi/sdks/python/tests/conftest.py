"""Fixtures over the real server that test.sh starts (`confab-sdk-e2e-server`); its JSON line is
in CONFAB_E2E (base URL, models, and users with API tokens)."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from faultproxy import FaultProxy

from confab_client import AsyncConfab, Confab
from confab_client.generated.api.chat import conversations_create
from confab_client.generated.models import CreateConversation


@pytest.fixture(scope="session")
def e2e() -> dict:
    raw = os.environ.get("CONFAB_E2E")
    if not raw:
        pytest.exit("CONFAB_E2E is not set: run the suite through openapi/sdks/python/test.sh", returncode=2)
    return json.loads(raw)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def member(e2e: dict):
    with Confab(e2e["base"], e2e["member"]["token"]) as client:
        yield client


@pytest.fixture
async def amember(e2e: dict):
    async with AsyncConfab(e2e["base"], e2e["member"]["token"]) as client:
        yield client


@pytest.fixture
def proxy(e2e: dict):
    proxy = FaultProxy(e2e["base"]).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def conversation(member: Confab):
    """A fresh conversation of the member."""
    return conversations_create.sync(client=member.api, body=CreateConversation(title=f"sdk {uuid.uuid4()}"))


def scripted(tokens: int, delay_ms: int = 0) -> tuple[str, str]:
    """A prompt for the scripted upstream and the answer it will give: every token is a word made
    for this call, so the expected text comes from the request, not from a constant."""
    word = "w" + uuid.uuid4().hex[:8]
    prompt = f"Say it [upstream tokens={tokens} delay_ms={delay_ms} text={word}]"
    return prompt, f"{word} " * tokens

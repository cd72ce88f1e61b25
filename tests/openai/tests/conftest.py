"""The e2e server's JSON line (CONFAB_E2E) and clients of the OpenAI-compatible endpoint."""
import json
import os
import urllib.request

import openai
import pytest

E2E = json.loads(os.environ["CONFAB_E2E"])


def client(token: str) -> openai.OpenAI:
    """The official OpenAI client, pointed at Confab: only base_url and the key change."""
    return openai.OpenAI(base_url=E2E["base"] + "/openai/v1", api_key=token, max_retries=0, timeout=30)


def recorded() -> list:
    """Every request the scripted upstream received, oldest first."""
    with urllib.request.urlopen(E2E["upstream"] + "/_recorded") as resp:
        return json.load(resp)


@pytest.fixture
def member() -> openai.OpenAI:
    return client(E2E["member"]["token"])

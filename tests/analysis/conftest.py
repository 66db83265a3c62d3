"""Fixtures for the analysis tests: LLM API stand-ins that check the documented request contracts.

The OpenAI-compatible and Anthropic stubs are real loopback HTTP servers (tests/support/http_stub.py);
their validators encode what each API documents — path, headers, body fields — and a request that
breaks it gets a 400 like the real API would, and fails the test.
"""

from __future__ import annotations

import json

import pytest

from apps.analysis import context as context_mod
from apps.analysis.models import LLMProvider

VALID_ROLES = {"system", "user", "assistant"}
OPENAI_FIELDS = {"model", "messages", "temperature", "max_tokens", "response_format"}
ANTHROPIC_FIELDS = {"model", "messages", "max_tokens", "system", "temperature"}


def check_openai_request(req) -> None:
    """POST /v1/chat/completions as documented by OpenAI (and served by vLLM, Ollama, LM Studio)."""
    assert req.method == "POST", req.method
    assert req.path == "/v1/chat/completions", req.path
    assert req.header("content-type", "").startswith("application/json")
    body = req.json
    assert isinstance(body, dict), "body must be a JSON object"
    assert set(body) <= OPENAI_FIELDS, f"unexpected fields {set(body) - OPENAI_FIELDS}"
    assert isinstance(body.get("model"), str) and body["model"], "model is required"
    messages = body.get("messages")
    assert isinstance(messages, list) and messages, "messages must be a non-empty list"
    for m in messages:
        assert m.get("role") in VALID_ROLES and isinstance(m.get("content"), str), m
    assert messages[-1]["role"] == "user", "the last message must be the user's"
    assert all(m["role"] != "system" for m in messages[1:]), "one system message, first"
    assert isinstance(body.get("max_tokens"), int) and body["max_tokens"] > 0
    assert 0 <= body.get("temperature", 1) <= 2
    fmt = body.get("response_format")
    if fmt is not None:
        assert fmt["type"] in ("json_object", "json_schema", "text"), fmt
        if fmt["type"] == "json_object":
            # OpenAI rejects json_object mode unless a message tells the model to produce JSON.
            assert any("json" in m["content"].lower() for m in messages), (
                "json_object needs 'JSON' in a message"
            )
        if fmt["type"] == "json_schema":
            assert fmt["json_schema"]["name"] and isinstance(fmt["json_schema"]["schema"], dict)


def check_anthropic_request(req) -> None:
    """POST /v1/messages as documented by Anthropic."""
    assert req.method == "POST", req.method
    assert req.path == "/v1/messages", req.path
    assert req.header("anthropic-version") == "2023-06-01", req.header("anthropic-version")
    assert req.header("x-api-key"), "x-api-key header is required"
    assert req.header("authorization") is None, "Anthropic keys go in x-api-key, not Authorization"
    assert req.header("content-type", "").startswith("application/json")
    body = req.json
    assert isinstance(body, dict)
    assert set(body) <= ANTHROPIC_FIELDS, f"unexpected fields {set(body) - ANTHROPIC_FIELDS}"
    assert isinstance(body.get("model"), str) and body["model"]
    assert isinstance(body.get("max_tokens"), int) and body["max_tokens"] >= 1, "max_tokens is required"
    messages = body.get("messages")
    assert isinstance(messages, list) and messages
    assert messages[0]["role"] == "user", "the conversation starts with the user"
    for i, m in enumerate(messages):
        assert m["role"] in ("user", "assistant"), "the system prompt is a top-level field, not a message"
        assert m["role"] == ("user" if i % 2 == 0 else "assistant"), "roles must alternate"
        assert isinstance(m["content"], str) and m["content"]
    assert isinstance(body.get("system", ""), str)
    assert 0 <= body.get("temperature", 1) <= 1


def openai_completion(
    content: str,
    *,
    prompt_tokens=812,
    completion_tokens=256,
    finish_reason="stop",
    model="gpt-4o-mini-2024-07-18",
) -> dict:
    return {
        "id": "chatcmpl-9x8Yz",
        "object": "chat.completion",
        "created": 1721000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_0ba0d124f1",
    }


def anthropic_message(
    text: str,
    *,
    input_tokens=901,
    output_tokens=310,
    stop_reason="end_turn",
    model="claude-sonnet-4-5-20250929",
) -> dict:
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


OPENAI_RATE_LIMIT = {
    "error": {
        "message": "Rate limit reached for gpt-4o-mini in organization org-x on requests "
        "per min (RPM): Limit 3, Used 3, Requested 1.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
OPENAI_SERVER_ERROR = {
    "error": {
        "message": "The server had an error while processing your request.",
        "type": "server_error",
        "param": None,
        "code": None,
    }
}
ANTHROPIC_RATE_LIMIT = {
    "type": "error",
    "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"},
}
ANTHROPIC_OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def good_answer(refs=("E1",), **overrides) -> str:
    """A realistic, schema-valid analysis as an LLM would write it."""
    answer = {
        "root_cause": "The payment-api deploy v2.4.1 changed the database pool size to 2, so requests queue "
        "for connections and time out.",
        "impact": "About 20% of checkout requests fail with HTTP 500 in production.",
        "remediation": [
            {
                "step": "Roll back payment-api to v2.4.0.",
                "command": "kubectl rollout undo deployment/payment-api",
            },
            {"step": "Watch the error ratio return below 1%.", "command": None},
        ],
        "suggested_runbook": "rollback-deployment",
        "prevention": ["Validate pool settings in CI.", "Use canary rollouts with automatic rollback."],
        "confidence": 0.72,
        "evidence": [
            {"section": "root_cause", "claim": "Error ratio started with the alert", "refs": list(refs)},
            {"section": "remediation", "claim": "Rollback fits a deploy regression", "refs": ["E99"]},
        ],
    }
    answer.update(overrides)
    return json.dumps(answer)


@pytest.fixture
def openai_stub(http_stub):
    stub = http_stub(name="openai")
    stub.validate(check_openai_request)
    return stub


@pytest.fixture
def anthropic_stub(http_stub):
    stub = http_stub(name="anthropic")
    stub.validate(check_anthropic_request)
    return stub


@pytest.fixture
def openai_provider(org_a, openai_stub):
    return LLMProvider.objects.create(
        organization=org_a,
        name="OpenAI",
        kind="openai",
        base_url=openai_stub.url + "/v1",
        model="gpt-4o-mini",
        api_key="sk-proj-test-123",
        timeout_seconds=2,
        max_retries=1,
    )


@pytest.fixture
def anthropic_provider(org_a, anthropic_stub):
    return LLMProvider.objects.create(
        organization=org_a,
        name="Claude",
        kind="anthropic",
        base_url=anthropic_stub.url,
        model="claude-sonnet-4-5",
        api_key="sk-ant-test-456",
        timeout_seconds=2,
        max_retries=1,
    )


BUILTIN_PROVIDERS = {"alert", "incident", "similar_alerts"}


@pytest.fixture(autouse=True)
def only_builtin_context_providers():
    """Keep other apps' context providers (changes, logs, ...) out of these tests, so they stay exact.

    Those providers are tested in their own apps; the blocks they would add are built by hand here.
    """
    saved = dict(context_mod._registry)
    for name in list(context_mod._registry):
        if name not in BUILTIN_PROVIDERS:
            del context_mod._registry[name]
    yield
    context_mod._registry.clear()
    context_mod._registry.update(saved)


@pytest.fixture
def extra_context():
    """Register throw-away context providers for one test: `extra_context("name", fn, order=)`."""
    names = []

    def register(name, fn, order=50):
        names.append(name)
        context_mod.register_context_provider(name, fn, order=order)

    yield register
    for name in names:
        context_mod.unregister_context_provider(name)

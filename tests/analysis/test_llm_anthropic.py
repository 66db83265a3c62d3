"""The Anthropic Messages client through the real analysis service, against a loopback stand-in."""

import pytest

from apps.analysis import services
from apps.analysis.choices import AnalysisStatus, Trigger
from apps.analysis.models import Analysis
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory

from .conftest import ANTHROPIC_OVERLOADED, ANTHROPIC_RATE_LIMIT, anthropic_message, good_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(org_a):
    return AlertFactory(
        organization=org_a,
        name="KubePodCrashLooping",
        service="checkout",
        labels={
            "alertname": "KubePodCrashLooping",
            "namespace": "shop",
            "pod": "checkout-7d9f",
            "container": "app",
            "severity": "critical",
        },
    )


def run(alert, provider) -> Analysis:
    analysis = services.analysis_request(
        subject=Subject.for_alert(alert), trigger=Trigger.MANUAL, provider=provider
    )
    services.analysis_execute(analysis_id=analysis.pk)
    analysis.refresh_from_db()
    return analysis


def test_success_uses_messages_api_shape(alert, anthropic_provider, anthropic_stub):
    anthropic_stub.respond(200, json=anthropic_message(good_answer()))
    analysis = run(alert, anthropic_provider)

    [req] = anthropic_stub.requests
    anthropic_stub.assert_no_contract_errors()
    assert req.header("x-api-key") == "sk-ant-test-456"
    body = req.json
    assert body["model"] == "claude-sonnet-4-5" and body["max_tokens"] == anthropic_provider.max_output_tokens
    assert "JSON schema" in body["system"] and [m["role"] for m in body["messages"]] == ["user"]
    assert "KubePodCrashLooping" in body["messages"][0]["content"]

    assert analysis.status == AnalysisStatus.OK and analysis.provider_kind == "anthropic"
    assert (analysis.prompt_tokens, analysis.completion_tokens) == (901, 310)
    assert analysis.model_name == "claude-sonnet-4-5-20250929"


def test_base_url_with_v1_suffix_is_accepted(alert, anthropic_provider, anthropic_stub):
    anthropic_provider.base_url = anthropic_stub.url + "/v1/"
    anthropic_provider.save()
    anthropic_stub.respond(200, json=anthropic_message(good_answer()))
    assert run(alert, anthropic_provider).status == AnalysisStatus.OK
    assert anthropic_stub.requests[0].path == "/v1/messages"


def test_prose_and_code_fence_around_the_json_are_tolerated(alert, anthropic_provider, anthropic_stub):
    text = "Here is my analysis of the crash loop:\n\n```json\n" + good_answer(confidence="high") + "\n```\n"
    anthropic_stub.respond(200, json=anthropic_message(text))
    analysis = run(alert, anthropic_provider)
    assert analysis.status == AnalysisStatus.OK and analysis.confidence == 0.8


def test_repair_turn_keeps_roles_alternating(alert, anthropic_provider, anthropic_stub):
    anthropic_stub.respond(200, json=anthropic_message('{"root_cause": "x"}'))
    anthropic_stub.respond(200, json=anthropic_message(good_answer()))
    analysis = run(alert, anthropic_provider)
    anthropic_stub.assert_no_contract_errors()
    assert analysis.status == AnalysisStatus.OK
    repair = anthropic_stub.requests[1].json["messages"]
    assert [m["role"] for m in repair] == ["user", "assistant", "user"]
    assert "does not match the schema" in repair[2]["content"] and "remediation" in repair[2]["content"]


def test_overloaded_529_then_success(alert, anthropic_provider, anthropic_stub):
    anthropic_stub.respond(529, json=ANTHROPIC_OVERLOADED)
    anthropic_stub.respond(200, json=anthropic_message(good_answer()))
    assert run(alert, anthropic_provider).status == AnalysisStatus.OK
    assert len(anthropic_stub.requests) == 2


def test_persistent_429_fails_with_reason_then_offline_fallback(alert, anthropic_provider, anthropic_stub):
    anthropic_stub.set_default(429, json=ANTHROPIC_RATE_LIMIT, headers={"retry-after": "0"})
    failed = run(alert, anthropic_provider)
    assert failed.status == AnalysisStatus.FAILED
    assert "HTTP 429" in failed.failure_reason and "exceeded your rate limit" in failed.failure_reason
    fallback = Analysis.objects.get(fallback_of=failed)
    assert fallback.status == AnalysisStatus.OK and "crash" in fallback.root_cause.lower()


def test_persistent_500_fails(alert, anthropic_provider, anthropic_stub):
    anthropic_stub.set_default(
        500, json={"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}
    )
    failed = run(alert, anthropic_provider)
    assert "failed (HTTP 500): Internal server error" in failed.failure_reason
    assert len(anthropic_stub.requests) == 2


def test_timeout_fails_after_bounded_retries(alert, anthropic_provider, anthropic_stub):
    anthropic_provider.timeout_seconds = 0.4
    anthropic_provider.max_retries = 0
    anthropic_provider.save()
    anthropic_stub.set_default(200, json=anthropic_message(good_answer()), delay=1.5)
    failed = run(alert, anthropic_provider)
    assert "timed out after 0.4s; gave up after 1 attempt(s)" in failed.failure_reason


def test_connection_test(anthropic_provider, anthropic_stub):
    anthropic_stub.respond(200, json=anthropic_message('{"ok": true}', input_tokens=25, output_tokens=6))
    provider = services.provider_test(provider=anthropic_provider)
    anthropic_stub.assert_no_contract_errors()
    assert provider.last_test_ok is True and provider.last_test_latency_ms is not None

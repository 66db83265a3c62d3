"""The OpenAI-compatible client through the real analysis service, against a loopback OpenAI stand-in."""

import json
import logging

import pytest

from apps.analysis import services
from apps.analysis.choices import AnalysisStatus, Trigger
from apps.analysis.models import Analysis, AnalysisPolicy, LLMCall
from apps.analysis.schema import ANALYSIS_SCHEMA
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory

from .conftest import OPENAI_RATE_LIMIT, OPENAI_SERVER_ERROR, good_answer, openai_completion

pytestmark = pytest.mark.django_db


def run(alert, provider) -> Analysis:
    analysis = services.analysis_request(
        subject=Subject.for_alert(alert), trigger=Trigger.API, provider=provider
    )
    services.analysis_execute(analysis_id=analysis.pk)
    analysis.refresh_from_db()
    return analysis


@pytest.fixture
def alert(org_a):
    return AlertFactory(
        organization=org_a,
        name="HighErrorRate",
        service="payment-api",
        summary="Error ratio 0.21 on payment-api",
    )


def test_success_sends_the_documented_request_and_stores_the_sections(alert, openai_provider, openai_stub):
    openai_stub.respond(200, json=openai_completion(good_answer()))
    analysis = run(alert, openai_provider)

    [req] = openai_stub.requests
    openai_stub.assert_no_contract_errors()
    assert req.header("authorization") == "Bearer sk-proj-test-123"
    assert req.json["model"] == "gpt-4o-mini"
    assert req.json["response_format"] == {"type": "json_object"}
    system, user = req.json["messages"]
    assert system["role"] == "system" and '"root_cause"' in system["content"]  # the schema is in the prompt
    assert user["role"] == "user" and "HighErrorRate" in user["content"] and "[E1]" in user["content"]

    assert analysis.status == AnalysisStatus.OK
    assert analysis.root_cause.startswith("The payment-api deploy v2.4.1")
    assert [s["step"] for s in analysis.remediation] == [
        "Roll back payment-api to v2.4.0.",
        "Watch the error ratio return below 1%.",
    ]
    assert analysis.remediation[0]["command"] == "kubectl rollout undo deployment/payment-api"
    assert analysis.confidence == 0.72
    # E1 is the alert block; E99 was never in the prompt, so that claim is dropped.
    assert analysis.evidence == [
        {"section": "root_cause", "claim": "Error ratio started with the alert", "refs": ["E1"]}
    ]
    assert analysis.suggested_runbook == {
        "name": "rollback-deployment",
        "id": None,
        "url": "",
        "reason": "",
        "matched": False,
    }
    assert (analysis.prompt_tokens, analysis.completion_tokens, analysis.attempts) == (812, 256, 1)
    assert analysis.model_name == "gpt-4o-mini-2024-07-18" and analysis.provider_kind == "openai"
    assert len(analysis.prompt_hash) == 64 and analysis.latency_ms is not None
    call = LLMCall.objects.get(analysis=analysis)
    assert (call.status, call.http_status, call.total_tokens) == ("ok", 200, 1068)


def test_json_schema_mode_sends_the_schema(alert, openai_provider, openai_stub):
    openai_provider.json_mode = "json_schema"
    openai_provider.save()
    openai_stub.respond(200, json=openai_completion(good_answer()))
    assert run(alert, openai_provider).status == AnalysisStatus.OK
    fmt = openai_stub.requests[0].json["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == ANALYSIS_SCHEMA


def test_local_server_without_key_gets_no_authorization_header(alert, openai_provider, openai_stub):
    openai_provider.api_key = ""
    openai_provider.json_mode = "none"
    openai_provider.save()
    openai_stub.respond(200, json=openai_completion("```json\n" + good_answer() + "\n```"))
    assert run(alert, openai_provider).status == AnalysisStatus.OK
    req = openai_stub.requests[0]
    assert req.header("authorization") is None and "response_format" not in req.json


def test_invalid_json_is_retried_once_with_the_error(alert, openai_provider, openai_stub):
    openai_stub.respond(200, json=openai_completion("Sure! Here is the analysis: {root_cause: 'db'}"))
    openai_stub.respond(200, json=openai_completion(good_answer()))
    analysis = run(alert, openai_provider)

    assert analysis.status == AnalysisStatus.OK
    first, second = openai_stub.wait_for(2)
    openai_stub.assert_no_contract_errors()
    roles = [m["role"] for m in second.json["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert second.json["messages"][2]["content"].startswith("Sure! Here is the analysis")
    assert "not valid JSON" in second.json["messages"][3]["content"]
    assert analysis.attempts == 2 and analysis.prompt_tokens == 2 * 812
    assert "Sure! Here is the analysis" in analysis.raw_text
    assert list(
        LLMCall.objects.filter(analysis=analysis).values_list("purpose", flat=True).order_by("id")
    ) == ["analysis", "repair"]


def test_invalid_twice_stores_a_failed_analysis_then_the_offline_fallback(
    alert, openai_provider, openai_stub
):
    missing_steps = json.loads(good_answer())
    del missing_steps["remediation"]
    openai_stub.respond(200, json=openai_completion(json.dumps(missing_steps)))
    openai_stub.respond(200, json=openai_completion("I cannot help with that."))
    failed = run(alert, openai_provider)

    assert failed.status == AnalysisStatus.FAILED
    assert "invalid output twice" in failed.failure_reason and "not valid JSON" in failed.failure_reason
    assert "I cannot help with that." in failed.raw_text and '"root_cause"' in failed.raw_text
    fallback = Analysis.objects.get(fallback_of=failed)
    assert fallback.status == AnalysisStatus.OK and fallback.provider_kind == "builtin"
    assert fallback.version == failed.version + 1 and fallback.trigger == Trigger.FALLBACK
    assert fallback.root_cause and fallback.remediation


def test_without_fallback_only_the_failure_is_stored(org_a, alert, openai_provider, openai_stub):
    AnalysisPolicy.objects.create(organization=org_a, fallback_to_builtin=False)
    openai_stub.set_default(200, json=openai_completion("not json"))
    failed = run(alert, openai_provider)
    assert failed.status == AnalysisStatus.FAILED
    assert not Analysis.objects.filter(fallback_of=failed).exists()


def test_429_is_retried_honouring_retry_after(alert, openai_provider, openai_stub):
    openai_stub.respond(429, json=OPENAI_RATE_LIMIT, headers={"Retry-After": "0"})
    openai_stub.respond(200, json=openai_completion(good_answer()))
    analysis = run(alert, openai_provider)
    assert analysis.status == AnalysisStatus.OK
    assert len(openai_stub.requests) == 2
    assert LLMCall.objects.get(analysis=analysis).attempts == 2


def test_persistent_429_fails_with_the_providers_message(alert, openai_provider, openai_stub):
    openai_stub.set_default(429, json=OPENAI_RATE_LIMIT, headers={"Retry-After": "0"})
    failed = run(alert, openai_provider)
    assert failed.status == AnalysisStatus.FAILED
    assert "rate limited the request (HTTP 429)" in failed.failure_reason
    assert "Rate limit reached for gpt-4o-mini" in failed.failure_reason
    assert "gave up after 2 attempt(s)" in failed.failure_reason
    assert len(openai_stub.requests) == 2  # 1 + max_retries, bounded
    call = LLMCall.objects.get(analysis=failed)
    assert (call.status, call.http_status, call.attempts) == ("error", 429, 2)


def test_500_then_success(alert, openai_provider, openai_stub):
    openai_stub.respond(500, json=OPENAI_SERVER_ERROR)
    openai_stub.respond(200, json=openai_completion(good_answer()))
    assert run(alert, openai_provider).status == AnalysisStatus.OK


def test_persistent_500_fails(alert, openai_provider, openai_stub):
    openai_stub.set_default(500, json=OPENAI_SERVER_ERROR)
    failed = run(alert, openai_provider)
    assert failed.status == AnalysisStatus.FAILED and "failed (HTTP 500)" in failed.failure_reason


def test_401_is_not_retried(alert, openai_provider, openai_stub):
    openai_stub.set_default(
        401,
        json={
            "error": {
                "message": "Incorrect API key provided: sk-proj-***123.",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
    )
    failed = run(alert, openai_provider)
    assert "rejected the credentials (HTTP 401)" in failed.failure_reason
    assert len(openai_stub.requests) == 1


def test_timeout_is_retried_then_fails(alert, openai_provider, openai_stub, caplog):
    openai_provider.timeout_seconds = 0.4
    openai_provider.save()
    openai_stub.set_default(200, json=openai_completion(good_answer()), delay=1.5)
    with caplog.at_level(logging.DEBUG):
        failed = run(alert, openai_provider)
    assert failed.status == AnalysisStatus.FAILED
    assert "timed out after 0.4s; gave up after 2 attempt(s)" in failed.failure_reason
    openai_stub.wait_for(2)
    assert "sk-proj-test-123" not in caplog.text  # the key never reaches the logs


def test_truncated_output_says_so(alert, openai_provider, openai_stub):
    cut = good_answer()[:120]
    openai_stub.set_default(200, json=openai_completion(cut, finish_reason="length"))
    failed = run(alert, openai_provider)
    assert "cut off at the output token limit" in failed.failure_reason


def test_rate_limit_per_minute_refuses_without_calling(alert, openai_provider, openai_stub):
    openai_provider.rate_limit_per_minute = 1
    openai_provider.save()
    openai_stub.set_default(200, json=openai_completion(good_answer()))
    assert run(alert, openai_provider).status == AnalysisStatus.OK
    refused = run(alert, openai_provider)
    assert refused.status == AnalysisStatus.FAILED
    assert "rate limit reached: 1 of 1 calls" in refused.failure_reason
    assert len(openai_stub.requests) == 1
    assert Analysis.objects.get(fallback_of=refused).status == AnalysisStatus.OK


def test_daily_token_budget_refuses_without_calling(alert, openai_provider, openai_stub):
    openai_provider.daily_token_budget = 500
    openai_provider.save()
    refused = run(alert, openai_provider)
    assert "daily token budget spent: 0 of 500 tokens" in refused.failure_reason
    assert openai_stub.requests == []


def test_connection_test_success_and_failure(openai_provider, openai_stub):
    openai_stub.respond(200, json=openai_completion('{"ok": true}', prompt_tokens=30, completion_tokens=5))
    provider = services.provider_test(provider=openai_provider)
    openai_stub.assert_no_contract_errors()
    assert provider.last_test_ok is True and "gpt-4o-mini-2024-07-18 answered" in provider.last_test_message
    assert openai_stub.requests[0].json["max_tokens"] == 20
    assert LLMCall.objects.get(provider=provider).purpose == "test"

    openai_stub.set_default(401, json={"error": {"message": "Incorrect API key provided."}})
    provider = services.provider_test(provider=openai_provider)
    assert provider.last_test_ok is False and "HTTP 401" in provider.last_test_message

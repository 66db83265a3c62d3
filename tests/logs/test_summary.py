"""The summary of an alert's logs: built-in at once (offline default), an LLM's through the analysis
app's provider abstraction when one is configured (loopback OpenAI-compatible server checking the
documented request), one call per shared fetch, off the alert path, cached on the context."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.analysis.context import assemble
from apps.analysis.models import AnalysisPolicy, LLMCall, LLMProvider
from apps.analysis.subjects import Subject
from apps.logs import services, tasks
from apps.logs.models import AlertLogContext
from tests.alerts.factories import AlertFactory
from tests.analysis.conftest import anthropic_message, check_anthropic_request, check_openai_request, openai_completion
from tests.analysis.factories import AnalysisPolicyFactory
from tests.logs.conftest import LokiStub, assert_loki_request, at, loki_streams
from tests.logs.factories import LogSourceFactory

pytestmark = pytest.mark.django_db

OOM = ("ERROR [PaymentProcessor] java.lang.OutOfMemoryError: Java heap space\n"
       "\tat com.shop.PaymentProcessor.processPayment(PaymentProcessor.java:234)")
MANY = [(at(30) + timedelta(seconds=i), f"2026-05-01T14:30:{i % 60:02d}Z " + (
    OOM if i % 3 == 0 else f"WARN  [DatabasePool] Connection timeout after {i}s to db-{i % 4}:5432"))
    for i in range(60)]
LLM_TEXT = ("The payment service ran out of heap: java.lang.OutOfMemoryError at PaymentProcessor.java:234, "
            "20 times, new in this window.")


@pytest.fixture
def loki(org_a):
    with LokiStub("loki") as stub:
        stub.validate(assert_loki_request)
        stub.set_default(200, json=loki_streams([]))
        LogSourceFactory(organization=org_a, url=stub.url, is_default=True, config={"token": "s3cret-token"})
        yield stub


@pytest.fixture
def llm(org_a):
    with LokiStub("openai") as stub:  # any StubServer: the OpenAI contract is its validator
        stub.validate(check_openai_request)
        provider = LLMProvider.objects.create(organization=org_a, name="OpenAI", kind="openai",
                                              base_url=stub.url + "/v1", model="gpt-4o-mini",
                                              api_key="sk-proj-test-123", timeout_seconds=2, max_retries=0)
        AnalysisPolicyFactory(organization=org_a, provider=provider)
        yield stub, provider


def test_without_an_llm_the_built_in_summary_is_stored_at_once_and_shown(loki, org_a, users_a, client):
    loki.respond(200, json=loki_streams(MANY))
    alert = AlertFactory(organization=org_a, starts_at=at(32))
    [row] = services.contexts_fetch(alerts=[alert])
    assert not AnalysisPolicy.objects.filter(organization=org_a).exists()  # looked up, never created
    assert row.summary_by == "built-in"
    assert row.summary.startswith("60 log entries in the window, 20 errors and 40 warnings, in 2 patterns.")
    assert "Top: java.lang.OutOfMemoryError: Java heap space at PaymentProcessor.java:234, 20×" in row.summary
    [block] = assemble(Subject.for_alert(alert)).by_kind("logs")
    assert block.body.startswith("Summary: 60 log entries")
    client.force_login(users_a["viewer"])
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert 'class="log-summary" data-summary-by="built-in"' in page and "built-in summary" in page


def test_an_llm_summarises_a_storm_once_off_the_alert_path(loki, llm, org_a, users_a, client,
                                                           django_capture_on_commit_callbacks):
    stub, provider = llm
    stub.respond(200, json=openai_completion(LLM_TEXT, prompt_tokens=700, completion_tokens=40))
    loki.respond(200, json=loki_streams(MANY))
    storm = [AlertFactory(organization=org_a, starts_at=at(32), instance="payment-1:8080") for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True) as queued:
        rows = services.contexts_fetch(alerts=storm)
    # Stored with the built-in summary first: the LLM call comes after, in its own task.
    assert {r.summary_by for r in rows} == {"built-in"} and len(queued) == 1
    stub.assert_no_contract_errors()
    [request] = stub.requests
    assert request.header("authorization") == "Bearer sk-proj-test-123"
    assert "response_format" not in request.json  # plain text asked for, not the analysis JSON
    system, user = request.json["messages"][0], request.json["messages"][1]
    assert system["role"] == "system" and "on-call engineer" in system["content"]
    assert "java.lang.OutOfMemoryError: Java heap space at PaymentProcessor.java:234 (20×" in user["content"]
    assert "Summary:" not in user["content"]  # the built-in text is not fed back to the model
    contexts = AlertLogContext.objects.filter(alert__in=storm)
    assert {c.summary for c in contexts} == {LLM_TEXT}
    assert {c.summary_by for c in contexts} == {"OpenAI (gpt-4o-mini-2024-07-18)"}
    [call] = LLMCall.objects.filter(provider=provider)
    assert call.status == "ok" and call.analysis_id is None
    assert call.purpose == "logs" and call.get_purpose_display() == "Log summary"  # not counted as analysis
    # Cached on the context: a redelivered task, and the alert page, ask the LLM nothing more.
    assert tasks.summarise_contexts.apply(args=[[c.pk for c in contexts]], throw=True).get() == 0
    client.force_login(users_a["viewer"])
    page = client.get(reverse("alerts:detail", args=[storm[0].pk])).content.decode()
    assert LLM_TEXT in page and "summarised by OpenAI (gpt-4o-mini-2024-07-18)" in page
    assert len(stub.requests) == 1


def test_a_failing_llm_keeps_the_built_in_summary(loki, llm, org_a, django_capture_on_commit_callbacks):
    stub, provider = llm
    stub.respond(500, json={"error": {"message": "The server had an error", "type": "server_error"}})
    loki.respond(200, json=loki_streams(MANY))
    alert = AlertFactory(organization=org_a, starts_at=at(32))
    with django_capture_on_commit_callbacks(execute=True):
        [row] = services.contexts_fetch(alerts=[alert])
    row.refresh_from_db()
    assert row.status == "ok" and row.summary_by == "built-in" and row.summary.startswith("60 log entries")
    assert LLMCall.objects.get(provider=provider).status == "error"


def test_small_windows_are_not_sent_to_the_llm(loki, llm, org_a, django_capture_on_commit_callbacks):
    stub, _provider = llm
    loki.respond(200, json=loki_streams(MANY[:50]))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        [row] = services.contexts_fetch(alerts=[AlertFactory(organization=org_a, starts_at=at(32))])
    assert row.entries == 50 and row.summary_by == "built-in" and not queued and stub.requests == []


def test_an_anthropic_provider_summarises_through_the_messages_api(loki, org_a, django_capture_on_commit_callbacks):
    """The same summary through an Anthropic-compatible loopback server checking the Messages API."""
    with LokiStub("anthropic") as stub:
        stub.validate(check_anthropic_request)
        stub.respond(200, json=anthropic_message(LLM_TEXT, input_tokens=650, output_tokens=35))
        provider = LLMProvider.objects.create(organization=org_a, name="Claude", kind="anthropic",
                                              base_url=stub.url, model="claude-sonnet-4-5",
                                              api_key="sk-ant-test-456", timeout_seconds=2, max_retries=0)
        AnalysisPolicyFactory(organization=org_a, provider=provider)
        loki.respond(200, json=loki_streams(MANY))
        alert = AlertFactory(organization=org_a, starts_at=at(32))
        with django_capture_on_commit_callbacks(execute=True):
            [row] = services.contexts_fetch(alerts=[alert])
        stub.assert_no_contract_errors()
        [request] = stub.requests
    assert request.header("x-api-key") == "sk-ant-test-456"
    assert "on-call engineer" in request.json["system"] and request.json["max_tokens"] <= 300
    [message] = request.json["messages"]
    assert "java.lang.OutOfMemoryError: Java heap space at PaymentProcessor.java:234 (20×" in message["content"]
    row.refresh_from_db()
    assert row.summary == LLM_TEXT and row.summary_by == "Claude (claude-sonnet-4-5-20250929)"
    [call] = LLMCall.objects.filter(provider=provider)
    assert (call.status, call.purpose, call.prompt_tokens, call.completion_tokens) == ("ok", "logs", 650, 35)

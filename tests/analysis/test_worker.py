"""The asynchronous path with a real Celery worker: alert.received through the broker, the decision
on the default queue, the LLM call on the analysis queue, all in the worker process as in production."""

import time

import pytest

from aiops import events
from apps.alerts.summary import alert_summary
from apps.analysis.models import Analysis, AnalysisPolicy, LLMProvider
from tests.alerts.factories import AlertFactory

from .conftest import good_answer, openai_completion

pytestmark = [pytest.mark.slow]


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_worker_analyses_a_received_alert_with_the_llm(celery_worker_process, org_a, openai_stub):
    openai_stub.set_default(200, json=openai_completion(good_answer()))
    provider = LLMProvider.objects.create(
        organization=org_a,
        name="stub",
        kind="openai",
        model="gpt-4o-mini",
        base_url=openai_stub.url + "/v1",
        api_key="sk-worker",
        max_retries=0,
    )
    AnalysisPolicy.objects.create(organization=org_a, provider=provider)
    alert = AlertFactory(organization=org_a, name="HighErrorRate", service="payment-api")
    events.publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))

    def done():
        return Analysis.objects.filter(alert=alert, status="ok").exists()

    assert wait_for(done), celery_worker_process.log()[-3000:]
    analysis = Analysis.objects.get(alert=alert)
    assert analysis.provider_kind == "openai" and analysis.prompt_tokens == 812
    openai_stub.assert_no_contract_errors()
    assert len(openai_stub.requests) == 1
    log = celery_worker_process.log()
    assert "analysis.on_alert_received" in log and "analysis.run_analysis" in log

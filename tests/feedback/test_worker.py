"""The asynchronous path with a real Celery worker: the analysis (with the feedback context) and the
repeat check run in the worker process, through the broker, as in production."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from aiops import events
from apps.alerts.summary import alert_summary
from apps.analysis.models import Analysis, AnalysisPolicy
from apps.feedback import services
from apps.feedback.models import RepeatCheck
from tests.alerts.factories import AlertFactory
from tests.analysis.factories import AnalysisFactory

pytestmark = [pytest.mark.slow]
RESTART = "Restart the service if it is down; fix the service discovery or network policy if only the scrape fails."
LABELS = {"alertname": "TargetDown", "job": "orders-api", "service": "orders-api", "namespace": "shop"}


def wait_for(predicate, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_worker_learns_from_feedback(celery_worker_process, org_a, users_a):
    AnalysisPolicy.objects.create(organization=org_a, dedup_window_minutes=0, analyse_incidents=False)
    for days in (3, 2, 1):
        past = AlertFactory(
            organization=org_a,
            name="TargetDown",
            service="orders-api",
            labels=LABELS,
            status="resolved",
            starts_at=timezone.now() - timedelta(days=days),
        )
        analysis = AnalysisFactory(
            organization=org_a,
            alert=past,
            remediation=[{"step": RESTART}],
            suggested_runbook={"name": "restart-service", "matched": False},
        )
        services.feedback_record(
            analysis=analysis,
            user=users_a["operator"],
            feedback_type="incorrect",
            correct_action="Fixed the NetworkPolicy that blocked the metrics port",
        )
    alert = AlertFactory(organization=org_a, name="TargetDown", service="orders-api", labels=LABELS)
    events.publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))

    assert wait_for(lambda: RepeatCheck.objects.filter(analysis__alert=alert).exists()), celery_worker_process.log()[
        -3000:
    ]
    analysis = Analysis.objects.get(alert=alert)
    assert analysis.remediation[0]["step"].startswith("What fixed this before: Fixed the NetworkPolicy")
    assert not any(s["step"] == RESTART for s in analysis.remediation)
    assert analysis.suggested_runbook.get("name") != "restart-service"
    assert RepeatCheck.objects.get(analysis=analysis).repeated is False
    assert "feedback.check_repeat" in celery_worker_process.log()

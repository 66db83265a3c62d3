"""The asynchronous path with a real Celery worker process: alert.received through the broker, the
approval, and the run over real SSH all happen in the worker, as in production."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from aiops import events
from apps.alerts.summary import alert_summary
from apps.runbooks import services
from apps.runbooks.models import RunbookExecution
from tests.alerts.factories import AlertFactory

pytestmark = [pytest.mark.slow]


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_worker_triggers_waits_for_approval_and_runs_over_ssh(
    celery_worker_process, org_a, users_a, ssh_target, import_yaml, tmp_path
):
    out = tmp_path / "ran"
    runbook = import_yaml(f"""
name: Touch marker
execution: {{mode: semi_auto}}
triggers: [{{alert_pattern: "MarkerMissing"}}]
steps: [{{name: touch, command: "echo {{{{labels.service}}}} > {out}"}}]
""")
    alert = AlertFactory(
        organization=org_a,
        name="MarkerMissing",
        labels={"service": "web", "instance": "127.0.0.1"},
        starts_at=timezone.now() - timedelta(minutes=1),
    )
    events.publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))
    assert wait_for(lambda: RunbookExecution.objects.filter(runbook=runbook).exists()), (
        celery_worker_process.log()[-3000:]
    )
    execution = RunbookExecution.objects.get(runbook=runbook)
    assert execution.status == "pending_approval" and not out.exists()
    services.execution_approve(execution=execution, user=users_a["operator"])
    assert wait_for(lambda: RunbookExecution.objects.get(pk=execution.pk).status == "succeeded"), (
        RunbookExecution.objects.get(pk=execution.pk).status_reason,
        celery_worker_process.log()[-3000:],
    )
    assert out.read_text() == "web\n"
    assert "runbooks.run_execution" in celery_worker_process.log()

"""Cancelling a running execution kills the remote command and ends the run `cancelled`; the
periodic timer task is registered for beat."""

import os
import threading
import time

import pytest

from apps.runbooks import services
from apps.runbooks.models import RunbookExecution, StepResult
from apps.runbooks.services.runner import execution_run


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cancel_running_execution_kills_the_command(org_a, users_a, ssh_target, import_yaml, tmp_path):
    pid_file, marker = tmp_path / "pid", tmp_path / "done"
    runbook = import_yaml(f"""
name: Long job
steps:
  - {{name: long, command: "echo $$ > {pid_file}; sleep 30; touch {marker}", timeout_seconds: 60}}
  - {{name: after, command: "touch {marker}"}}
""")
    # Requested without running (the test starts the runner itself, in a thread, like a worker would).
    execution = RunbookExecution.objects.create(
        organization=org_a,
        runbook=runbook,
        runbook_name=runbook.name,
        runbook_version=runbook.version,
        definition=runbook.definition,
        trigger="manual",
        status="approved",
        requested_by=users_a["operator"],
        target=ssh_target,
    )
    worker = threading.Thread(target=execution_run, kwargs={"execution_id": execution.pk})
    worker.start()
    deadline = time.monotonic() + 15
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), "the remote command never started"
    execution.refresh_from_db()
    assert execution.status == "running"
    services.execution_cancel(execution=execution, user=users_a["operator"], note="wrong host")
    worker.join(timeout=20)
    assert not worker.is_alive()
    execution.refresh_from_db()
    assert execution.status == "cancelled"
    [step] = StepResult.objects.filter(execution=execution)
    assert step.status == "cancelled" and step.error == "cancelled; the remote command was killed"
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert not marker.exists()
    kinds = list(execution.events.values_list("kind", flat=True))
    assert "cancel_requested" in kinds and kinds[-1] == "finished"


@pytest.mark.django_db
def test_timer_task_is_registered_for_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="runbooks.timers")
    assert task.enabled and task.queue == "default" and task.interval.every == 30

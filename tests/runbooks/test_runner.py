"""The runner: api steps against a loopback HTTP server (retries, expected codes, rendering),
rollback in reverse order over real SSH, continue-on-fail, and the events a run publishes."""

import pytest

from apps.runbooks.services import execution_request_manual
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(dispatched_events):
    """Every event published during the test (recorded through the real bus's dispatch)."""
    return dispatched_events


def run(on_commit, runbook, user, **kwargs):
    execution = on_commit(execution_request_manual, runbook=runbook, user=user, **kwargs)
    execution.refresh_from_db()
    return execution


def test_api_step_retries_until_an_expected_status(org_a, users_a, import_yaml, on_commit, http_stub):
    api = http_stub(name="health")
    api.respond(503, json={"ok": False}).respond(500, body="boom").respond(200, json={"ok": True})
    runbook = import_yaml(f"""
name: Check health
steps:
  - name: health
    type: api
    method: GET
    endpoint: "{api.url}/health/{{{{service}}}}"
    headers: {{X-Service: "{{{{service}}}}"}}
    expected_status_codes: [200]
    retry_count: 3
    retry_delay_seconds: 0
""")
    alert = AlertFactory(organization=org_a, labels={"service": "pay ment/api"})
    execution = run(on_commit, runbook, users_a["operator"], alert=alert)
    assert execution.status == "succeeded", execution.status_reason
    [step] = execution.steps.all()
    assert (step.attempts, step.http_status, step.stdout) == (3, 200, '{"ok": true}')
    requests = api.requests
    assert [r.path for r in requests] == ["/health/pay%20ment%2Fapi"] * 3  # percent-encoded, not a new path
    assert requests[0].header("X-Service") == "pay ment/api"


def test_api_step_fails_after_retries_on_unexpected_status(org_a, users_a, import_yaml, on_commit, http_stub):
    api = http_stub(name="api").set_default(404, json={"error": "nope"})
    runbook = import_yaml(f"""
name: Poke
steps:
  - {{name: poke, type: api, method: POST, endpoint: "{api.url}/poke",
     body: {{service: "{{{{service}}}}", n: 1}},
     expected_status_codes: [201, 202], retry_count: 2, retry_delay_seconds: 0}}
""")
    execution = run(on_commit, runbook, users_a["operator"], inputs={"service": "web"})
    assert execution.status == "failed"
    [step] = execution.steps.all()
    assert step.attempts == 3 and step.http_status == 404
    assert step.error == "answered 404, expected 201, 202"
    assert [r.json for r in api.requests] == [{"service": "web", "n": 1}] * 3


def test_unreachable_api_is_a_failed_step_not_a_crash(org_a, users_a, import_yaml, on_commit):
    from tests.support.net import free_port

    runbook = import_yaml(f"""
name: Dead
steps:
  - {{name: dead, type: api, endpoint: "http://127.0.0.1:{free_port()}/x", timeout_seconds: 2}}
""")
    execution = run(on_commit, runbook, users_a["operator"])
    assert execution.status == "failed"
    [step] = execution.steps.all()
    assert step.http_status is None and "failed" in step.error


@pytest.mark.slow
def test_rollback_runs_completed_steps_in_reverse_order(
    org_a, users_a, ssh_target, import_yaml, on_commit, tmp_path, published
):
    log = tmp_path / "log"
    runbook = import_yaml(f"""
name: Three steps
steps:
  - {{name: one, command: "echo one >> {log}", rollback: "echo undo-one >> {log}"}}
  - {{name: soft, command: "exit 4", continue_on_fail: true}}
  - {{name: two, command: "echo two >> {log}", rollback: "echo undo-two >> {log}"}}
  - {{name: plain, command: "echo plain >> {log}"}}
  - {{name: breaks, command: "echo broken >&2; exit 7", rollback: "echo undo-breaks >> {log}"}}
  - {{name: never, command: "echo never >> {log}"}}
""")
    execution = run(on_commit, runbook, users_a["operator"], target=ssh_target, reason="test rollback")
    assert execution.status == "rolled_back"
    assert execution.status_reason == "step 5 (breaks) failed: exit code 7; rolled back 2 step(s)"
    assert log.read_text().split() == ["one", "two", "plain", "undo-two", "undo-one"]
    rows = [(s.phase, s.name, s.status, s.exit_code) for s in execution.steps.order_by("started_at", "id")]
    assert rows == [
        ("run", "one", "succeeded", 0),
        ("run", "soft", "failed", 4),
        ("run", "two", "succeeded", 0),
        ("run", "plain", "succeeded", 0),
        ("run", "breaks", "failed", 7),
        ("rollback", "two", "succeeded", 0),
        ("rollback", "one", "succeeded", 0),
    ]
    assert execution.steps.get(name="breaks").stderr == "broken\n"
    kinds = list(execution.events.values_list("kind", flat=True))
    assert kinds[:2] == ["requested", "started"] and kinds[-2:] == ["step_finished", "finished"]
    assert "rollback_started" in kinds
    finished = [e for e in published if e["name"] == "runbook.execution_finished"]
    assert [e["data"]["status"] for e in finished] == ["rolled_back"]
    assert [e["name"] for e in published].count("runbook.execution_started") == 1


@pytest.mark.slow
def test_failed_rollback_leaves_the_run_failed(org_a, users_a, ssh_target, import_yaml, on_commit):
    runbook = import_yaml("""
name: Bad rollback
steps:
  - {name: one, command: "true", rollback: "exit 9"}
  - {name: two, command: "false"}
""")
    execution = run(on_commit, runbook, users_a["operator"], target=ssh_target)
    assert execution.status == "failed"
    assert execution.status_reason.endswith("rollback failed for: one")


@pytest.mark.slow
def test_step_timeout_fails_the_run_and_records_the_kill(org_a, users_a, ssh_target, import_yaml, on_commit):
    runbook = import_yaml("name: Slow\nsteps:\n  - {name: slow, command: 'sleep 20', timeout_seconds: 1}\n")
    execution = run(on_commit, runbook, users_a["operator"], target=ssh_target)
    [step] = execution.steps.all()
    assert execution.status == "failed" and step.status == "timed_out"
    assert step.error == "timed out after 1 s; the remote command was killed" and step.duration_ms < 8000


@pytest.mark.slow
def test_success_notifications_are_rendered_into_the_finished_event(
    org_a, users_a, ssh_target, import_yaml, on_commit, published
):
    runbook = import_yaml("""
name: Notify
steps:
  - {name: ok, command: "echo {{service_name}}"}
notifications:
  on_success: [{channel: slack, message: "Service {{service_name}} restarted successfully"}]
  on_failure: [{channel: pagerduty, severity: critical}]
""")
    execution = run(
        on_commit, runbook, users_a["operator"], target=ssh_target, inputs={"service_name": "nginx"}
    )
    assert execution.status == "succeeded"
    [finished] = [e for e in published if e["name"] == "runbook.execution_finished"]
    assert finished["data"]["notifications"] == [
        {"channel": "slack", "message": "Service nginx restarted successfully"}
    ]
    assert finished["subject"] == {"type": "runbooks.runbookexecution", "id": execution.pk}

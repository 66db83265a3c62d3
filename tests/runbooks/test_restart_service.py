"""Done-when: the spec's "Restart Service" runbook, loaded from its YAML through the API, triggers on
a matching alert, waits for approval, runs over real SSH, verifies over HTTP, records every step,
and rolls back on failure.

The test host has no systemd, so `systemctl` in the spec's YAML is pointed at a small script that
keeps the unit's state in a file and logs each call; everything else is the spec's document.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.runbooks.models import RunbookExecution
from tests.alerts.factories import AlertFactory

from .conftest import spec_yaml

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "{log}"
case "$1" in
  status) if [ -f "{state}" ]; then echo "$2: active (running)"
          else echo "$2: inactive (dead)"; exit 3; fi ;;
  restart|start) touch "{state}"; echo "$1ed $2" ;;
  *) echo "unknown verb $1" >&2; exit 1 ;;
esac
"""


@pytest.fixture
def systemctl(tmp_path):
    log, state, script = tmp_path / "calls.log", tmp_path / "unit.running", tmp_path / "systemctl"
    script.write_text(FAKE_SYSTEMCTL.format(log=log, state=state))
    script.chmod(0o755)
    return {"path": script, "log": log}


@pytest.fixture
def restart_service(users_a, api_client_for, systemctl):
    def load(text_change=None):
        text = spec_yaml().replace("systemctl ", f"{systemctl['path']} ")
        if text_change:
            text = text.replace(*text_change)
        client = api_client_for(users_a["admin"], users_a["admin"].memberships.first().organization)
        response = client.post("/api/v1/runbooks/import", data=text, content_type="application/yaml")
        assert response.status_code == 201, response.content
        [result] = response.json()["results"]
        assert (result["slug"], result["outcome"], result["version"]) == ("restart-service", "created", 1)
        return result["id"]

    return load


def down_alert(org, health_url):
    return AlertFactory(
        organization=org,
        name="ServiceDownNginx",
        severity="critical",
        starts_at=timezone.now() - timedelta(minutes=6),
        labels={"alertname": "ServiceDownNginx", "service_name": "nginx", "instance": "127.0.0.1:9100"},
        annotations={"health_check_url": health_url},
    )


def approve(api_client_for, user, org, execution, django_capture_on_commit_callbacks):
    """Approve through the API (the run is enqueued on commit), then read the finished execution."""
    client = api_client_for(user, org)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/runbook-executions/{execution.pk}/approve", {"note": "ok"}, format="json"
        )
    if response.status_code != 200:
        return response
    assert response.json()["status"] == "approved"  # answered at once; the run happens in the worker
    return client.get(f"/api/v1/runbook-executions/{execution.pk}")


def test_restart_service_end_to_end(
    org_a,
    users_a,
    ssh_target,
    restart_service,
    systemctl,
    http_stub,
    deliver_alert,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    health = http_stub(name="nginx-health").respond(200, body="healthy")
    runbook_id = restart_service()
    deliver_alert(down_alert(org_a, f"{health.url}/healthz"))

    execution = RunbookExecution.objects.get(runbook_id=runbook_id)
    assert execution.status == "pending_approval" and execution.trigger == "alert"
    assert execution.target == ssh_target
    assert execution.parameters == {"service_name": "nginx", "health_check_url": f"{health.url}/healthz"}
    assert not systemctl["log"].exists() and health.requests == []  # nothing runs before approval

    assert (
        approve(
            api_client_for, users_a["viewer"], org_a, execution, django_capture_on_commit_callbacks
        ).status_code
        == 403
    )
    response = approve(
        api_client_for, users_a["operator"], org_a, execution, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "succeeded", body
    assert [(s["name"], s["status"]) for s in body["steps"]] == [
        ("Check current status", "failed"),
        ("Graceful restart", "succeeded"),
        ("Verify service health", "succeeded"),
    ]
    check, restart, verify = body["steps"]
    assert check["exit_code"] == 3 and check["stdout"] == "nginx: inactive (dead)\n"  # continue_on_fail
    assert (
        restart["rendered"] == f"{systemctl['path']} restart nginx"
        and restart["stdout"] == "restarted nginx\n"
    )
    assert verify["rendered"] == f"GET {health.url}/healthz" and verify["http_status"] == 200
    assert systemctl["log"].read_text().splitlines() == ["status nginx", "restart nginx"]
    assert [r.path for r in health.requests] == ["/healthz"]
    audit = [(e["kind"], e["actor"]) for e in body["audit"]]
    assert audit[:4] == [
        ("requested", None),
        ("approval_needed", None),
        ("approved", "a-operator"),
        ("started", None),
    ]
    assert audit[-1] == ("finished", None)


def test_restart_service_rolls_back_when_verification_fails(
    org_a,
    users_a,
    ssh_target,
    restart_service,
    systemctl,
    http_stub,
    deliver_alert,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    health = http_stub(name="nginx-health").set_default(503, body="still down")
    # The spec waits 10 s between the three retries; 1 s keeps the test short and changes nothing else.
    restart_service(("retry_delay_seconds: 10", "retry_delay_seconds: 1"))
    deliver_alert(down_alert(org_a, f"{health.url}/healthz"))
    execution = RunbookExecution.objects.get()
    response = approve(api_client_for, users_a["admin"], org_a, execution, django_capture_on_commit_callbacks)
    body = response.json()
    assert body["status"] == "rolled_back", body
    assert body["status_reason"] == (
        "step 3 (Verify service health) failed: answered 503, expected 200; rolled back 1 step(s)"
    )
    rows = [(s["phase"], s["name"], s["status"], s["attempts"]) for s in body["steps"]]
    assert rows == [
        ("run", "Check current status", "failed", 1),
        ("run", "Graceful restart", "succeeded", 1),
        ("run", "Verify service health", "failed", 4),
        ("rollback", "Graceful restart", "succeeded", 1),
    ]
    assert body["steps"][3]["rendered"] == f"{systemctl['path']} start nginx"
    assert systemctl["log"].read_text().splitlines() == ["status nginx", "restart nginx", "start nginx"]
    assert len(health.requests) == 4
    # A second alert inside the 15-minute cooldown is refused, and the refusal says why.
    deliver_alert(down_alert(org_a, f"{health.url}/healthz"))
    refused = RunbookExecution.objects.exclude(pk=execution.pk).get()
    assert refused.status == "refused" and refused.status_reason.startswith(
        "cooldown: Restart Service last ran on"
    )

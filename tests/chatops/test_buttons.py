"""Buttons on the notifications app's Slack messages: signed clicks, same role checks, idempotent double clicks."""
import itertools
import json
from urllib.parse import urlencode

import pytest

from apps.alerts.models import AlertEvent
from apps.notifications.messages import build_message
from apps.runbooks.models import ExecutionEvent
from tests.alerts.factories import AlertFactory
from tests.runbooks.factories import RunbookExecutionFactory

from .conftest import signed

_ts = itertools.count(1)


@pytest.fixture
def click(client, workspace, response_stub, django_capture_on_commit_callbacks):
    """`click(user_id, action_id, value)`: a signed block_actions payload; returns the response_url body."""
    def send(user_id, action_id, value):
        before = len(response_stub.requests)
        payload = {
            "type": "block_actions", "team": {"id": "T0ACME", "domain": "acme"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0ACME"},
            "api_app_id": "A1", "trigger_id": "1.2.3", "response_url": response_stub.url + "/actions/T0ACME/1/x",
            "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                         "action_ts": f"1700000001.{next(_ts):06d}", "text": {"type": "plain_text", "text": "x"}}],
        }
        with django_capture_on_commit_callbacks(execute=True):
            ack = signed(client, urlencode({"payload": json.dumps(payload)}).encode())
        assert ack.status_code == 200 and ack.content == b""
        reqs = response_stub.wait_for(before + 1)
        response_stub.assert_no_contract_errors()
        return reqs[before].json
    return send


def test_alert_message_gets_resolve_and_silence_buttons_when_a_workspace_exists(org_a, org_b, workspace):
    kwargs = dict(kind="new", event_name="alert.received", subject_key="alert:7",
                  ctx={"title": "Disk full", "severity": "critical", "state": "firing"}, data={})
    ids = [a.action_id for a in build_message(organization_id=org_a.pk, **kwargs).actions if a.action_id]
    assert ids == ["aiops_acknowledge", "aiops_resolve", "aiops_silence", "aiops_view"]
    ids = [a.action_id for a in build_message(organization_id=org_b.pk, **kwargs).actions if a.action_id]
    assert ids == ["aiops_acknowledge"]  # no ChatOps workspace in org B: the message is unchanged
    approval = build_message(kind="new", event_name="runbook.approval_needed", subject_key="execution:5",
                             ctx={"title": "Restart", "url": "http://x/runbooks/executions/5/"}, data={},
                             organization_id=org_a.pk)
    assert [a.action_id for a in approval.actions if a.action_id] == ["aiops_approve", "aiops_reject"]


def test_acknowledge_double_click_is_one_action(click, linked, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    first = click(linked["operator"], "aiops_acknowledge", f"alert:{alert.pk}")
    second = click(linked["operator"], "aiops_acknowledge", f"alert:{alert.pk}")
    assert first["response_type"] == "in_channel" and "acknowledged alert" in first["text"]
    assert "already acknowledged" in second["text"] and second["response_type"] == "ephemeral"
    assert AlertEvent.objects.filter(alert=alert, kind="acknowledged").count() == 1
    alert.refresh_from_db()
    assert alert.acknowledged_by == users_a["operator"]


def test_resolve_and_silence_buttons(click, linked, org_a):
    alert = AlertFactory(organization=org_a)
    click(linked["admin"], "aiops_silence", f"alert:{alert.pk}")
    click(linked["admin"], "aiops_silence", f"alert:{alert.pk}")
    assert AlertEvent.objects.filter(alert=alert, kind="silenced").count() == 1
    click(linked["owner"], "aiops_resolve", f"alert:{alert.pk}")
    again = click(linked["owner"], "aiops_resolve", f"alert:{alert.pk}")
    assert "already resolved" in again["text"]
    assert AlertEvent.objects.filter(alert=alert, kind="resolved").count() == 1


def test_viewer_click_refused_with_reason(click, linked, org_a):
    alert = AlertFactory(organization=org_a)
    reply = click(linked["viewer"], "aiops_resolve", f"alert:{alert.pk}")
    assert reply["response_type"] == "ephemeral"
    assert "you are a viewer in Org A; resolving needs operator" in reply["text"]
    alert.refresh_from_db()
    assert alert.status == "firing"


def test_unlinked_click_gets_link_button(click, org_a):
    alert = AlertFactory(organization=org_a)
    reply = click("UNLINKED", "aiops_acknowledge", f"alert:{alert.pk}")
    assert reply["blocks"][1]["elements"][0]["url"]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_approve_double_click_and_reject_after(click, linked, users_a, org_a):
    execution = RunbookExecutionFactory(organization=org_a, status="pending_approval")
    first = click(linked["operator"], "aiops_approve", f"execution:{execution.pk}")
    second = click(linked["operator"], "aiops_approve", f"execution:{execution.pk}")
    assert "approved runbook execution" in first["text"]
    assert "You already decided" in second["text"]
    late = click(linked["admin"], "aiops_reject", f"execution:{execution.pk}")
    assert "not waiting for approval" in late["text"]
    assert ExecutionEvent.objects.filter(execution=execution, kind="approved").count() == 1
    assert not ExecutionEvent.objects.filter(execution=execution, kind="rejected").exists()


def test_other_org_subject_is_nothing(click, linked, org_b):
    theirs = AlertFactory(organization=org_b)
    reply = click(linked["owner"], "aiops_acknowledge", f"alert:{theirs.pk}")
    assert "nothing to act on" in reply["text"]
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None

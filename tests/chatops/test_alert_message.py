"""Run-runbook and View buttons on the interactive alert message, and channel ↔ team defaults."""
import itertools
import json
from urllib.parse import urlencode

import pytest

from apps.chatops.models import SlackChannel
from apps.incidents.models import Incident
from apps.notifications.messages import build_message
from apps.notifications.providers.slack import blocks_for
from apps.runbooks.models import ExecutionEvent, RunbookExecution
from tests.alerts.factories import AlertFactory
from tests.analysis.factories import AnalysisFactory
from tests.incidents.factories import IncidentFactory
from tests.runbooks.factories import RunbookFactory, SshTargetFactory, simple_definition
from tests.support import slack as contract
from tests.tenancy.factories import TeamFactory

from .conftest import signed

_ts = itertools.count(1)


def approval_runbook(org, name, **kwargs):
    return RunbookFactory(organization=org, name=name, definition=simple_definition(
        name, execution={"mode": "semi_auto"}, triggers=[{"alert_pattern": "DiskFull"}]), **kwargs)


def alert_message(org, alert, state="firing"):
    return build_message(kind="new", event_name="alert.received", subject_key=f"alert:{alert.pk}",
                         ctx={"title": alert.name, "severity": "critical", "state": state,
                              "url": f"http://aiops.test/alerts/{alert.pk}/"},
                         data={}, organization_id=org.pk)


@pytest.fixture
def click(client, workspace, response_stub, django_capture_on_commit_callbacks):
    def send(user_id, action_id, value, channel="C1"):
        before = len(response_stub.requests)
        payload = {
            "type": "block_actions", "team": {"id": "T0ACME"}, "user": {"id": user_id, "username": user_id.lower()},
            "api_app_id": "A1", "trigger_id": "1.2.3", "response_url": response_stub.url + "/actions/T0ACME/1/x",
            "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": channel},
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                         "action_ts": f"1700000001.{next(_ts):06d}"}],
        }
        with django_capture_on_commit_callbacks(execute=True):
            ack = signed(client, urlencode({"payload": json.dumps(payload)}).encode())
        assert ack.status_code == 200
        reqs = response_stub.wait_for(before + 1)
        response_stub.assert_no_contract_errors()
        return reqs[before].json
    return send


def test_alert_message_offers_the_suggested_runbooks_and_view(org_a, workspace):
    alert = AlertFactory(organization=org_a, name="DiskFull")
    named = RunbookFactory(organization=org_a, name="Clean tmp")
    matching = approval_runbook(org_a, "Rotate logs")
    AnalysisFactory(organization=org_a, alert=alert, suggested_runbook={"name": "Clean tmp", "id": named.pk})
    msg = alert_message(org_a, alert)
    actions = [(a.action_id, a.value) for a in msg.actions if a.action_id]
    assert actions == [
        ("aiops_acknowledge", f"alert:{alert.pk}"), ("aiops_resolve", f"alert:{alert.pk}"),
        ("aiops_silence", f"alert:{alert.pk}"),
        ("aiops_run_runbook_0", f"runbook:{named.pk}:alert:{alert.pk}"),
        ("aiops_run_runbook_1", f"runbook:{matching.pk}:alert:{alert.pk}"),
        ("aiops_view", f"alert:{alert.pk}"),
    ]
    assert not any(a.url.endswith("#runbooks") for a in msg.actions)  # the Run buttons replace the link
    contract.message(blocks_for(msg, interactive=True))  # unique action IDs, Block Kit limits
    resolved = [a.action_id for a in alert_message(org_a, alert, state="resolved").actions if a.action_id]
    assert resolved == ["aiops_view"]


def test_run_button_asks_for_a_run_with_the_alert_and_a_double_click_is_one(click, linked, users_a, org_a):
    alert = AlertFactory(organization=org_a, name="DiskFull", labels={"instance": "web-1:9100", "service": "api"})
    SshTargetFactory(organization=org_a, name="web-1", host="web-1")
    runbook = approval_runbook(org_a, "Rotate logs")
    value = f"runbook:{runbook.pk}:alert:{alert.pk}"
    first = click(linked["operator"], "aiops_run_runbook_1", value)
    second = click(linked["operator"], "aiops_run_runbook_1", value)
    assert "waits for approval" in first["text"], first["text"]
    execution = RunbookExecution.objects.get(runbook=runbook)
    assert execution.alert == alert and execution.status == "pending_approval"
    assert execution.requested_by == users_a["operator"] and execution.target.name == "web-1"
    assert first["response_type"] == "in_channel" and "waits for approval" in first["text"]
    assert f"Not run: execution #{execution.pk} of Rotate logs is already" in second["text"]
    assert second["response_type"] == "ephemeral"
    assert ExecutionEvent.objects.filter(execution=execution, kind="requested").count() == 1


def test_run_button_role_check_and_other_orgs(click, linked, org_a, org_b):
    alert = AlertFactory(organization=org_a)
    runbook = approval_runbook(org_a, "Rotate logs")
    reply = click(linked["viewer"], "aiops_run_runbook_0", f"runbook:{runbook.pk}:alert:{alert.pk}")
    assert "you are a viewer in Org A; running a runbook needs operator" in reply["text"]
    theirs = approval_runbook(org_b, "Theirs")
    reply = click(linked["owner"], "aiops_run_runbook_0", f"runbook:{theirs.pk}:alert:{alert.pk}")
    assert f"no runbook '{theirs.pk}' in Org A" in reply["text"]
    reply = click(linked["owner"], "aiops_run_runbook_0", "runbook:1;rm:alert:1")
    assert ":warning:" in reply["text"]
    assert not RunbookExecution.objects.exists()


def test_view_button_shows_the_card_with_the_analysis_to_the_clicker(click, linked, org_a, org_b):
    alert = AlertFactory(organization=org_a, name="DiskFull")
    AnalysisFactory(organization=org_a, alert=alert, root_cause="The log volume filled up.")
    reply = click(linked["viewer"], "aiops_view", f"alert:{alert.pk}")
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert f"Alert {alert.pk}: DiskFull" in reply["text"] and "The log volume filled up." in reply["text"]
    assert reply["blocks"][1]["elements"][0]["url"].endswith(f"/alerts/{alert.pk}/")
    incident = IncidentFactory(organization=org_a, title="Payments down")
    reply = click(linked["viewer"], "aiops_view", f"incident:{incident.pk}")
    assert f"#{incident.number} Payments down" in reply["text"]
    theirs = AlertFactory(organization=org_b)
    assert f"no alert {theirs.pk} in Org A" in click(linked["owner"], "aiops_view", f"alert:{theirs.pk}")["text"]


def test_channel_team_defaults(command, linked, org_a, workspace):
    payments = TeamFactory(organization=org_a, name="Payments")
    IncidentFactory(organization=org_a, team=payments, title="Card auth failing")
    IncidentFactory(organization=org_a, title="Office wifi")
    SlackChannel.objects.create(organization=org_a, workspace=workspace, channel_id="C1", team=payments)
    _, reply = command(linked["viewer"], "incidents")
    assert "Open incidents in Payments (Org A)" in reply["text"]
    assert "Card auth failing" in reply["text"] and "Office wifi" not in reply["text"]
    _, everything = command(linked["viewer"], "incidents all")
    assert "Card auth failing" in everything["text"] and "Office wifi" in everything["text"]
    command(linked["operator"], 'declare "Refunds stuck"')
    assert Incident.objects.get(title="Refunds stuck").team == payments


def test_channel_mapping_must_stay_in_the_organisation(org_a, org_b, workspace):
    from django.core.exceptions import ValidationError

    mapping = SlackChannel(organization=org_a, workspace=workspace, channel_id="C9",
                           team=TeamFactory(organization=org_b))
    with pytest.raises(ValidationError) as err:
        mapping.full_clean()
    assert "team" in err.value.message_dict

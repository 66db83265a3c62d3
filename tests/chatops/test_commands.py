"""Slash commands end to end: signed request → ack → Celery task → response_url, with role checks."""
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.models import AlertEvent
from apps.chatops import commands
from apps.chatops.commands import Actor
from apps.incidents.models import Incident
from tests.alerts.factories import AlertFactory
from tests.incidents.factories import IncidentFactory
from tests.runbooks.factories import RunbookExecutionFactory

WRITES = {"viewer": False, "operator": True, "admin": True, "owner": True}


def test_unlinked_user_gets_a_link_button_and_nothing_else(command, org_a):
    alert = AlertFactory(organization=org_a)
    _, reply = command("UNKNOWN", f"ack {alert.pk}")
    assert reply["response_type"] == "ephemeral"
    [button] = reply["blocks"][1]["elements"]
    assert button["url"].split("/chatops/link/")[1]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_help_and_reads(command, linked, org_a):
    IncidentFactory(organization=org_a, title="Payments failing")
    _, reply = command(linked["viewer"], "help")
    assert "/aiops ack <alert_id>" in reply["blocks"][0]["text"]["text"]
    _, reply = command(linked["viewer"], "incidents")
    assert "Payments failing" in reply["text"]


@pytest.mark.parametrize("role", ["viewer", "operator", "admin", "owner"])
def test_ack_role_check_and_audit(command, linked, users_a, org_a, role):
    alert = AlertFactory(organization=org_a)
    _, reply = command(linked[role], f"ack {alert.pk}")
    alert.refresh_from_db()
    if WRITES[role]:
        assert alert.acknowledged_by == users_a[role]
        assert reply["response_type"] == "in_channel"
        event = AlertEvent.objects.get(alert=alert, kind="acknowledged")
        assert event.source == "chat" and event.actor == users_a[role] and "Slack" in event.note
    else:
        assert alert.acknowledged_at is None
        assert reply["response_type"] == "ephemeral"
        assert "you are a viewer in Org A; acknowledging needs operator" in reply["text"]


@pytest.mark.parametrize("role", ["viewer", "operator", "admin", "owner"])
def test_write_commands_role_checks(linked, users_a, org_a, role):
    """Every write command refuses a viewer with the reason and lets operators and above act."""
    user = users_a[role]
    actor = Actor(organization=org_a, user=user, label=f"@{role}")
    alert = AlertFactory(organization=org_a)
    pending = RunbookExecutionFactory(organization=org_a, status="pending_approval")
    pending2 = RunbookExecutionFactory(organization=org_a, status="pending_approval")
    cases = [
        (f"silence {alert.pk} 2h", "silencing"),
        (f"resolve {alert.pk}", "resolving"),
        ('declare "DB is slow"', "declaring an incident"),
        (f"approve {pending.pk}", "approving a runbook run"),
        (f"reject {pending2.pk} not now", "rejecting a runbook run"),
    ]
    for text, verb in cases:
        reply = commands.run(actor, text)
        if WRITES[role]:
            assert not reply.text.startswith(":warning:"), (text, reply.text)
        else:
            assert f"you are a viewer in Org A; {verb} needs operator" in reply.text, reply.text
    alert.refresh_from_db()
    pending.refresh_from_db()
    pending2.refresh_from_db()
    if WRITES[role]:
        assert alert.status == "resolved" and alert.silenced_until > timezone.now() + timedelta(minutes=100)
        assert Incident.objects.filter(organization=org_a, title="DB is slow").exists()
        assert pending.status == "approved" and pending.decided_by == user
        assert pending2.status == "rejected" and pending2.decision_note == "not now"
    else:
        assert alert.status == "firing" and alert.silenced_until is None
        assert not Incident.objects.filter(organization=org_a, title="DB is slow").exists()
        assert pending.status == "pending_approval" and pending2.status == "pending_approval"


def test_strict_argument_parsing(linked, users_a, org_a):
    actor = Actor(organization=org_a, user=users_a["operator"], label="@op")
    alert = AlertFactory(organization=org_a)
    for text, expected in [
        ("ack", "usage: /aiops ack <alert_id>"),
        ("ack 1 2", "usage: /aiops ack <alert_id>"),
        ("ack 1;rm", "must be a number"),
        (f"silence {alert.pk} forever", "the duration must look like"),
        (f"silence {alert.pk} 0m", "the duration must be between"),
        (f"silence {alert.pk} 9999d", "the duration must be between"),
        ('declare "unbalanced', "unbalanced quotes"),
        ("frobnicate", "unknown command"),
    ]:
        assert expected in commands.run(actor, text).text, text
    alert.refresh_from_db()
    assert alert.silenced_until is None


def test_other_organisations_objects_are_not_found(linked, users_a, org_a, org_b):
    actor = Actor(organization=org_a, user=users_a["owner"], label="@owner")
    theirs = AlertFactory(organization=org_b)
    reply = commands.run(actor, f"ack {theirs.pk}")
    assert f"no alert {theirs.pk} in Org A" in reply.text
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_member_of_another_org_only_is_refused(workspace, users_b, org_a):
    from tests.chatops.factories import ChatIdentityFactory

    ChatIdentityFactory(organization=org_a, workspace=workspace, external_id="UB", user=users_b["owner"])
    from apps.chatops import slack

    actor = slack.actor_for(workspace, "UB", "b")
    assert "you are not a member of Org A" in commands.run(actor, "incidents").text


def test_status_and_oncall(command, linked, org_a, users_a):
    _, reply = command(linked["viewer"], "status")
    assert "Ready" in reply["text"] or "Unavailable" in reply["text"]
    _, reply = command(linked["viewer"], "oncall")
    assert "No on-call schedules" in reply["text"]
    _, reply = command(linked["viewer"], "oncall nosuchteam")
    assert "no on-call schedule for 'nosuchteam'" in reply["text"]


def test_approve_twice_is_one_decision(linked, users_a, org_a):
    execution = RunbookExecutionFactory(organization=org_a, status="pending_approval")
    actor = Actor(organization=org_a, user=users_a["admin"], label="@admin")
    first = commands.run(actor, f"approve {execution.pk}")
    second = commands.run(actor, f"approve {execution.pk}")
    assert "approved runbook execution" in first.text
    assert "You already decided" in second.text
    from apps.runbooks.models import ExecutionEvent

    assert ExecutionEvent.objects.filter(execution=execution, kind="approved").count() == 1

"""Messages for the other event types: AI analysis, runbook approvals and executions, SLA breaches."""

import json

import pytest

from aiops import events

from .conftest import alert_event

pytestmark = pytest.mark.django_db


def runbook_event(name, org, *, status="running", alert=None, **extra):
    return events.build_event(
        name,
        org=org,
        execution_id=501,
        runbook_id=7,
        runbook_name="Restart payment-api",
        status=status,
        alert_id=alert.pk if alert else None,
        team_id=None,
        target="web-1",
        trigger="manual",
        url="http://127.0.0.1:8000/runbooks/executions/501/",
        **extra,
    )


def text_of(req) -> str:
    return json.dumps(req.json, ensure_ascii=False)


def test_analysis_edits_the_alert_message_and_replies_in_its_thread(
    alert_a, slack, slack_bot_channel, rule_for, process
):
    rule_for(slack_bot_channel, trigger_on=["alert_received", "analysis_complete"])
    slack.respond(200, json={"ok": True, "channel": "C1", "ts": "1700000000.000777"})
    process(alert_event(alert_a))
    analysis = events.build_event(
        "analysis.completed",
        org=alert_a.organization_id,
        analysis_id=9,
        status="ok",
        alert_id=alert_a.pk,
        incident_id=None,
        team_id=None,
        root_cause="Connection refused on port 5432.",
        suggested_runbook="Restart PostgreSQL",
        confidence=0.82,
        url="http://127.0.0.1:8000/analysis/9/",
    )
    process(analysis)
    requests = slack.wait_for(3)
    update = next(r for r in requests if r.path == "/api/chat.update")
    reply = [r for r in requests if r.path == "/api/chat.postMessage"][1]
    assert "*AI Analysis:* Connection refused on port 5432." in text_of(update)
    assert "Recommended: Restart PostgreSQL" in text_of(update)
    assert reply.json["thread_ts"] == "1700000000.000777"
    assert reply.json["text"] == "🤖 AI analysis: Database Primary Unreachable"
    assert "View analysis" in text_of(reply)


def test_approval_needed_has_a_review_button(org_a, slack_webhook, make_channel, rule_for, process):
    channel = make_channel("slack", webhook_url=slack_webhook.url + "/hook")
    rule_for(channel, trigger_on=["approval_needed"])
    process(
        runbook_event(
            "runbook.approval_needed", org_a, status="pending_approval", approval_due_at="2030-01-01T00:00:00+00:00"
        )
    )
    [req] = slack_webhook.wait_for(1)
    assert req.json["text"] == "✋ Approval needed: Restart payment-api"
    buttons = [e for a in req.json["attachments"] for b in a["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [
        ("Review and approve", "http://127.0.0.1:8000/runbooks/executions/501/")
    ]


def test_execution_started_then_failed_is_one_conversation(org_a, alert_a, slack, slack_bot_channel, rule_for, process):
    rule_for(slack_bot_channel, trigger_on=["execution_started", "execution_failed"], severity_filter=["critical"])
    process(alert_event(alert_a))  # the alert is known, so the runbook's events inherit its severity
    slack.respond(200, json={"ok": True, "channel": "C9", "ts": "1700000000.000900"})
    process(runbook_event("runbook.execution_started", org_a, alert=alert_a))
    process(runbook_event("runbook.execution_finished", org_a, status="failed", alert=alert_a))
    started, edited, failed = slack.wait_for(3)
    assert started.json["text"] == "▶️ Runbook started: Restart payment-api"
    assert edited.path == "/api/chat.update" and "failed" in text_of(edited)
    assert failed.json["thread_ts"] == "1700000000.000900"
    assert failed.json["text"] == "❌ Runbook failed: Restart payment-api"


def test_runbook_asks_for_its_own_notifications(org_a, pagerduty, pagerduty_channel, process):
    from apps.notifications.models import NotificationDelivery

    process(
        runbook_event(
            "runbook.execution_finished",
            org_a,
            status="failed",
            notifications=[
                {"channel": "pagerduty", "severity": "critical", "message": "Restart of payment-api failed"},
                {"channel": "ops-chat", "message": "no such channel"},
            ],
        )
    )
    [page] = pagerduty.wait_for(1)
    assert page.json["payload"]["severity"] == "critical"
    assert page.json["payload"]["custom_details"]["Details"] == "Restart of payment-api failed"
    missing = NotificationDelivery.objects.get(status="failed")
    assert "ops-chat" in missing.reason


def test_sla_breach(org_a, teams, make_channel, rule_for, process):
    channel = make_channel("teams", webhook_url=teams.url + "/hook")
    rule_for(channel, trigger_on=["sla_breach"])
    process(
        events.build_event(
            "sla.breached",
            org=org_a,
            id=3,
            title="Payments: acknowledge within 5 min",
            sla_name="Payments P1",
            severity="critical",
            url="http://127.0.0.1:8000/sla/3/",
        )
    )
    [req] = teams.wait_for(1)
    card = req.json["attachments"][0]["content"]
    assert card["body"][0]["items"][0]["text"] == "⏰ SLA breached: Payments: acknowledge within 5 min"
    teams.assert_no_contract_errors()

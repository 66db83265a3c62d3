"""The event path end to end: alert events in, provider requests out, every attempt logged."""

import pytest

from apps.notifications.models import NotificationDelivery, NotificationThread

from .conftest import alert_event

pytestmark = pytest.mark.django_db


def _blocks_text(body) -> str:
    parts = [b.get("text", {}).get("text", "") for b in body.get("blocks", [])]
    for attachment in body.get("attachments", []):
        for block in attachment.get("blocks", []):
            parts.append(block.get("text", {}).get("text", ""))
            parts += [f["text"] for f in block.get("fields", [])]
            parts += [
                e["text"]["text"]
                for e in block.get("elements", [])
                if "text" in e and isinstance(e["text"], dict)
            ]
            parts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def test_critical_alert_reaches_slack_pagerduty_and_email(
    alert_a,
    slack,
    slack_bot_channel,
    pagerduty,
    pagerduty_channel,
    email_channel,
    smtp_server,
    rule_for,
    process,
):
    rule_for(slack_bot_channel, pagerduty_channel, email_channel, severity_filter=["critical"])

    process(alert_event(alert_a))

    [post] = slack.wait_for(1)
    assert post.path == "/api/chat.postMessage" and post.json["channel"] == "#incidents"
    text = _blocks_text(post.json)
    assert "🚨 CRITICAL: Database Primary Unreachable" in text
    assert "db-primary.production" in text and "All database operations failing" in text
    assert post.json["attachments"][0]["color"] == "#ff0000"
    buttons = [
        b
        for a in post.json["attachments"]
        for blk in a["blocks"]
        if blk["type"] == "actions"
        for b in blk["elements"]
    ]
    assert [b["text"]["text"] for b in buttons] == ["View Details", "Acknowledge", "Start Runbook"]
    assert buttons[0]["url"].endswith(f"/alerts/{alert_a.pk}/")
    assert buttons[1]["value"] == f"alert:{alert_a.pk}"

    [page] = pagerduty.wait_for(1)
    assert page.json["event_action"] == "trigger"
    assert page.json["dedup_key"] == f"aiops-{alert_a.organization_id}-alert:{alert_a.pk}"
    assert page.json["payload"]["severity"] == "critical"
    assert page.json["payload"]["source"] == "db-primary.production"
    assert "Database Primary Unreachable" in page.json["payload"]["summary"]
    assert page.json["payload"]["custom_details"]["Dashboard"].endswith(f"/alerts/{alert_a.pk}/")

    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["oncall@example.com"]
    assert "CRITICAL: Database Primary Unreachable" in mail.message["Subject"]
    plain = mail.message.get_body(("plain",)).get_content()
    html = mail.message.get_body(("html",)).get_content()
    assert "Instance: db-primary.production" in plain and "db-primary.production" in html

    rows = NotificationDelivery.objects.filter(alert=alert_a)
    assert {(r.channel.kind, r.status) for r in rows} == {
        ("slack", "sent"),
        ("pagerduty", "sent"),
        ("email", "sent"),
    }
    assert all(r.attempts == 1 and r.latency_ms is not None for r in rows)
    slack.assert_no_contract_errors()
    pagerduty.assert_no_contract_errors()


def test_rule_that_does_not_match_sends_nothing(alert_a, slack, slack_bot_channel, rule_for, process):
    rule_for(slack_bot_channel, severity_filter=["warning"])
    process(alert_event(alert_a))
    assert slack.requests == []
    assert not NotificationDelivery.objects.exists()


def test_redelivered_event_is_sent_once(alert_a, slack, slack_bot_channel, rule_for, process):
    rule_for(slack_bot_channel)
    event = alert_event(alert_a)
    assert process(event) is True
    assert process(event) is False
    assert len(slack.requests) == 1
    assert NotificationDelivery.objects.count() == 1


def test_acknowledgment_edits_slack_and_acknowledges_pagerduty(
    alert_a, slack, slack_bot_channel, pagerduty, pagerduty_channel, rule_for, process, users_a
):
    from apps.alerts.services import alert_acknowledge

    rule_for(slack_bot_channel, pagerduty_channel)
    slack.respond(200, json={"ok": True, "channel": "C42", "ts": "1700000000.424242"})
    process(alert_event(alert_a))
    user = users_a["operator"]
    user.first_name, user.last_name = "John", "Smith"
    user.save()
    alert_acknowledge(alert=alert_a, user=user)

    process(alert_event(alert_a, "alert.acknowledged", actor=user, source="web"))

    update = slack.wait_for(2)[1]
    assert update.path == "/api/chat.update"
    assert update.json["channel"] == "C42" and update.json["ts"] == "1700000000.424242"
    assert "Acknowledged by John Smith" in _blocks_text(update.json)
    assert "Acknowledge" not in [
        e["text"]["text"]
        for a in update.json["attachments"]
        for b in a["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    ack = pagerduty.wait_for(2)[1].json
    assert ack["event_action"] == "acknowledge"
    assert ack["dedup_key"] == pagerduty.requests[0].json["dedup_key"]
    assert set(NotificationDelivery.objects.filter(kind="acknowledge").values_list("status", flat=True)) == {
        "sent"
    }


def test_resolution_resolves_pagerduty(alert_a, pagerduty, pagerduty_channel, rule_for, process, users_a):
    from apps.alerts.services import alert_resolve

    rule_for(pagerduty_channel)
    process(alert_event(alert_a))
    alert_resolve(alert=alert_a, user=users_a["operator"])
    process(alert_event(alert_a, "alert.resolved"))
    actions = [r.json["event_action"] for r in pagerduty.wait_for(2)]
    assert actions == ["trigger", "resolve"]
    assert len({r.json["dedup_key"] for r in pagerduty.requests}) == 1
    assert (
        NotificationThread.objects.get().provider_ref["dedup_key"] == pagerduty.requests[0].json["dedup_key"]
    )


def test_a_month_old_event_still_records_its_delivery(alert_a, slack, slack_bot_channel, rule_for, process):
    """The latency column holds ~24.8 days of milliseconds; an older event (a replay, a late
    digest) is clamped instead of failing the row's check constraint and losing the outcome."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.notifications.services.dispatch import LATENCY_MS_MAX

    rule_for(slack_bot_channel)
    event = alert_event(alert_a)
    event["occurred_at"] = (timezone.now() - timedelta(days=30)).isoformat()
    process(event)
    slack.wait_for(1)
    [row] = NotificationDelivery.objects.filter(alert=alert_a)
    assert row.status == "sent" and row.latency_ms == LATENCY_MS_MAX

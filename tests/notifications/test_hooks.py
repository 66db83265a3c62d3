"""Acknowledging from Slack's button and from PagerDuty stops escalations like the portal does."""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from apps.alerts.models import AlertEvent
from apps.notifications import services
from apps.notifications.models import Escalation

from .conftest import alert_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalating(
    org_a, alert_a, make_channel, http_stub, rule_for, process, slack_bot_channel, pagerduty_channel
):
    backup = http_stub(name="backup")
    policy = services.escalation_policy_save(
        organization=org_a,
        name="p",
        levels=[{"delay_minutes": 15, "channels": [make_channel("webhook", url=backup.url + "/b")]}],
    )
    rule_for(slack_bot_channel, pagerduty_channel, escalate=True, escalation_policy=policy)
    process(alert_event(alert_a))
    assert Escalation.objects.get().status == "active"
    return policy


def slack_request(client, channel, payload, *, secret="slack-signing-secret", timestamp=None):
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(timestamp or int(time.time()))
    signature = (
        "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    )
    return client.post(
        reverse("slack-interaction", args=[channel.pk]),
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=timestamp,
        HTTP_X_SLACK_SIGNATURE=signature,
    )


def button(value):
    return {
        "type": "block_actions",
        "user": {"id": "U1", "username": "john", "name": "john"},
        "actions": [{"action_id": "aiops_acknowledge", "value": value, "type": "button"}],
    }


def test_slack_button_acknowledges_and_stops_the_escalation(
    client, alert_a, escalating, slack, slack_bot_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = slack_request(client, slack_bot_channel, button(f"alert:{alert_a.pk}"))
    assert response.status_code == 200
    alert_a.refresh_from_db()
    assert alert_a.acknowledged_at is not None
    assert AlertEvent.objects.get(alert=alert_a, kind="acknowledged").source == "chat"
    assert Escalation.objects.get().status == "acknowledged"
    update = [r for r in slack.requests if r.path == "/api/chat.update"][-1]
    assert "Acknowledged by @john (Slack)" in json.dumps(update.json, ensure_ascii=False)


def test_slack_request_with_a_bad_signature_is_refused(client, alert_a, escalating, slack_bot_channel):
    assert (
        slack_request(client, slack_bot_channel, button(f"alert:{alert_a.pk}"), secret="wrong").status_code
        == 403
    )
    stale = int(time.time()) - 3600
    assert (
        slack_request(client, slack_bot_channel, button(f"alert:{alert_a.pk}"), timestamp=stale).status_code
        == 403
    )
    alert_a.refresh_from_db()
    assert alert_a.acknowledged_at is None and Escalation.objects.get().status == "active"


def test_slack_button_cannot_reach_another_organisation(client, org_b, alert_a, escalating, make_channel):
    foreign = make_channel(
        "slack",
        organization=org_b,
        webhook_url="https://hooks.example.com/x",
        signing_secret="slack-signing-secret",
    )
    assert slack_request(client, foreign, button(f"alert:{alert_a.pk}")).status_code == 200
    alert_a.refresh_from_db()
    assert alert_a.acknowledged_at is None


def pagerduty_request(client, channel, event, *, secret="pd-webhook-secret"):
    body = json.dumps({"event": event}).encode()
    signature = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        reverse("pagerduty-webhook", args=[channel.pk]),
        data=body,
        content_type="application/json",
        HTTP_X_PAGERDUTY_SIGNATURE=f"v1=deadbeef,{signature}",
    )


def test_pagerduty_acknowledgment_comes_back(
    client, alert_a, escalating, pagerduty, pagerduty_channel, django_capture_on_commit_callbacks
):
    dedup_key = pagerduty.wait_for(1)[0].json["dedup_key"]
    event = {
        "id": "01",
        "event_type": "incident.acknowledged",
        "resource_type": "incident",
        "agent": {"summary": "Jane Oncall", "type": "user_reference"},
        "data": {"id": "PGR0VU2", "type": "incident", "incident_key": dedup_key, "status": "acknowledged"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = pagerduty_request(client, pagerduty_channel, event)
    assert response.status_code == 200 and response.json() == {"acknowledged": 1}
    alert_a.refresh_from_db()
    assert alert_a.acknowledged_at is not None
    assert AlertEvent.objects.get(alert=alert_a, kind="acknowledged").source == "integration"
    assert Escalation.objects.get().status == "acknowledged"


def test_pagerduty_webhook_checks_signature_and_ignores_strangers(
    client, alert_a, escalating, pagerduty_channel
):
    event = {"event_type": "incident.acknowledged", "data": {"incident_key": "unknown"}}
    assert pagerduty_request(client, pagerduty_channel, event, secret="wrong").status_code == 403
    assert pagerduty_request(client, pagerduty_channel, event).json() == {"ignored": "unknown incident_key"}
    other = {"event_type": "incident.priority_updated", "data": {}}
    assert pagerduty_request(client, pagerduty_channel, other).json() == {
        "ignored": "incident.priority_updated"
    }
    response = client.post(
        reverse("pagerduty-webhook", args=[pagerduty_channel.pk]),
        data=b"{",
        content_type="application/json",
        HTTP_X_PAGERDUTY_SIGNATURE="v1=" + hmac.new(b"pd-webhook-secret", b"{", hashlib.sha256).hexdigest(),
    )
    assert response.status_code == 400
    alert_a.refresh_from_db()
    assert alert_a.acknowledged_at is None

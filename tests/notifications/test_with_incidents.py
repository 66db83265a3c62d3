"""Against the real apps: Alertmanager webhook → alerts → correlation engine → notifications.

Every subscriber runs (eagerly, after each commit), so the incident events the notifier groups by
are the incidents app's own, not hand-made ones.
"""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.notifications.models import NotificationDelivery, NotificationThread, NotificationTimer
from tests.alerts.factories import IntegrationFactory

from .payloads import alertmanager_storm

pytestmark = pytest.mark.django_db(transaction=True)


def test_fourteen_alert_storm_through_the_correlation_engine(client, org_a, slack, slack_bot_channel, rule_for):
    rule_for(slack_bot_channel, grouping="per_incident", severity_filter=["critical"])
    integration = IntegrationFactory(organization=org_a)
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})

    body = alertmanager_storm(
        14,
        starts_at=timezone.now() - timedelta(seconds=30),
        alertname="DatabaseConnectionsFailing",
        service=lambda i: "database",
        summary=lambda i: f"Connections to the database failing from client {i}",
    )
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 202, response.content

    assert Alert.objects.count() == 14
    posts = [r for r in slack.requests if r.path == "/api/chat.postMessage"]
    assert len(posts) == 1, [r.json["text"] for r in posts]
    assert "Incident #1" in posts[0].json["text"]
    [thread] = NotificationThread.objects.all()
    assert thread.subject.kind == "incident"
    final = json.dumps(slack.requests[-1].json, ensure_ascii=False)
    assert "*Alerts:*\\n14" in final
    assert not NotificationTimer.objects.filter(kind="group_wait", fired_at__isnull=True).exists()
    assert NotificationDelivery.objects.filter(kind="new").count() == 1
    slack.assert_no_contract_errors()

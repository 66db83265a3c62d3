"""Portal pages: read-only settings and log, buttons for test/retry/cancel/snooze, history panels."""

import pytest
from django.urls import reverse

from apps.notifications.models import Escalation, NotificationDelivery, Snooze

from .conftest import alert_event
from .factories import EscalationFactory, NotificationDeliveryFactory, NotificationRuleFactory, SnoozeFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "notifications:index",
    "notifications:channels",
    "notifications:rules",
    "notifications:policies",
    "notifications:escalations",
    "notifications:snoozes",
]


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_for_a_viewer_and_show_only_the_organisation(name, client, users_a, org_a, org_b):
    NotificationDeliveryFactory(organization=org_a, title="ours-delivery")
    NotificationDeliveryFactory(organization=org_b, title="theirs-delivery")
    NotificationRuleFactory(organization=org_b, name="theirs-rule")
    client.force_login(users_a["viewer"])
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert "theirs-" not in html
    assert "Add a channel" not in html  # editing is for admins (in the admin)


def test_log_filters(client, users_a, org_a):
    NotificationDeliveryFactory(organization=org_a, title="was sent", status="sent")
    NotificationDeliveryFactory(organization=org_a, title="has failed", status="failed")
    client.force_login(users_a["viewer"])
    html = client.get(reverse("notifications:index"), {"status": "failed"}).content.decode()
    assert "has failed" in html and "was sent" not in html


def test_admin_sends_a_test_from_the_channel_list(client, users_a, slack, slack_bot_channel):
    client.force_login(users_a["admin"])
    page = client.get(reverse("notifications:channels")).content.decode()
    assert "Send test notification" in page and "bot → #incidents" in page
    response = client.post(
        reverse("notifications:channel-test", args=[slack_bot_channel.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Sent" in response.content.decode()
    assert len(slack.requests) == 1
    client.force_login(users_a["operator"])
    assert client.post(reverse("notifications:channel-test", args=[slack_bot_channel.pk])).status_code == 403


def test_operator_cancels_an_escalation_and_ends_a_snooze(client, users_a, org_a, org_b):
    escalation = EscalationFactory(organization=org_a)
    snooze = SnoozeFactory(organization=org_a)
    foreign = EscalationFactory(organization=org_b)
    client.force_login(users_a["operator"])
    assert client.post(reverse("notifications:escalation-cancel", args=[escalation.pk])).status_code == 302
    assert Escalation.objects.get(pk=escalation.pk).status == "cancelled"
    assert client.post(reverse("notifications:snooze-end", args=[snooze.pk])).status_code == 302
    snooze.refresh_from_db()
    assert snooze.until <= snooze.updated_at
    assert client.post(reverse("notifications:escalation-cancel", args=[foreign.pk])).status_code == 404
    client.force_login(users_a["viewer"])
    assert client.post(reverse("notifications:snooze-end", args=[snooze.pk])).status_code == 403


def test_alert_page_shows_notification_history_and_snoozes_its_pattern(
    client, users_a, alert_a, slack, slack_bot_channel, rule_for, process
):
    rule_for(slack_bot_channel)
    process(alert_event(alert_a))
    client.force_login(users_a["operator"])
    html = client.get(reverse("alerts:detail", args=[alert_a.pk])).content.decode()
    assert 'id="notifications-panel"' in html and slack_bot_channel.name in html and "Sent" in html
    response = client.post(
        reverse("notifications:alert-snooze", args=[alert_a.pk]),
        {"minutes": "240", "reason": "DB failover drill"},
    )
    assert response.status_code == 302
    snooze = Snooze.objects.get()
    assert snooze.alert_name_pattern == "DatabaseDown" and snooze.services == ["database"]
    assert snooze.reason == "DB failover drill" and snooze.created_by == users_a["operator"]


def test_delivery_detail_and_retry(client, users_a, org_a, make_channel, http_stub):
    hook = http_stub(name="hook")
    failed = NotificationDeliveryFactory(
        organization=org_a,
        status="failed",
        response="HTTP 500 body",
        channel=make_channel("webhook", url=hook.url + "/x"),
    )
    client.force_login(users_a["operator"])
    page = client.get(reverse("notifications:delivery", args=[failed.pk])).content.decode()
    assert "HTTP 500 body" in page and "Send again" in page
    assert client.post(reverse("notifications:delivery-retry", args=[failed.pk])).status_code == 302
    assert NotificationDelivery.objects.get(pk=failed.pk).status in ("pending", "sent")


def test_dashboard_card_shows_failures_and_escalations(client, users_a, org_a, org_b):
    NotificationDeliveryFactory(organization=org_a, status="failed")
    NotificationDeliveryFactory(organization=org_b, status="failed")
    EscalationFactory(organization=org_a, subject__title="DB down")
    client.force_login(users_a["viewer"])
    html = client.get(reverse("dashboard")).content.decode()
    card = html[html.index('id="panel-notifications"') :]
    assert '?status=failed">1</a>' in card and "1 escalation running" in card and "DB down" in card


def test_incident_page_shows_its_notification_history(client, users_a, org_a):
    from tests.incidents.factories import IncidentFactory

    incident = IncidentFactory(organization=org_a)
    NotificationDeliveryFactory(organization=org_a, incident_id=incident.pk, title="incident page delivery")
    NotificationDeliveryFactory(organization=org_a, incident_id=incident.pk + 1000, title="another incident")
    client.force_login(users_a["viewer"])
    html = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'id="notifications-panel"' in html
    assert "incident page delivery" in html and "another incident" not in html

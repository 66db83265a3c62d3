"""The admin is where channels, rules and policies are edited: forms validate like the API."""

import json

import pytest
from django.urls import reverse

from apps.notifications.models import EscalationPolicy, NotificationChannel, NotificationDelivery, NotificationRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, users_a):
    user = users_a["admin"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["notificationchannel", "notificationrule", "escalationpolicy", "snooze"])
def test_add_forms_render(admin_client, model):
    assert admin_client.get(reverse(f"admin:notifications_{model}_add")).status_code == 200


def test_channel_config_is_validated_write_only_and_merged(admin_client, org_a):
    url = reverse("admin:notifications_notificationchannel_add")
    bad = admin_client.post(url, {"name": "pd", "kind": "pagerduty", "config": "{}", "enabled": "on"})
    assert bad.status_code == 200 and "routing_key" in bad.content.decode()
    ok = admin_client.post(
        url, {"name": "pd", "kind": "pagerduty", "config": json.dumps({"routing_key": "s3cret"}), "enabled": "on"}
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    channel = NotificationChannel.objects.get()
    assert channel.organization == org_a and channel.config == {"routing_key": "s3cret"}
    change = reverse("admin:notifications_notificationchannel_change", args=[channel.pk])
    assert "s3cret" not in admin_client.get(change).content.decode()
    admin_client.post(change, {"name": "pd renamed", "kind": "pagerduty", "config": "", "enabled": "on"})
    channel.refresh_from_db()
    assert channel.name == "pd renamed" and channel.config == {"routing_key": "s3cret"}


def test_rule_form_refuses_a_bad_regex(admin_client):
    url = reverse("admin:notifications_notificationrule_add")
    data = {
        "name": "r",
        "priority": "100",
        "trigger_on": '["alert_received"]',
        "severity_filter": "[]",
        "alert_name_pattern": "(",
        "alert_name_mode": "regex",
        "label_matchers": "[]",
        "services": "[]",
        "active_days": "[]",
        "timezone": "UTC",
        "grouping": "per_alert",
        "rate_limit_window_minutes": "60",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "Invalid regular expression" in response.content.decode()
    data["alert_name_pattern"] = "Database.*"
    assert admin_client.post(url, data).status_code == 302
    assert NotificationRule.objects.get().alert_name_pattern == "Database.*"


def test_policy_with_inline_levels(admin_client, org_a, make_channel):
    channel = make_channel("webhook", url="https://example.com/x")
    url = reverse("admin:notifications_escalationpolicy_add")
    data = {
        "name": "On-call",
        "is_default": "on",
        "levels-TOTAL_FORMS": "1",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "1000",
        "levels-0-position": "1",
        "levels-0-delay_minutes": "15",
        "levels-0-channels": [str(channel.pk)],
        "levels-0-repeat_count": "0",
        "levels-0-repeat_interval_minutes": "5",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = EscalationPolicy.objects.get()
    assert policy.is_default and policy.organization == org_a
    [level] = policy.levels.all()
    assert level.organization == org_a and list(level.channels.all()) == [channel]


def test_send_test_action(admin_client, slack, slack_bot_channel):
    response = admin_client.post(
        reverse("admin:notifications_notificationchannel_changelist"),
        {"action": "send_test", "_selected_action": [slack_bot_channel.pk]},
        follow=True,
    )
    assert response.status_code == 200 and len(slack.requests) == 1
    assert NotificationDelivery.objects.get().kind == "test"

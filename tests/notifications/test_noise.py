"""Noise control: per-pattern rate limits with a digest, snoozes and silences — logged, never silent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.services import alert_silence
from apps.notifications import services
from apps.notifications.models import NotificationDelivery, NotificationTimer
from tests.alerts.factories import AlertFactory

from .conftest import alert_event

pytestmark = pytest.mark.django_db


def test_rate_limit_per_pattern_then_one_digest(
    org_a, slack_webhook, make_channel, rule_for, process, fire_timers
):
    channel = make_channel("slack", webhook_url=slack_webhook.url + "/hook")
    rule_for(channel, rate_limit_count=3, rate_limit_window_minutes=60)
    flapping = [
        AlertFactory(organization=org_a, name="DiskFull", service="storage", summary=f"disk {i}")
        for i in range(5)
    ]
    other = AlertFactory(organization=org_a, name="HighLatency", service="api")
    for alert in [*flapping, other]:
        process(alert_event(alert))

    assert len(slack_webhook.wait_for(4)) == 4  # 3 of the pattern + the other pattern
    limited = NotificationDelivery.objects.filter(status="rate_limited")
    assert limited.count() == 2 and {d.pattern_key for d in limited} == {"DiskFull|storage"}
    assert "limit 3" in limited.first().reason
    [timer] = NotificationTimer.objects.filter(kind="digest", fired_at__isnull=True)
    assert timer.due_at > timezone.now() + timedelta(minutes=59)

    fire_timers(timer.due_at)
    digest = slack_webhook.wait_for(5)[4].json
    assert digest["text"] == "🔕 2 notifications held back: DiskFull|storage"
    assert NotificationDelivery.objects.get(kind="digest").status == "sent"


def test_rate_limit_window_slides(org_a, slack_webhook, make_channel, rule_for, process):
    channel = make_channel("slack", webhook_url=slack_webhook.url + "/hook")
    rule_for(channel, rate_limit_count=1, rate_limit_window_minutes=10)
    process(alert_event(AlertFactory(organization=org_a, name="DiskFull", service="storage")))
    NotificationDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    process(alert_event(AlertFactory(organization=org_a, name="DiskFull", service="storage")))
    assert len(slack_webhook.wait_for(2)) == 2
    assert not NotificationDelivery.objects.filter(status="rate_limited").exists()


def test_the_default_limit_is_ten_per_hour_per_pattern(org_a, slack_webhook, make_channel, rule_for, process):
    channel = make_channel("slack", webhook_url=slack_webhook.url + "/hook")
    rule = rule_for(channel)
    assert (rule.rate_limit_count, rule.rate_limit_window_minutes) == (10, 60)
    for _ in range(12):
        process(alert_event(AlertFactory(organization=org_a, name="Flap", service="web")))
    assert NotificationDelivery.objects.filter(status="sent").count() == 10
    assert NotificationDelivery.objects.filter(status="rate_limited").count() == 2


def test_snoozed_pattern_is_logged_as_suppressed(
    org_a, alert_a, slack, slack_bot_channel, rule_for, process, users_a
):
    rule_for(slack_bot_channel, escalate=True)
    snooze = services.snooze_create(
        organization=org_a,
        until=timezone.now() + timedelta(hours=1),
        alert_name_pattern="Database*",
        reason="DB migration",
        created_by=users_a["operator"],
    )
    process(alert_event(alert_a))
    assert slack.requests == []
    [row] = NotificationDelivery.objects.all()
    assert row.status == "suppressed" and "DB migration" in row.reason

    services.snooze_end(snooze=snooze)
    process(alert_event(AlertFactory(organization=org_a, name="DatabaseDown", service="database")))
    assert len(slack.wait_for(1)) == 1


def test_snooze_can_target_labels_and_one_rule(
    org_a, alert_a, slack_webhook, make_channel, rule_for, process
):
    a = make_channel("slack", webhook_url=slack_webhook.url + "/a")
    b = make_channel("slack", webhook_url=slack_webhook.url + "/b")
    rule_a, _rule_b = rule_for(a), rule_for(b)
    services.snooze_create(
        organization=org_a,
        until=timezone.now() + timedelta(hours=1),
        rule=rule_a,
        label_matchers=[{"label": "env", "op": "glob", "value": "prod*"}],
    )
    process(alert_event(alert_a))
    assert [r.path for r in slack_webhook.wait_for(1)] == ["/b"]
    assert NotificationDelivery.objects.get(rule=rule_a).status == "suppressed"


def test_silenced_alert_is_suppressed(alert_a, slack, slack_bot_channel, rule_for, process, users_a):
    rule_for(slack_bot_channel)
    alert_silence(alert=alert_a, user=users_a["operator"], until=timezone.now() + timedelta(hours=2))
    process(alert_event(alert_a))
    assert slack.requests == []
    assert NotificationDelivery.objects.get().reason.startswith("alert silenced until")


def test_snooze_needs_a_condition_and_a_future_end(org_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.snooze_create(organization=org_a, until=timezone.now() - timedelta(minutes=1))
    assert set(exc.value.message_dict) == {"until", "alert_name_pattern"}

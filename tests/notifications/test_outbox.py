"""Faults: a provider that fails, times out, rate-limits or a worker that dies loses nothing."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.services import alert_acknowledge
from apps.notifications import services
from apps.notifications.models import NotificationChannel, NotificationDelivery

from .conftest import alert_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_retries(settings):
    # Long enough that the eager re-enqueue finds the retry not yet due, short enough to wait for.
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0.1
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 0.1
    settings.NOTIFICATIONS_OUTBOX_GRACE_SECONDS = 0
    return settings


@pytest.fixture
def rescan(django_capture_on_commit_callbacks):
    def run(now=None):
        time.sleep(0.15)  # past the (shortened) backoff
        with django_capture_on_commit_callbacks(execute=True):
            return services.outbox_rescan(now=now)

    return run


@pytest.fixture
def hook(http_stub, make_channel, rule_for):
    stub = http_stub(name="webhook")
    stub.channel = make_channel("webhook", url=stub.url + "/in")
    rule_for(stub.channel)
    return stub


def test_provider_500_then_recovers_is_delivered_once(alert_a, hook, process, rescan, fast_retries):
    hook.respond(500, body="upstream exploded")
    process(alert_event(alert_a))
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "HTTP 500" in delivery.reason and delivery.response == "upstream exploded"

    assert rescan() == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    assert [r.method for r in hook.requests] == ["POST", "POST"]
    assert rescan() == 0 and len(hook.requests) == 2


def test_provider_down_for_a_while_loses_nothing(alert_a, hook, process, rescan, fast_retries):
    for _ in range(6):
        hook.respond(503, body="maintenance")
    process(alert_event(alert_a))
    for _ in range(10):
        rescan()
        if NotificationDelivery.objects.get().status == "sent":
            break
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == "sent" and delivery.attempts == 7
    assert sum(1 for r in hook.requests) == 7


def test_timeout_is_retried(alert_a, hook, process, rescan, fast_retries, settings):
    settings.NOTIFICATIONS_SEND_TIMEOUT = 0.3
    hook.respond(200, json={}, delay=1.0)
    process(alert_event(alert_a))
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == "pending" and delivery.reason.startswith("attempt 1 failed")
    assert delivery.duration_ms >= 300
    rescan()
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2


def test_final_failure_is_visible(alert_a, hook, process, rescan, fast_retries, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    hook.set_default(502, body="x" * 5000)
    process(alert_event(alert_a))
    for _ in range(4):
        rescan()
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.reason.startswith("attempt 3 failed") and len(delivery.response) == 2000
    assert len(hook.requests) == 3


def test_permanent_error_fails_at_once(alert_a, hook, process):
    hook.respond(404, body="no such hook")
    process(alert_event(alert_a))
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1 and delivery.response == "no such hook"


def test_retry_by_hand_after_a_fix(alert_a, hook, process, users_a, django_capture_on_commit_callbacks):
    hook.respond(404, body="no such hook")
    process(alert_event(alert_a))
    delivery = NotificationDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_retry(delivery=delivery, user=users_a["operator"])
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1


def test_slack_429_pauses_only_that_channel(alert_a, slack, slack_bot_channel, hook, rule_for, process):
    rule_for(slack_bot_channel)
    slack.respond(429, json={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "30"})
    before = timezone.now()
    process(alert_event(alert_a))
    assert len(hook.wait_for(1)) == 1  # the other channel was not held up
    slack_row = NotificationDelivery.objects.get(channel=slack_bot_channel)
    assert slack_row.status == "pending"
    assert slack_row.next_attempt_at >= before + timedelta(seconds=30)
    paused = NotificationChannel.objects.get(pk=slack_bot_channel.pk).paused_until
    assert paused >= before + timedelta(seconds=30)

    # Another message for the paused channel waits for the pause without spending an attempt.
    from tests.alerts.factories import AlertFactory

    process(alert_event(AlertFactory(organization=alert_a.organization, name="Other", service="x")))
    second = NotificationDelivery.objects.filter(channel=slack_bot_channel).latest("pk")
    assert second.status == "pending" and second.attempts == 0 and "paused" in second.reason
    assert len(slack.requests) == 1

    after_pause = paused + timedelta(seconds=5)  # past the pause and its jitter
    for row in (slack_row, second):
        assert services.delivery_send(delivery_id=row.pk, now=after_pause) == "sent"


def test_decision_committed_but_send_lost_is_delivered_by_the_rescan(
    alert_a, hook, settings, django_capture_on_commit_callbacks
):
    # The decision commits, but its on-commit enqueue never runs: the worker died right after.
    services.event_process(event=alert_event(alert_a))
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == "pending" and hook.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_rescan(now=timezone.now()) == 0  # still within the grace period
        assert services.outbox_rescan(now=timezone.now() + timedelta(seconds=120)) == 1
    assert len(hook.wait_for(1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_worker_dying_mid_send_is_retried_after_the_lease(
    alert_a, hook, settings, django_capture_on_commit_callbacks
):
    services.event_process(event=alert_event(alert_a))
    delivery = NotificationDelivery.objects.get()
    from apps.notifications.services.dispatch import _claim

    assert _claim(delivery.pk, timezone.now())  # a worker took it ... and was killed
    assert services.delivery_send(delivery_id=delivery.pk) == "skipped"  # nobody else sends it meanwhile
    later = timezone.now() + timedelta(
        seconds=settings.NOTIFICATIONS_LEASE_SECONDS + 1
        if hasattr(settings, "NOTIFICATIONS_LEASE_SECONDS")
        else 121
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_rescan(now=later) == 1
    assert services.delivery_send(delivery_id=delivery.pk, now=later) == "sent"
    assert len(hook.requests) == 1


def test_edit_waits_for_the_message_it_edits(alert_a, slack, slack_bot_channel, rule_for, process, users_a):
    rule_for(slack_bot_channel)
    slack.respond(500, body="")
    process(alert_event(alert_a))
    original = NotificationDelivery.objects.get()
    assert original.status == "pending"
    alert_acknowledge(alert=alert_a, user=users_a["operator"])
    process(alert_event(alert_a, "alert.acknowledged", actor=users_a["operator"]))
    ack = NotificationDelivery.objects.get(kind="acknowledge")
    assert ack.status == "pending" and "waiting for delivery" in ack.reason and ack.attempts == 0
    later = timezone.now() + timedelta(minutes=10)
    assert services.delivery_send(delivery_id=original.pk, now=later) == "sent"
    assert services.delivery_send(delivery_id=ack.pk, now=later) == "sent"
    assert [r.path for r in slack.requests] == [
        "/api/chat.postMessage",
        "/api/chat.postMessage",
        "/api/chat.update",
    ]

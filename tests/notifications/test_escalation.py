"""Escalation policies: levels fire on schedule from a snapshot, and acknowledgment stops them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.services import alert_acknowledge, alert_resolve
from apps.notifications import services
from apps.notifications.models import Escalation, NotificationDelivery, NotificationTimer

from .conftest import alert_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def brief_policy(
    org_a, make_channel, pagerduty, pagerduty_channel, slack, slack_bot_channel, email_channel, teams
):
    """The brief's example: on-call (0 min), backup (15), team lead (30), manager (60)."""
    manager = make_channel("teams", webhook_url=teams.url + "/manager")
    return services.escalation_policy_save(
        organization=org_a,
        name="Database on-call",
        levels=[
            {"delay_minutes": 0, "channels": [pagerduty_channel]},
            {"delay_minutes": 15, "channels": [slack_bot_channel]},
            {"delay_minutes": 30, "channels": [email_channel]},
            {"delay_minutes": 60, "channels": [manager]},
        ],
    )


def _levels_fired():
    return list(
        NotificationDelivery.objects.filter(status="escalated").order_by("pk").values_list("level", flat=True)
    )


def test_levels_fire_on_schedule_until_acknowledged(
    alert_a, brief_policy, rule_for, process, fire_timers, pagerduty, slack, smtp_server, teams, users_a
):
    rule_for(escalate=True, escalation_policy=brief_policy)
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    assert _levels_fired() == [1]
    assert pagerduty.wait_for(1)[0].json["event_action"] == "trigger"

    fire_timers(t0 + timedelta(minutes=14, seconds=59))
    assert _levels_fired() == [1] and slack.requests == []
    fire_timers(t0 + timedelta(minutes=15))
    assert _levels_fired() == [1, 2]
    [post] = slack.wait_for(1)
    assert "Escalation level 2" in post.json["text"]
    fire_timers(t0 + timedelta(minutes=30))
    assert _levels_fired() == [1, 2, 3]
    assert "Escalation level 3" in smtp_server.wait_for(1)[0].message["Subject"]

    alert_acknowledge(alert=alert_a, user=users_a["operator"])
    process(
        alert_event(alert_a, "alert.acknowledged", actor=users_a["operator"]), now=t0 + timedelta(minutes=31)
    )
    escalation = Escalation.objects.get()
    assert escalation.status == "acknowledged" and "a-operator" in escalation.stopped_reason
    fire_timers(t0 + timedelta(hours=3))
    assert _levels_fired() == [1, 2, 3]
    assert teams.requests == [] or all("manager" not in r.path for r in teams.requests)
    assert not NotificationTimer.objects.filter(fired_at__isnull=True).exists()
    # The PagerDuty incident the escalation opened is acknowledged too.
    assert [r.json["event_action"] for r in pagerduty.requests] == ["trigger", "acknowledge"]


def test_every_level_fires_and_then_the_escalation_is_exhausted(
    alert_a, brief_policy, rule_for, process, fire_timers, teams
):
    rule_for(escalate=True, escalation_policy=brief_policy)
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    fire_timers(t0 + timedelta(minutes=61))  # a late beat fires the overdue levels in order
    assert _levels_fired() == [1, 2, 3, 4]
    assert teams.wait_for(1)[0].path == "/manager"
    assert Escalation.objects.get().status == "exhausted"


def test_a_running_escalation_keeps_its_snapshot(alert_a, brief_policy, rule_for, process, fire_timers):
    rule_for(escalate=True, escalation_policy=brief_policy)
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    services.escalation_policy_save(
        organization=alert_a.organization,
        name="changed",
        policy=brief_policy,
        levels=[{"delay_minutes": 0, "channels": list(brief_policy.levels.first().channels.all())}],
    )
    fire_timers(t0 + timedelta(minutes=15))
    assert _levels_fired() == [1, 2]
    assert Escalation.objects.get().policy_name == "Database on-call"


def test_repeats_until_the_next_level(
    org_a, alert_a, make_channel, http_stub, rule_for, process, fire_timers
):
    hook = http_stub(name="pager")
    a = make_channel("webhook", url=hook.url + "/level1")
    b = make_channel("webhook", url=hook.url + "/level2")
    policy = services.escalation_policy_save(
        organization=org_a,
        name="repeat",
        levels=[
            {"delay_minutes": 0, "channels": [a], "repeat_count": 5, "repeat_interval_minutes": 5},
            {"delay_minutes": 12, "channels": [b]},
        ],
    )
    rule_for(escalate=True, escalation_policy=policy)
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    for minute in (5, 10, 12, 20):
        fire_timers(t0 + timedelta(minutes=minute))
    assert [r.path for r in hook.wait_for(4)] == ["/level1", "/level1", "/level1", "/level2"]


def test_default_policy_and_stale_timer(
    org_a, alert_a, make_channel, http_stub, rule_for, process, fire_timers
):
    hook = http_stub(name="pager")
    channel = make_channel("webhook", url=hook.url + "/p")
    policy = services.escalation_policy_save(
        organization=org_a,
        name="default",
        is_default=True,
        levels=[{"delay_minutes": 5, "channels": [channel]}],
    )
    rule_for(escalate=True)  # no policy named: the organisation's default
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    escalation = Escalation.objects.get()
    assert escalation.policy == policy
    Escalation.objects.filter(pk=escalation.pk).update(step=7)  # another run moved on meanwhile
    fire_timers(t0 + timedelta(minutes=6))
    assert hook.requests == []
    assert NotificationTimer.objects.get().outcome == "stale"


def test_a_lost_acknowledgment_event_still_stops_the_escalation(
    alert_a, brief_policy, rule_for, process, fire_timers, slack, users_a
):
    rule_for(escalate=True, escalation_policy=brief_policy)
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    alert_acknowledge(alert=alert_a, user=users_a["operator"])  # its event never reaches us
    fire_timers(t0 + timedelta(minutes=15))
    assert slack.requests == []
    assert Escalation.objects.get().status == "acknowledged"


def test_resolution_stops_the_escalation(
    alert_a, brief_policy, rule_for, process, fire_timers, slack, users_a
):
    rule_for(escalate=True, escalation_policy=brief_policy)
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    alert_resolve(alert=alert_a, user=users_a["operator"])
    process(alert_event(alert_a, "alert.resolved"), now=t0 + timedelta(minutes=1))
    fire_timers(t0 + timedelta(hours=2))
    assert _levels_fired() == [1]
    assert Escalation.objects.get().status == "resolved"


def test_two_beat_runs_fire_a_level_once(alert_a, brief_policy, rule_for, process, fire_timers):
    rule_for(escalate=True, escalation_policy=brief_policy)
    t0 = timezone.now()
    process(alert_event(alert_a), now=t0)
    assert fire_timers(t0 + timedelta(minutes=15)) == 1
    assert fire_timers(t0 + timedelta(minutes=15)) == 0
    assert _levels_fired() == [1, 2]


def test_escalation_fired_event_feeds_escalation_rules(
    alert_a, brief_policy, rule_for, process, make_channel, http_stub, django_capture_on_commit_callbacks
):
    hook = http_stub(name="managers")
    managers = make_channel("webhook", url=hook.url + "/managers")
    rule_for(escalate=True, escalation_policy=brief_policy)
    rule_for(managers, trigger_on=["escalation"])
    process(alert_event(alert_a))  # level 1 fires; its escalation.fired event is handled eagerly
    [req] = hook.wait_for(1)
    assert req.json["message"]["headline"].startswith("📣 Escalated: Database Primary Unreachable")

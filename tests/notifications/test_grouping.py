"""Per-incident grouping: one message for a storm, edited as alerts join; no alert waits forever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aiops import events
from apps.notifications.models import NotificationDelivery, NotificationThread, NotificationTimer
from tests.alerts.factories import AlertFactory

from .conftest import alert_event

pytestmark = pytest.mark.django_db


def incident_event(name, alerts, *, incident_id=77, status="open", alert_count=None, actor=None):
    first = alerts[0]
    return events.build_event(
        name,
        org=first.organization_id,
        actor=actor,
        incident_id=incident_id,
        number=42,
        title="Database Connectivity Issue",
        status=status,
        severity="critical",
        team_id=None,
        alert_id=alerts[-1].pk,
        alert_ids=[a.pk for a in alerts],
        alert_count=alert_count or len(alerts),
        affected_services=["database", "api"],
        url=f"http://127.0.0.1:8000/incidents/{incident_id}/",
        started_at=first.starts_at.isoformat(),
    )


def _texts(req) -> str:
    return json_dump(req.json)


def json_dump(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
def storm(org_a):
    return [
        AlertFactory(
            organization=org_a, name=f"Down{i}", service="database" if i == 0 else "api", summary=f"Alert {i}"
        )
        for i in range(14)
    ]


def test_fourteen_alert_storm_is_one_message_updated_as_alerts_join(
    storm, slack, slack_bot_channel, rule_for, process, fire_timers
):
    rule_for(slack_bot_channel, grouping="per_incident")
    for alert in storm:
        process(alert_event(alert))
    assert slack.requests == []  # held for grouping
    assert NotificationTimer.objects.filter(kind="group_wait", fired_at__isnull=True).count() == 14

    process(incident_event("incident.created", storm[:1]))
    for i in range(2, 15):
        process(incident_event("incident.alert_added", storm[:i]))

    posts = [r for r in slack.requests if r.path == "/api/chat.postMessage"]
    updates = [r for r in slack.requests if r.path == "/api/chat.update"]
    assert len(posts) == 1
    assert "Incident #42 Database Connectivity Issue" in _texts(posts[0])
    assert updates and "*Alerts:*\\n14" in _texts(updates[-1])
    assert NotificationTimer.objects.filter(kind="group_wait", fired_at__isnull=True).count() == 0
    fire_timers(timezone.now() + timedelta(minutes=5))
    assert len([r for r in slack.requests if r.path == "/api/chat.postMessage"]) == 1
    assert NotificationDelivery.objects.filter(kind="new").count() == 1
    slack.assert_no_contract_errors()


def test_alert_is_sent_alone_after_the_grouping_wait_and_adopted_by_a_late_incident(
    storm, slack, slack_bot_channel, rule_for, process, fire_timers, settings
):
    settings.NOTIFICATIONS_GROUP_WAIT_SECONDS = 30
    rule_for(slack_bot_channel, grouping="per_incident")
    now = timezone.now()
    process(alert_event(storm[0]), now=now)
    assert fire_timers(now + timedelta(seconds=29)) == 0
    assert slack.requests == []

    fire_timers(now + timedelta(seconds=31))
    [post] = slack.wait_for(1)
    assert "Alert 0" in _texts(post)

    process(incident_event("incident.created", storm[:2]))
    posts = [r for r in slack.requests if r.path == "/api/chat.postMessage"]
    updates = [r for r in slack.requests if r.path == "/api/chat.update"]
    assert len(posts) == 1, "the incident took over the alert's message instead of posting again"
    assert updates and "Database Connectivity Issue" in _texts(updates[-1])
    thread = NotificationThread.objects.get()
    assert thread.subject.key == "incident:77"


def test_incident_known_before_the_alert_event_is_announced_at_once(
    storm, slack, slack_bot_channel, rule_for, process
):
    rule_for(slack_bot_channel, grouping="per_incident")
    process(incident_event("incident.created", storm[:1]))  # correlation was faster than us
    assert slack.requests == []  # the rule reacts to alerts, not to incidents
    process(alert_event(storm[0]))
    [post] = slack.wait_for(1)
    assert "Incident #42" in _texts(post)
    assert not NotificationTimer.objects.filter(kind="group_wait").exists()


def test_incident_rules_announce_incidents_and_their_resolution(
    storm, pagerduty, pagerduty_channel, rule_for, process
):
    rule_for(pagerduty_channel, trigger_on=["incident_created", "incident_resolved"])
    process(incident_event("incident.created", storm[:3]))
    process(incident_event("incident.status_changed", storm[:3], status="resolved"))
    actions = [r.json["event_action"] for r in pagerduty.wait_for(2)]
    assert actions == ["trigger", "resolve"]
    assert pagerduty.requests[0].json["dedup_key"].endswith("-incident:77")


def test_incident_acknowledged_in_the_incidents_app_edits_the_message(
    storm, slack, slack_bot_channel, rule_for, process, users_a
):
    rule_for(slack_bot_channel, trigger_on=["incident_created"])
    process(incident_event("incident.created", storm[:2]))
    process(
        incident_event(
            "incident.status_changed", storm[:2], status="investigating", actor=users_a["operator"]
        )
    )
    update = slack.wait_for(2)[1]
    assert update.path == "/api/chat.update" and "Acknowledged by a-operator" in _texts(update)

"""Batches: a commit's events decided in one transaction, its first messages sent right after.

A storm webhook's alerts reach the notifier as one batch. Each alert must be decided as if it
came alone (rules, rate limits, idempotency), with a number of queries that does not grow with
the batch, and the worker that decided them sends them itself from memory, respecting what
changed meanwhile and leaving a dead worker's rows to the outbox re-scan.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aiops.models import EventReceipt
from apps.alerts.services import alert_acknowledge
from apps.notifications import services
from apps.notifications.models import NotificationChannel, NotificationDelivery, NotificationTimer
from tests.alerts.factories import AlertFactory

from .conftest import alert_event

pytestmark = pytest.mark.django_db


def storm(org, count, **fields):
    fields = {"severity": "critical", **fields}
    return [alert_event(AlertFactory(organization=org, summary=f"storm {i}", **fields)) for i in range(count)]


@pytest.fixture
def decide(django_capture_on_commit_callbacks):
    """decide(events, send_here=False, send=True): one batch; send=False keeps its sends (a dead worker)."""

    def run(events, *, send_here=False, send=True):
        with django_capture_on_commit_callbacks(execute=send) as callbacks:
            processed = services.events_process(events=events, send_here=send_here)
        run.callbacks = callbacks
        return processed

    return run


@pytest.fixture
def hook(http_stub, make_channel, rule_for):
    stub = http_stub(name="webhook")
    stub.channel = make_channel("webhook", url=stub.url + "/in")
    stub.rule = rule_for(stub.channel, rate_limit_count=None)
    return stub


def alert_ids_posted(stub) -> list[int]:
    return sorted(int(r.json["subject"].removeprefix("alert:")) for r in stub.requests)


def test_a_storm_is_one_message_per_alert(org_a, hook, decide):
    events = storm(org_a, 12)
    assert decide(events) == 12
    hook.wait_for(12)
    assert alert_ids_posted(hook) == sorted(e["data"]["alert_id"] for e in events)
    rows = NotificationDelivery.objects.all()
    assert rows.count() == 12 and {d.status for d in rows} == {"sent"}
    assert {d.thread_id for d in rows} and None not in {d.thread_id for d in rows}
    assert EventReceipt.objects.filter(subscriber="notifications.handle_event").count() == 12


def test_deciding_a_batch_takes_as_many_queries_for_three_alerts_as_for_thirty(org_a, hook, decide):
    decide(storm(org_a, 1))  # loads the rule cache
    counts = []
    for size in (3, 30):
        events = storm(org_a, size)
        with CaptureQueriesContext(connection) as queries:
            decide(events, send=False)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert NotificationDelivery.objects.filter(status="pending").count() == 33


def test_the_rate_limit_counts_the_batch_itself(org_a, hook, decide):
    hook.rule.rate_limit_count = 3
    hook.rule.save()
    flapping = storm(org_a, 5, name="DiskFull", service="storage")
    other = storm(org_a, 1, name="HighLatency", service="api")
    decide([*flapping, *other])
    assert len(hook.wait_for(4)) == 4  # 3 of the pattern + the other pattern
    limited = NotificationDelivery.objects.filter(status="rate_limited")
    assert limited.count() == 2 and {d.pattern_key for d in limited} == {"DiskFull|storage"}
    assert NotificationTimer.objects.filter(kind="digest", fired_at__isnull=True).count() == 1


def test_a_redelivered_batch_changes_nothing_and_a_mixed_one_decides_only_the_new_events(org_a, hook, decide):
    first = storm(org_a, 3)
    assert decide(first) == 3
    assert decide(first) == 0
    later = storm(org_a, 1)
    assert decide([first[0], *later]) == 1
    hook.wait_for(4)
    assert NotificationDelivery.objects.count() == 4 and len(hook.requests) == 4


def test_one_malformed_event_does_not_cost_the_others_their_messages(org_a, hook, decide):
    good = storm(org_a, 3)
    bad = storm(org_a, 1)[0]
    bad["data"]["services"] = 5  # a producer bug: not a list
    with pytest.raises(TypeError):
        decide([good[0], bad, *good[1:]])
    hook.wait_for(3)
    assert alert_ids_posted(hook) == sorted(e["data"]["alert_id"] for e in good)
    assert not EventReceipt.objects.filter(event_id=bad["id"]).exists()  # a fixed retry is decided


def test_the_worker_sends_its_decisions_itself(org_a, hook, decide, dispatched_events):
    events = storm(org_a, 5)
    decide(events, send_here=True)
    hook.wait_for(5)
    rows = NotificationDelivery.objects.all()
    assert {(d.status, d.attempts) for d in rows} == {("sent", 1)}
    assert all(d.lease_until is None and d.sent_at >= d.created_at for d in rows)
    delivered = [e for e in dispatched_events if e["name"] == "notification.delivered"]
    assert sorted(e["data"]["delivery_id"] for e in delivered) == sorted(d.pk for d in rows)
    assert {e["data"]["status"] for e in delivered} == {"sent"}


def test_a_pause_that_came_after_the_decision_is_respected(org_a, hook, decide):
    decide(storm(org_a, 2), send_here=True, send=False)
    paused = timezone.now() + timedelta(seconds=30)
    NotificationChannel.objects.filter(pk=hook.channel.pk).update(paused_until=paused)
    decide.callbacks[0]()  # the decision's after-commit send
    assert hook.requests == []
    rows = NotificationDelivery.objects.all()
    assert {(d.status, d.attempts) for d in rows} == {("pending", 0)}
    assert all("paused" in d.reason and d.next_attempt_at >= paused for d in rows)


def test_a_channel_disabled_after_the_decision_gets_nothing(org_a, hook, decide):
    decide(storm(org_a, 2), send_here=True, send=False)
    NotificationChannel.objects.filter(pk=hook.channel.pk).update(enabled=False)
    decide.callbacks[0]()
    assert hook.requests == []
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {"failed"}


def test_a_worker_dying_before_it_sends_leaves_its_rows_to_the_rescan(org_a, hook, decide):
    decide(storm(org_a, 2), send_here=True, send=False)  # committed, then the worker died
    rows = NotificationDelivery.objects.all()
    assert {(d.status, d.attempts) for d in rows} == {("pending", 1)} and hook.requests == []
    assert services.outbox_rescan() == 0  # leased: nobody else sends them meanwhile

    later = timezone.now() + timedelta(seconds=121)  # past the lease
    assert services.outbox_rescan(now=later) == 2
    assert set(services.deliveries_send(delivery_ids=[d.pk for d in rows], now=later).values()) == {"sent"}
    assert len(hook.wait_for(2)) == 2
    assert {(d.status, d.attempts) for d in NotificationDelivery.objects.all()} == {("sent", 2)}


def test_one_failing_channel_does_not_hold_up_another(org_a, hook, http_stub, make_channel, rule_for, decide):
    down = http_stub(name="down")
    down.set_default(500, body="upstream exploded")
    rule_for(make_channel("webhook", url=down.url + "/in"), rate_limit_count=None)
    decide(storm(org_a, 3), send_here=True)
    assert len(hook.wait_for(3)) == 3
    assert NotificationDelivery.objects.filter(channel=hook.channel, status="sent").count() == 3
    retrying = NotificationDelivery.objects.exclude(channel=hook.channel)
    assert {(d.status, d.attempts) for d in retrying} == {("pending", 1)}
    assert all("HTTP 500" in d.reason for d in retrying)


def test_a_message_and_its_edit_sent_together_go_out_in_order(alert_a, slack, slack_bot_channel, rule_for, users_a,
                                                              decide):
    rule_for(slack_bot_channel)
    slack.set_default(200, json={"ok": True, "channel": "C024BE91L", "ts": "1700000000.000777"})
    decide([alert_event(alert_a)], send=False)
    alert_acknowledge(alert=alert_a, user=users_a["operator"])
    decide([alert_event(alert_a, "alert.acknowledged", actor=users_a["operator"])], send=False)
    ids = list(NotificationDelivery.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 2

    assert services.deliveries_send(delivery_ids=ids) == {ids[0]: "sent", ids[1]: "sent"}
    assert [r.path for r in slack.requests] == ["/api/chat.postMessage", "/api/chat.update"]
    assert slack.requests[1].json["ts"] == "1700000000.000777"


def test_an_edit_sent_with_a_failing_message_waits_for_it(alert_a, slack, slack_bot_channel, rule_for, users_a,
                                                          decide):
    rule_for(slack_bot_channel)
    slack.respond(500, body="")
    decide([alert_event(alert_a)], send=False)
    alert_acknowledge(alert=alert_a, user=users_a["operator"])
    decide([alert_event(alert_a, "alert.acknowledged", actor=users_a["operator"])], send=False)
    original, ack = NotificationDelivery.objects.order_by("pk")

    assert services.deliveries_send(delivery_ids=[original.pk, ack.pk]) == {original.pk: "retry", ack.pk: "deferred"}
    assert [r.path for r in slack.requests] == ["/api/chat.postMessage"]
    ack.refresh_from_db()
    assert ack.attempts == 0 and f"waiting for delivery {original.pk}" in ack.reason


def test_a_huge_batch_is_shared_with_the_other_workers(org_a, hook, decide):
    from apps.notifications.services.outbox import SEND_BATCH

    decide(storm(org_a, SEND_BATCH + 10), send_here=True, send=False)
    rows = NotificationDelivery.objects.all()
    leased = [d for d in rows if d.lease_until is not None]
    assert len(leased) == SEND_BATCH and {d.attempts for d in leased} == {1}  # this worker's to send
    assert {d.attempts for d in rows if d.lease_until is None} == {0}  # any worker's
    decide.callbacks[0]()  # sends its own, queues a `deliver_many` (eager here) for the rest
    assert len(hook.wait_for(SEND_BATCH + 10)) == SEND_BATCH + 10
    assert set(NotificationDelivery.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.fixture
def per_incident(slack, slack_bot_channel, rule_for):
    slack.rule = rule_for(slack_bot_channel, grouping="per_incident", rate_limit_count=None)
    return slack


def posts(stub) -> list:
    return [r for r in stub.requests if r.path == "/api/chat.postMessage"]


def test_a_per_incident_storm_waits_for_its_incident_in_constant_queries(org_a, per_incident, decide):
    decide(storm(org_a, 1))  # loads the rule cache
    counts, alerts = [], []
    for size in (3, 30):
        events = storm(org_a, size)
        alerts += [e["data"]["alert_id"] for e in events]
        with CaptureQueriesContext(connection) as queries:
            decide(events)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert NotificationTimer.objects.filter(kind="group_wait", fired_at__isnull=True).count() == 34
    assert per_incident.requests == []  # held for grouping

    from apps.alerts.models import Alert

    from .test_grouping import incident_event

    decide([incident_event("incident.created", list(Alert.objects.filter(pk__in=alerts).order_by("pk")))])
    assert len(posts(per_incident)) == 1
    assert NotificationTimer.objects.filter(kind="group_wait", fired_at__isnull=True).count() == 1  # the first


def test_alerts_of_a_known_incident_join_its_message_and_the_others_wait(org_a, per_incident, decide):
    from .test_grouping import incident_event

    alerts = [AlertFactory(organization=org_a, severity="critical") for _ in range(4)]
    decide([incident_event("incident.created", alerts[:3])])  # correlation was faster than us
    decide([alert_event(a) for a in alerts])
    [post] = posts(per_incident)
    assert "Incident #42" in post.json["text"]
    [held] = NotificationTimer.objects.filter(kind="group_wait", fired_at__isnull=True)
    assert held.alert_id == alerts[3].pk


def test_an_incident_event_inside_a_batch_is_seen_by_the_alerts_after_it(org_a, per_incident, decide):
    from .test_grouping import incident_event

    first, second = (AlertFactory(organization=org_a, severity="critical") for _ in range(2))
    decide([alert_event(first), incident_event("incident.created", [first, second]), alert_event(second)])
    assert len(posts(per_incident)) == 1
    assert not NotificationTimer.objects.filter(kind="group_wait", fired_at__isnull=True).exists()
    assert NotificationDelivery.objects.filter(kind="new").count() == 1

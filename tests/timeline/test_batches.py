"""Batches: the events of one committed transaction reach the timeline as one message, and are
written with one insert, once per event id however often the batch is delivered."""
import pytest
from celery.signals import task_prerun
from django.db import transaction

from aiops import events
from apps.alerts.summary import alert_summary
from apps.timeline import services, tasks
from apps.timeline.models import TimelineEntry
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import TeamFactory

pytestmark = pytest.mark.django_db


def _storm(org, count, **alert_fields):
    alerts = [AlertFactory(organization=org, **alert_fields) for _ in range(count)]
    return [events.build_event("alert.received", org=org, subject=a, is_new=True, **alert_summary(a))
            for a in alerts]


def test_the_timeline_subscribes_in_batches():
    subscriptions = [s for s in events.subscribers("alert.received") if s.task is tasks.timeline_record_event]
    assert len(subscriptions) == 1 and subscriptions[0].batch


def test_one_transactions_events_are_one_task_run(org_a, django_capture_on_commit_callbacks):
    runs = []

    def count(sender=None, args=(), **kwargs):
        if sender.name == tasks.timeline_record_event.name:
            runs.append(len(args[0]))

    task_prerun.connect(count, weak=False)
    try:
        alerts = [AlertFactory(organization=org_a) for _ in range(20)]
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            for alert in alerts:
                events.publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))
            events.publish("change.recorded", org=org_a, title="deploy v2")
    finally:
        task_prerun.disconnect(count)
    assert runs == [21]
    assert TimelineEntry.objects.filter(kind="alert.received").count() == 20
    assert set(TimelineEntry.objects.values_list("alert_id", flat=True)) == {a.pk for a in alerts} | {None}


def test_a_big_batch_costs_a_few_queries_not_a_few_per_event(org_a, django_assert_max_num_queries):
    red = TeamFactory(organization=org_a)
    storm = _storm(org_a, 50, team=red)
    storm.append(events.build_event("feedback.recorded", org=org_a, subject=None, rating="helpful"))
    with django_assert_max_num_queries(10):
        tasks.timeline_record_event.apply(args=[storm]).get()
    assert TimelineEntry.objects.count() == 51
    assert TimelineEntry.objects.filter(team=red).count() == 50
    entry = TimelineEntry.objects.get(event_id=storm[0]["id"])
    assert entry.summary.startswith("Alert fired: ") and entry.actor_label == ""


def test_a_redelivered_batch_writes_nothing_twice(org_a):
    storm = _storm(org_a, 5)
    first = services.timeline_entries_record(events=storm[:3])  # a worker died after part of it
    tasks.timeline_record_event.apply(args=[storm]).get()
    tasks.timeline_record_event.apply(args=[storm + storm[:2]]).get()  # redelivered, with repeats

    assert TimelineEntry.objects.count() == 5
    again = services.timeline_entries_record(events=storm)
    assert {k: e.pk for k, e in first.items()} == {k: again[k].pk for k in first}
    assert sorted(again) == sorted(e["id"] for e in storm)


def test_a_bad_event_does_not_cost_the_others_their_entries(org_a):
    storm = _storm(org_a, 2)
    malformed = {"id": "x-1", "name": "no.such_event", "organization_id": org_a.pk}
    with pytest.raises(services.TimelineEventError):
        services.timeline_entries_record(events=[storm[0], malformed, storm[1]])
    assert set(TimelineEntry.objects.values_list("event_id", flat=True)) == {storm[0]["id"], storm[1]["id"]}


def test_subject_teams_and_dead_organisations_are_settled_per_event(org_a, org_b):
    red = TeamFactory(organization=org_a)
    own = AlertFactory(organization=org_a, team=red)
    foreign = TeamFactory(organization=org_b)
    batch = [
        events.build_event("feedback.recorded", org=org_a, subject=own, rating="helpful"),  # team from the row
        events.build_event("alert.received", org=org_a, subject=own, **{**alert_summary(own), "team_id": foreign.pk}),
        events.build_event("change.recorded", org=999_999, title="deploy v2"),  # its tenant is gone
    ]
    recorded = services.timeline_entries_record(events=batch)
    assert set(recorded) == {batch[0]["id"], batch[1]["id"]}
    assert recorded[batch[0]["id"]].team_id == red.pk
    assert recorded[batch[1]["id"]].team_id is None  # another organisation's team is not trusted

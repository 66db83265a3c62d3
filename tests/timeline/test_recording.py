"""The event path: every catalogued event becomes exactly one entry, after commit, in event time."""
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from aiops import events
from aiops.roles import Role
from apps.alerts import services as alert_services
from apps.alerts.summary import alert_summary
from apps.timeline import services, tasks
from apps.timeline.models import TimelineEntry
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import TeamFactory, member

pytestmark = pytest.mark.django_db


def test_every_catalogued_event_is_subscribed():
    for name in events.CATALOGUE:
        assert any(s.task is tasks.timeline_record_event for s in events.subscribers(name)), name


def test_alert_received_is_recorded_once_at_its_start_time(org_a, publish):
    started = timezone.now() - timedelta(minutes=7)
    alert = AlertFactory(organization=org_a, starts_at=started)
    event = publish("alert.received", org=org_a, subject=alert, source="alertmanager", is_new=True,
                    **alert_summary(alert))

    entry = TimelineEntry.objects.get()
    assert entry.event_id == event["id"]
    assert entry.kind == "alert.received"
    assert entry.occurred_at == started  # event time, not the moment the webhook arrived
    assert entry.alert_id == alert.pk and entry.incident_id is None
    assert (entry.subject_type, entry.subject_id) == ("alerts.alert", alert.pk)
    assert entry.organization_id == org_a.pk
    assert entry.summary == "Alert fired: Error ratio 0.2 on payment-api"
    assert entry.details == "Severity: critical · Service: payment-api · Instance: payment-api-1:8080"
    assert entry.actor is None and entry.actor_label == "Alertmanager"
    assert entry.source_url.endswith(f"/alerts/{alert.pk}/")
    assert entry.data["fingerprint"] == alert.fingerprint


def test_redelivered_event_writes_one_row(org_a, publish):
    alert = AlertFactory(organization=org_a)
    event = publish("alert.received", org=org_a, subject=alert, **alert_summary(alert))
    first = TimelineEntry.objects.get()

    # Celery redelivers (acks_late, a worker lost mid-task): the same event dict arrives again.
    tasks.timeline_record_event.apply(args=[event]).get()
    tasks.timeline_record_event.delay(event)
    again = services.timeline_entry_record(event=event)

    assert TimelineEntry.objects.count() == 1
    assert again.pk == first.pk


def test_a_rolled_back_transaction_publishes_nothing(org_a, django_capture_on_commit_callbacks):
    alert = AlertFactory(organization=org_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("alert.received", org=org_a, subject=alert, **alert_summary(alert))
            events.publish("alert.acknowledged", org=org_a, subject=alert, **alert_summary(alert))
            raise RuntimeError("the request failed after publishing")
        # A later, committed event in the same test still arrives: the bus was not broken.
        events.publish("alert.resolved", org=org_a, subject=alert, **alert_summary(alert))
    assert len(callbacks) == 1
    assert list(TimelineEntry.objects.values_list("kind", flat=True)) == ["alert.resolved"]


@pytest.mark.django_db(transaction=True)
def test_real_commit_and_rollback(org_a, users_a):
    """With real transactions (no test wrapper): committed work appears, rolled-back work never does."""
    alert = AlertFactory(organization=org_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        alert_services.alert_acknowledge(alert=alert, user=users_a["operator"])
        raise RuntimeError("rolled back")
    assert not TimelineEntry.objects.exists()

    alert_services.alert_acknowledge(alert=alert, user=users_a["operator"])
    entry = TimelineEntry.objects.get()
    assert entry.kind == "alert.acknowledged"
    assert entry.actor == users_a["operator"] and entry.actor_label == "a-operator"


def test_entries_are_ordered_by_event_time_not_arrival(org_a, users_a, publish,
                                                       django_capture_on_commit_callbacks):
    alert = AlertFactory(organization=org_a, starts_at=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        alert_services.alert_assign(alert=alert, user=users_a["admin"], assignee=users_a["operator"])
    # Arrives after the assignment but resolved before it (Alertmanager's endsAt)...
    ended = timezone.now() - timedelta(minutes=1)
    alert.ends_at = ended
    publish("alert.resolved", org=org_a, subject=alert, source="alertmanager", **alert_summary(alert))
    # ... and a late first notification: the alert fired half an hour ago.
    publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))

    arrival = list(TimelineEntry.objects.order_by("id").values_list("kind", flat=True))
    assert arrival == ["alert.assigned", "alert.resolved", "alert.received"]
    kinds = list(TimelineEntry.objects.values_list("kind", flat=True))  # the model's default order
    assert kinds == ["alert.received", "alert.resolved", "alert.assigned"]
    assigned = TimelineEntry.objects.get(kind="alert.assigned")
    assert assigned.summary == "Alert assigned to a-operator: Error ratio 0.2 on payment-api"
    assert assigned.actor == users_a["admin"]
    assert TimelineEntry.objects.get(kind="alert.resolved").occurred_at == ended


def test_team_alerts_stay_with_their_team(org_a, publish):
    red, blue = TeamFactory(organization=org_a), TeamFactory(organization=org_a)
    red_viewer = member(org_a, Role.VIEWER, teams=[red])
    blue_viewer = member(org_a, Role.VIEWER, teams=[blue])
    alert = AlertFactory(organization=org_a, team=red)
    publish("alert.received", org=org_a, subject=alert, **alert_summary(alert))

    entry = TimelineEntry.objects.get()
    assert entry.team_id == red.pk
    assert TimelineEntry.objects.visible_to(red_viewer).filter(pk=entry.pk).exists()
    assert not TimelineEntry.objects.visible_to(blue_viewer).filter(pk=entry.pk).exists()


def test_team_is_read_from_the_subject_when_the_event_does_not_carry_it(org_a, publish):
    team = TeamFactory(organization=org_a)
    alert = AlertFactory(organization=org_a, team=team)
    publish("feedback.recorded", org=org_a, subject=alert, rating="helpful")
    assert TimelineEntry.objects.get().team_id == team.pk


def test_a_team_of_another_organisation_is_not_trusted(org_a, org_b, publish):
    foreign = TeamFactory(organization=org_b)
    alert = AlertFactory(organization=org_a)
    publish("alert.received", org=org_a, subject=alert, **{**alert_summary(alert), "team_id": foreign.pk})
    assert TimelineEntry.objects.get().team_id is None


def test_event_of_a_deleted_organisation_is_dropped(org_a):
    event = events.build_event("change.recorded", org=999_999, title="deploy v2")
    assert services.timeline_entry_record(event=event) is None
    assert not TimelineEntry.objects.exists()


def test_malformed_event_is_refused():
    with pytest.raises(services.TimelineEventError):
        services.timeline_entry_record(event={"id": "x", "name": "no.such_event", "organization_id": 1})
    assert not TimelineEntry.objects.exists()


def test_ids_come_from_data_or_subject(org_a, publish):
    alert = AlertFactory(organization=org_a)
    publish("analysis.completed", org=org_a, incident_id=77, status="completed", summary="Pool exhausted")
    publish("change.correlated", org=org_a, subject=alert, title="deploy v2.3.1", score=0.9)
    analysis = TimelineEntry.objects.get(kind="analysis.completed")
    change = TimelineEntry.objects.get(kind="change.correlated")
    assert (analysis.incident_id, analysis.alert_id) == (77, None)
    assert (change.alert_id, change.incident_id) == (alert.pk, None)


@pytest.mark.django_db(transaction=True)
def test_two_workers_with_the_same_event_write_one_row(org_a):
    """Concurrent deliveries (PostgreSQL: real parallel transactions) end in one row, both see it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    import threading

    from django.db import connections

    event = events.build_event("incident.commented", org=org_a, incident_id=3, comment="race")
    barrier, results, errors = threading.Barrier(4), [], []

    def deliver():
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(services.timeline_entry_record(event=event).pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1 and len(results) == 4
    assert TimelineEntry.objects.filter(event_id=event["id"]).count() == 1

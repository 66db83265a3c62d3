"""Correlation in batches: a storm's alert.received events (or a webhook's change.recorded events)
are scored in one task call, with a fixed number of queries for the lookups, and a redelivered
batch links nothing twice."""

from datetime import UTC, datetime, timedelta

import pytest

from aiops import events
from apps.alerts.summary import alert_summary
from apps.changes import tasks
from apps.changes.models import ChangeCorrelation
from tests.alerts.factories import AlertFactory
from tests.changes.factories import ChangeEventFactory

pytestmark = pytest.mark.django_db

DEPLOY_AT = datetime(2024, 12, 6, 15, 0, tzinfo=UTC)


def _received(alerts):
    return [events.build_event("alert.received", org=a.organization_id, subject=a, is_new=True, **alert_summary(a))
            for a in alerts]


def _recorded(changes):
    return [events.build_event("change.recorded", org=c.organization_id, subject=c, change_id=c.pk) for c in changes]


def test_correlation_subscribes_in_batches():
    for name, task in (("alert.received", tasks.correlate_alert), ("change.recorded", tasks.correlate_change)):
        assert [s.batch for s in events.subscribers(name) if s.task is task] == [True], name


def test_a_storm_is_scored_in_one_call(org_a, django_assert_max_num_queries):
    deploy = ChangeEventFactory(organization=org_a, started_at=DEPLOY_AT)
    ChangeEventFactory(organization=org_a, service="search-indexer", started_at=DEPLOY_AT + timedelta(minutes=5))
    storm = [AlertFactory(organization=org_a, starts_at=DEPLOY_AT + timedelta(minutes=15, seconds=i),
                          instance=f"payment-api-{i}:8080") for i in range(30)]

    with django_assert_max_num_queries(21):  # 30 alerts, receipts included; one at a time: 367 (measured)
        linked = tasks.correlate_alert.apply(args=[_received(storm)], throw=True).get()

    assert linked == 30
    links = ChangeCorrelation.objects.filter(organization=org_a)
    assert set(links.values_list("change_id", flat=True)) == {deploy.pk}  # the unrelated deploy scores low
    assert sorted(links.values_list("alert_id", flat=True)) == sorted(a.pk for a in storm)
    assert links.get(alert=storm[0]).time_delta_seconds == 900
    deploy.refresh_from_db()
    assert deploy.correlation_score == pytest.approx(links.get(alert=storm[0]).confidence)


def test_a_redelivered_batch_links_nothing_twice(org_a):
    ChangeEventFactory(organization=org_a, started_at=DEPLOY_AT)
    storm = [AlertFactory(organization=org_a, starts_at=DEPLOY_AT + timedelta(minutes=15 + i)) for i in range(5)]
    batch = _received(storm)
    assert tasks.correlate_alert.apply(args=[batch[:2]], throw=True).get() == 2  # a worker died after these
    assert tasks.correlate_alert.apply(args=[batch], throw=True).get() == 3
    assert tasks.correlate_alert.apply(args=[batch + batch[:1]], throw=True).get() == 0
    assert ChangeCorrelation.objects.count() == 5


def test_alerts_days_apart_in_one_batch_each_find_their_own_change(org_a):
    monday = ChangeEventFactory(organization=org_a, started_at=DEPLOY_AT)
    friday = ChangeEventFactory(organization=org_a, started_at=DEPLOY_AT + timedelta(days=4))
    late = AlertFactory(organization=org_a, starts_at=DEPLOY_AT + timedelta(days=4, minutes=10))
    early = AlertFactory(organization=org_a, starts_at=DEPLOY_AT + timedelta(minutes=10))
    other_org = AlertFactory(starts_at=DEPLOY_AT + timedelta(minutes=10))  # same time, another tenant

    tasks.correlate_alert.apply(args=[_received([late, early, other_org])], throw=True)

    pairs = set(ChangeCorrelation.objects.values_list("alert_id", "change_id"))
    assert pairs == {(early.pk, monday.pk), (late.pk, friday.pk)}


def test_a_webhook_of_changes_is_scored_in_one_call_and_once(org_a):
    alerts = [AlertFactory(organization=org_a, starts_at=DEPLOY_AT + timedelta(minutes=10 + i)) for i in range(4)]
    deploy = ChangeEventFactory(organization=org_a, started_at=DEPLOY_AT)
    config = ChangeEventFactory(organization=org_a, started_at=DEPLOY_AT + timedelta(minutes=1),
                                event_type="config_change")
    batch = _recorded([deploy, config])

    assert tasks.correlate_change.apply(args=[batch], throw=True).get() == 8
    assert tasks.correlate_change.apply(args=[batch], throw=True).get() == 0  # redelivered
    assert tasks.correlate_alert.apply(args=[_received(alerts)], throw=True).get() == 0  # the other direction
    assert ChangeCorrelation.objects.count() == 8
    for change in (deploy, config):
        change.refresh_from_db()
        assert change.correlation_score is not None


def test_links_stored_meanwhile_by_the_other_direction_are_left_out_not_doubled(org_a):
    from apps.changes import correlation

    deploy = ChangeEventFactory(organization=org_a, started_at=DEPLOY_AT)
    raced, fresh = (AlertFactory(organization=org_a, starts_at=DEPLOY_AT + timedelta(minutes=m)) for m in (10, 11))
    ChangeCorrelation.objects.create(organization=org_a, change=deploy, alert=raced, confidence=0.9,
                                     time_delta_seconds=600)
    rows = [ChangeCorrelation(organization=org_a, change=deploy, alert=a, confidence=0.8, time_delta_seconds=600)
            for a in (raced, fresh)]

    inserted = correlation._insert_links(rows)

    assert [row.alert_id for row in inserted] == [fresh.pk]
    assert ChangeCorrelation.objects.get(alert=raced).confidence == 0.9  # the first write stands

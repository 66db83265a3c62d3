"""Automatic analysis in batches: one transaction's alert.received (or incident) events are one
task call, de-duplicated by signature within the batch as across batches, and a retried batch
adds no analysis."""

import pytest

from aiops import events
from apps.alerts.summary import alert_summary
from apps.analysis import tasks, triggers
from apps.analysis.choices import AnalysisStatus, SubjectType
from apps.analysis.models import Analysis, AnalysisPolicy
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db

incidents_installed = pytest.mark.skipif(not triggers.incident_support.installed(),
                                         reason="apps.incidents is not installed")


def _received(alerts, *, is_new=True):
    return [events.build_event("alert.received", org=a.organization_id, subject=a, is_new=is_new,
                               **alert_summary(a)) for a in alerts]


def _storm(org):
    kinds = [("KubePodNotReady", "checkout"), ("HighLatency", "frontend"), ("TargetDown", "checkout-db")]
    return [AlertFactory(organization=org, name=name, service=service, severity="critical", instance=f"{service}-{i}")
            for i in range(20) for name, service in kinds]


def test_the_triggers_subscribe_in_batches():
    for name, task in (("alert.received", tasks.on_alert_received), ("incident.created", tasks.on_incident_event),
                       ("incident.alert_added", tasks.on_incident_event)):
        assert [s.batch for s in events.subscribers(name) if s.task is task] == [True], name


def test_a_storm_batch_requests_one_analysis_per_signature_in_one_call(org_a, django_assert_max_num_queries):
    alerts = _storm(org_a)
    AnalysisPolicy.objects.create(organization=org_a)
    # ~14 per batch, 3 for the batch's event receipts (one insert in a savepoint), plus 8 (savepoints
    # included) per signature analysed: one at a time, ~8 per alert
    with django_assert_max_num_queries(14 + 3 + 3 * 8):
        tasks.on_alert_received.apply(args=[_received(alerts)], throw=True)

    rows = Analysis.objects.filter(subject_type=SubjectType.ALERT)
    assert rows.count() == 60
    sources = {r.signature: r for r in rows.filter(reused_from__isnull=True)}
    assert len(sources) == 3 and {r.alert_id for r in sources.values()} == {a.pk for a in alerts[:3]}
    assert all(r.status == AnalysisStatus.PENDING for r in sources.values())
    for row in rows.filter(status=AnalysisStatus.REUSED):
        assert row.reused_from_id == sources[row.signature].pk and row.version == 1


def test_a_retried_batch_adds_no_analysis(org_a):
    alerts = _storm(org_a)
    batch = _received(alerts)
    tasks.on_alert_received.apply(args=[batch[:10]], throw=True)  # the worker died after part of it
    tasks.on_alert_received.apply(args=[batch], throw=True)
    tasks.on_alert_received.apply(args=[batch + batch[:5]], throw=True)

    rows = Analysis.objects.filter(subject_type=SubjectType.ALERT)
    assert rows.count() == 60 and rows.filter(reused_from__isnull=True).count() == 3
    assert sorted(rows.values_list("alert_id", flat=True)) == sorted(a.pk for a in alerts)


def test_resent_resolved_and_filtered_alerts_in_a_batch_are_skipped(org_a):
    AnalysisPolicy.objects.create(organization=org_a, severities=["critical"])
    analysed = AlertFactory(organization=org_a, severity="critical", name="A")
    warning = AlertFactory(organization=org_a, severity="warning", name="B")
    resolved = AlertFactory(organization=org_a, severity="critical", name="C", status="resolved")
    resent = AlertFactory(organization=org_a, severity="critical", name="D")
    batch = _received([analysed, warning, resolved]) + _received([resent], is_new=False)
    tasks.on_alert_received.apply(args=[batch], throw=True)
    assert list(Analysis.objects.values_list("alert_id", flat=True)) == [analysed.pk]


def test_a_malformed_event_does_not_cost_the_others_their_analysis(org_a, org_b):
    ours, theirs = AlertFactory(organization=org_a, name="A"), AlertFactory(organization=org_b, name="B")
    broken = {**_received([ours])[0], "data": {"alert_id": "not-a-number"}}
    with pytest.raises(ValueError):
        tasks.on_alert_received.apply(args=[[broken, *_received([ours, theirs])]], throw=True)
    assert set(Analysis.objects.values_list("alert_id", flat=True)) == {ours.pk, theirs.pk}


@incidents_installed
def test_an_incident_opened_with_its_storm_is_analysed_once_per_batch(org_a, org_b):
    from tests.incidents.factories import IncidentAlertFactory, IncidentFactory

    first, second = IncidentFactory(organization=org_a), IncidentFactory(organization=org_b)
    batch = [events.build_event("incident.created", org=org_a, subject=first, incident_id=first.pk)]
    for _ in range(5):
        member = IncidentAlertFactory(organization=org_a, incident=first)
        batch.append(events.build_event("incident.alert_added", org=org_a, subject=first,
                                        incident_id=first.pk, alert_id=member.alert_id))
    batch.append(events.build_event("incident.created", org=org_b, subject=second, incident_id=second.pk))

    for _ in range(2):  # delivered, then redelivered
        tasks.on_incident_event.apply(args=[batch], throw=True)

    runs = Analysis.objects.filter(subject_type=SubjectType.INCIDENT)
    assert sorted(runs.values_list("incident_id", "version")) == sorted([(first.pk, 1), (second.pk, 1)])


@incidents_installed
def test_a_broken_incident_event_does_not_cost_the_others_their_analysis(org_a):
    from tests.incidents.factories import IncidentFactory

    incident = IncidentFactory(organization=org_a)
    batch = [events.build_event("incident.created", org=org_a, incident_id="not-a-number"),
             events.build_event("incident.created", org=org_a, subject=incident, incident_id=incident.pk)]
    with pytest.raises(ValueError):
        tasks.on_incident_event.apply(args=[batch], throw=True)
    assert list(Analysis.objects.values_list("incident_id", flat=True)) == [incident.pk]

"""Automatic analysis: `alert.received` and incident events through the real event bus (eager Celery).

The storms count requests on the LLM stub: de-duplication must keep provider calls bounded by the
number of distinct (alert name, service) signatures, not the number of alerts.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from aiops import events
from apps.alerts.summary import alert_summary
from apps.analysis import services, triggers
from apps.analysis.choices import AnalysisStatus, SubjectType
from apps.analysis.models import Analysis, AnalysisPolicy
from tests.alerts.factories import AlertFactory

from .conftest import good_answer, openai_completion

pytestmark = pytest.mark.django_db


def received(alert, *, is_new=True) -> None:
    events.publish(
        "alert.received", org=alert.organization_id, subject=alert, is_new=is_new, **alert_summary(alert)
    )


@pytest.fixture
def llm_policy(org_a, openai_provider, openai_stub):
    openai_stub.set_default(200, json=openai_completion(good_answer()))
    return AnalysisPolicy.objects.create(
        organization=org_a, provider=openai_provider, analyse_incidents=False
    )


def test_alert_received_runs_an_analysis_on_the_analysis_queue(org_a, django_capture_on_commit_callbacks):
    alert = AlertFactory(organization=org_a, name="KubePodCrashLooping", severity="critical")
    with django_capture_on_commit_callbacks(execute=True):
        received(alert)
    analysis = Analysis.objects.get(alert=alert)
    assert analysis.status == AnalysisStatus.OK and analysis.provider_kind == "builtin"
    assert "CrashLoopBackOff" in analysis.root_cause


def test_analysis_completed_is_published(org_a, django_capture_on_commit_callbacks, monkeypatch):
    seen = []
    monkeypatch.setattr(events, "dispatch_many", seen.extend)
    alert = AlertFactory(organization=org_a)
    subject = services.Subject.for_alert(alert)
    with django_capture_on_commit_callbacks(execute=True):
        analysis = services.analysis_request(subject=subject, trigger="manual")
    services.analysis_execute(analysis_id=analysis.pk)
    [event] = [e for e in seen if e["name"] == "analysis.completed"] or [None]
    assert event is not None
    assert event["subject"] == {"type": "analysis.analysis", "id": analysis.pk}
    data = event["data"]
    assert (data["alert_id"], data["status"], data["provider_kind"]) == (alert.pk, "ok", "builtin")
    assert data["url"].endswith(f"/analysis/{analysis.pk}/") and data["root_cause"]


def test_policy_filters_by_severity_and_resends(org_a, django_capture_on_commit_callbacks):
    AnalysisPolicy.objects.create(organization=org_a, severities=["critical"])
    info = AlertFactory(organization=org_a, severity="warning")
    resent = AlertFactory(organization=org_a, severity="critical", name="Other")
    with django_capture_on_commit_callbacks(execute=True):
        received(info)
        received(resent, is_new=False)
    assert not Analysis.objects.filter(subject_type=SubjectType.ALERT).exists()


def test_auto_analysis_can_be_switched_off(org_a, django_capture_on_commit_callbacks):
    AnalysisPolicy.objects.create(organization=org_a, auto_analyse=False)
    with django_capture_on_commit_callbacks(execute=True):
        received(AlertFactory(organization=org_a))
    assert not Analysis.objects.filter(subject_type=SubjectType.ALERT).exists()


def test_redelivered_event_does_not_analyse_twice(org_a, django_capture_on_commit_callbacks):
    alert = AlertFactory(organization=org_a)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            received(alert)
    assert Analysis.objects.filter(alert=alert).count() == 1


def test_twin_outside_the_window_is_analysed_again(
    org_a, llm_policy, openai_stub, django_capture_on_commit_callbacks
):
    first = AlertFactory(organization=org_a, name="HighLatency", service="search")
    with django_capture_on_commit_callbacks(execute=True):
        received(first)
    Analysis.objects.filter(alert=first).update(created_at=timezone.now() - timedelta(minutes=61))
    second = AlertFactory(organization=org_a, name="HighLatency", service="search")
    with django_capture_on_commit_callbacks(execute=True):
        received(second)
    assert Analysis.objects.get(alert=second).status == AnalysisStatus.OK
    assert len(openai_stub.requests) == 2


def _storm(org, count):
    """200 alerts of three kinds, as a bad deploy of checkout produces them."""
    kinds = (
        [("KubePodNotReady", "checkout", "critical")] * 150
        + [("HighLatency", "frontend", "warning")] * 40
        + [("TargetDown", "checkout-db", "critical")] * 10
    )
    start = timezone.now()
    return [
        AlertFactory(
            organization=org,
            name=name,
            service=service,
            severity=severity,
            instance=f"{service}-{i}",
            starts_at=start + timedelta(seconds=i % 50),
            labels={"alertname": name, "service": service, "pod": f"{service}-{i}", "namespace": "shop"},
        )
        for i, (name, service, severity) in enumerate(kinds[:count])
    ]


def test_alert_storm_makes_one_call_per_signature(
    org_a, llm_policy, openai_stub, django_capture_on_commit_callbacks
):
    alerts = _storm(org_a, 200)
    with django_capture_on_commit_callbacks(execute=True):
        for alert in alerts:
            received(alert)
    assert (
        len(openai_stub.requests) == 3
    )  # KubePodNotReady/checkout, HighLatency/frontend, TargetDown/checkout-db
    openai_stub.assert_no_contract_errors()
    rows = Analysis.objects.filter(subject_type=SubjectType.ALERT)
    assert rows.count() == 200
    assert rows.filter(status=AnalysisStatus.OK).count() == 3
    reused = rows.filter(status=AnalysisStatus.REUSED)
    assert reused.count() == 197
    assert all(r.effective.status == AnalysisStatus.OK for r in reused.select_related("reused_from")[:20])


@pytest.mark.skipif(not triggers.incident_support.installed(), reason="apps.incidents is not installed")
def test_storm_in_one_incident_makes_a_bounded_number_of_calls(
    org_a, llm_policy, openai_stub, django_capture_on_commit_callbacks
):
    from apps.incidents.models import Incident

    llm_policy.analyse_incidents = True
    llm_policy.save()
    alerts = _storm(org_a, 200)
    with django_capture_on_commit_callbacks(execute=True):
        for alert in alerts:
            received(alert)
    incidents = Incident.objects.filter(organization=org_a)
    assert incidents.exists()
    incident_runs = Analysis.objects.filter(subject_type=SubjectType.INCIDENT).exclude(
        status=AnalysisStatus.REUSED
    )
    assert incident_runs.count() == incidents.count()  # each incident analysed once, not once per alert
    assert len(openai_stub.requests) == 3 + incidents.count()
    assert len(openai_stub.requests) <= 3 + 2, f"{incidents.count()} incidents for one storm"


@pytest.mark.skipif(not triggers.incident_support.installed(), reason="apps.incidents is not installed")
def test_incident_is_reanalysed_only_for_a_new_kind_of_alert_after_the_window(org_a):
    from tests.incidents.factories import IncidentAlertFactory, IncidentFactory

    incident = IncidentFactory(organization=org_a)

    def join(name, service):
        alert = AlertFactory(organization=org_a, name=name, service=service)
        IncidentAlertFactory(organization=org_a, incident=incident, alert=alert)
        return alert.pk

    join("HighLatency", "frontend")
    first = triggers.incident_analysis_auto(incident=incident)
    assert first.version == 1 and first.trigger == "incident"
    assert triggers.incident_analysis_auto(incident=incident) is None  # incident.created delivered twice
    assert (
        triggers.incident_analysis_auto(incident=incident, new_alert_id=join("PostgresqlDown", "db")) is None
    )

    Analysis.objects.filter(pk=first.pk).update(status="ok", created_at=timezone.now() - timedelta(hours=2))
    same_kind = join("HighLatency", "frontend")
    assert triggers.incident_analysis_auto(incident=incident, new_alert_id=same_kind) is None
    second = triggers.incident_analysis_auto(incident=incident, new_alert_id=join("RedisDown", "cache"))
    assert second is not None and second.version == 2


def test_alerts_reusing_a_failed_llm_analysis_show_its_offline_fallback(org_a, openai_provider, openai_stub):
    openai_stub.set_default(500, json={"error": {"message": "boom"}})
    AnalysisPolicy.objects.create(organization=org_a, provider=openai_provider)
    first = AlertFactory(organization=org_a, name="HostOutOfMemory", service="web")
    twin = AlertFactory(organization=org_a, name="HostOutOfMemory", service="web")
    source = triggers.alert_analysis_auto(alert=first)
    reused = triggers.alert_analysis_auto(alert=twin)  # decided while the source is still pending
    assert reused.reused_from_id == source.pk
    services.analysis_execute(analysis_id=source.pk)
    reused.refresh_from_db()
    effective = reused.effective
    assert effective.status == AnalysisStatus.OK and effective.fallback_of_id == source.pk
    assert "memory" in effective.root_cause.lower()

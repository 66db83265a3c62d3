"""The sentences responders read: one per catalogued event, a generic fallback, failures contained."""
from datetime import timedelta

import pytest
from django.utils import timezone

from aiops import events
from apps.alerts.summary import alert_summary
from apps.timeline import formatters
from apps.timeline.formatters import register_formatter, render
from apps.timeline.models import TimelineEntry
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db


def _event(name, **data):
    return events.build_event(name, org=1, **data)


@pytest.mark.parametrize(("name", "data", "summary", "details"), [
    ("incident.created", {"incident_id": 5, "number": 42, "title": "Payment System Degraded",
                          "severity": "critical", "alert_count": 14},
     "Incident #42 opened: Payment System Degraded", "Severity: critical · 14 alerts grouped"),
    ("incident.alert_added", {"incident_id": 5, "number": 42, "alert_id": 9, "alert_title": "DB timeout",
                              "strategy": "topology", "reason": "db is upstream of api"},
     "Alert joined incident #42: DB timeout", "Matched by topology · db is upstream of api"),
    ("incident.alert_removed", {"incident_id": 5, "alert_id": 9},
     "Alert removed from incident #5: alert #9", ""),
    ("incident.status_changed", {"incident_id": 5, "number": 42, "old_status": "open",
                                 "new_status": "investigating", "note": "on it"},
     "Incident #42 status changed from open to investigating", "on it"),
    ("incident.commented", {"incident_id": 5, "number": 42, "body": "Database connection pool exhausted"},
     "Comment on incident #42: “Database connection pool exhausted”", ""),
    ("incident.root_cause_changed", {"incident_id": 5, "number": 42, "root_cause_service": "postgres"},
     "Root cause of incident #42 is now postgres", ""),
    ("change.recorded", {"service": "payment-service", "event_type": "deployment", "version": "v2.3.1",
                         "user": "developer@company.com", "commit_sha": "abc123"},
     "Change: payment-service deployment v2.3.1",
     "Service: payment-service · By: developer@company.com · Commit: abc123"),
    ("change.recorded", {"description": "Raise pool size", "author": "ops@company.com"},
     "Change: Raise pool size", "By: ops@company.com"),
    ("runbook.execution_finished", {"runbook_name": "Restart pool", "status": "failed", "target": "db-1",
                                    "started_at": "2024-05-01T14:30:00+00:00",
                                    "finished_at": "2024-05-01T14:30:45+00:00",
                                    "status_reason": "exit code 1"},
     "Runbook “Restart pool” finished: failed", "Duration: 45 s · db-1 · exit code 1"),
    ("runbook.execution_finished", {"runbook_name": "Restart Connection Pool", "status": "succeeded",
                                    "duration_seconds": 45},
     "Runbook “Restart Connection Pool” finished: succeeded", "Duration: 45 s"),
    ("runbook.approval_needed", {"runbook_name": "Failover DB"},
     "Runbook “Failover DB” waits for approval", ""),
    ("notification.delivered", {"channel_name": "#incidents", "status": "sent"},
     "Notification sent via #incidents", ""),
    ("escalation.fired", {"level": 2, "policy_name": "Payments on-call"},
     "Escalation level 2 fired: Payments on-call", ""),
    ("sla.breached", {"sla_name": "Critical: resolve in 1h", "target": "resolve"},
     "SLA breached: Critical: resolve in 1h", "resolve"),
    ("analysis.completed", {"incident_id": 5, "status": "completed", "root_cause": "Pool exhausted",
                            "confidence": 0.8},
     "AI analysis finished for incident #5", "Pool exhausted · Confidence: 0.8"),
    ("analysis.completed", {"alert_id": 3, "alert_title": "DB timeout", "status": "failed",
                            "failure_reason": "timeout"},
     "AI analysis failed for DB timeout", "timeout"),
])
def test_sentences(name, data, summary, details):
    rendered = render(_event(name, **data))
    assert rendered.summary == summary
    assert rendered.details == details


def test_every_catalogued_event_has_a_sentence():
    for name in events.CATALOGUE:
        assert formatters.formatter_for(name) is not formatters.GENERIC, name


def test_alert_sentences_and_times(org_a, users_a):
    started = timezone.now() - timedelta(minutes=10)
    alert = AlertFactory(organization=org_a, starts_at=started, summary="", name="DiskFull", service="",
                         instance="")

    def event(name, **data):
        return events.build_event(name, org=org_a, subject=alert, **data, **alert_summary(alert))

    fired = render(event("alert.received", is_new=True))
    assert fired.summary == "Alert fired: DiskFull"
    assert fired.details == "Severity: critical"
    assert fired.occurred_at == started

    update = event("alert.received", is_new=False)
    assert render(update).summary == "Alert updated: DiskFull"
    assert render(update).occurred_at > started  # a re-send happened when it arrived

    alert.ends_at = timezone.now() + timedelta(hours=1)  # a projected end is not the resolution time
    resolved = event("alert.resolved")
    assert render(resolved).occurred_at <= timezone.now()

    until = timezone.now() + timedelta(hours=2)
    silenced = render(event("alert.silenced", silenced_until=until.isoformat()))
    assert silenced.summary == f"Alert silenced until {timezone.localtime(until):%Y-%m-%d %H:%M}: DiskFull"


def test_member_alert_title_is_looked_up_in_the_organisation(org_a, org_b):
    mine = AlertFactory(organization=org_a, summary="Replica lag high")
    foreign = AlertFactory(organization=org_b, summary="Secret alert of B")
    added = events.build_event("incident.alert_added", org=org_a, incident_id=5, alert_id=mine.pk)
    assert render(added).summary == "Alert joined incident #5: Replica lag high"
    leak = events.build_event("incident.alert_added", org=org_a, incident_id=5, alert_id=foreign.pk)
    assert render(leak).summary == f"Alert joined incident #5: alert #{foreign.pk}"


def test_generic_fallback_reads_conventional_keys():
    assert formatters.GENERIC.summary(_event("prediction.breach_forecast", title="disk /var full in 3h")) == (
        "Prediction breach forecast: disk /var full in 3h")
    assert formatters.GENERIC.details(_event("feedback.recorded", status="done", reason="helpful")) == (
        "Status: done · helpful")
    assert formatters.GENERIC.summary(_event("feedback.recorded")) == "Feedback recorded"


def test_a_broken_formatter_falls_back_and_loses_nothing(org_a, publish, caplog):
    original = formatters.formatter_for("change.recorded")

    def broken(event):
        raise KeyError("version")

    register_formatter("change.recorded", broken)
    try:
        publish("change.recorded", org=org_a, title="deploy v9")
    finally:
        formatters._formatters["change.recorded"] = original
    entry = TimelineEntry.objects.get()
    assert entry.summary == "Change recorded: deploy v9"
    assert "timeline formatter failed" in caplog.text


def test_formatters_only_for_catalogued_events():
    with pytest.raises(ValueError):
        register_formatter("deploy.happened", lambda e: "")

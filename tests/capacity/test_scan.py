"""Scans against the real Prometheus fixture (30 days backfilled): the filling disk's ETAs are the
hand-computed ones, the sawtooth disk stays quiet, a predicted breach raises one predictive alert,
and the weekly report is e-mailed once through the notifications outbox to a real SMTP server.

Hand computation (tests/metrics/prometheus.py): the filling disk grows 45 % → 85 % over 30 days,
i.e. 40 / 30 = 1.333 points per day and 85 % now, so 90 % is (90 − 85) / 1.333 = 3.75 days away and
100 % is 15 / 1.333 = 11.25 days away; 80 % is already passed. To stay below 80 % for 90 days it needs
(85 + 1.333 × 90) / 0.8 = 256 % of today's capacity: add 156 %.
"""
from datetime import UTC, datetime

import pytest
from django.db import transaction

from aiops.models import Event
from apps.alerts.models import Alert
from apps.capacity import reports, services
from apps.capacity.exports import report_csv, report_markdown
from apps.capacity.models import CapacityMetric, CapacityReport
from tests.capacity.factories import CapacityThresholdFactory, ResourceQueryFactory
from tests.metrics.factories import MetricSourceFactory
from tests.notifications.factories import NotificationChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_commit(django_capture_on_commit_callbacks):
    def do(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return fn(*args, **kwargs)

    return do


@pytest.fixture
def disks(prometheus, org_a):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url)
    query = ResourceQueryFactory(organization=org_a, source=source, name="Disk", kind="disk",
                                 usage_query="disk_used_percent", capacity_query="100", unit="percent",
                                 name_labels="instance", step_seconds=3600, history_days=30)
    return query, datetime.fromtimestamp(prometheus.end, UTC)


def _by_instance(rows):
    return {r.labels["instance"]: r for r in rows}


def test_filling_disk_eta_matches_hand_computation_sawtooth_quiet(disks, org_a, run_commit):
    query, end = disks
    CapacityThresholdFactory(organization=org_a, name="Disks", resource_type="disk", warning_threshold=80,
                             critical_threshold=90, forecast_days=7)
    rows = _by_instance(run_commit(services.scan, query=query, end=end))
    filling, saw = rows["web-1"], rows["web-2"]

    assert filling.usage_trend == "increasing"
    assert filling.growth_per_day == pytest.approx(40 / 30, rel=0.03)
    assert filling.eta["80"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0}
    assert filling.eta["90"]["p50"] == pytest.approx(3.75, rel=0.05)
    assert filling.eta["100"]["p50"] == pytest.approx(11.25, rel=0.05)
    for level in ("90", "100"):
        band = filling.eta[level]
        assert band["p10"] <= band["p50"] <= band["p90"]
    assert filling.days_to_exhaustion == pytest.approx(11.25, rel=0.05)
    assert filling.predicted_exhaustion.date() == (end + (filling.predicted_exhaustion - end)).date()

    assert saw.usage_trend == "stable" and abs(saw.growth_per_day) < 0.1
    assert saw.eta == {"80": None, "90": None, "100": None} and saw.days_to_exhaustion is None

    [alert] = Alert.objects.filter(organization=org_a, labels__kind="predictive")
    assert alert.labels["instance"] == "web-1" and alert.labels["severity"] == "critical"
    assert "predicted to hit 90 % in 4 days" in alert.annotations["summary"]
    assert Event.objects.filter(name="capacity.breach_forecast").count() == 1

    run_commit(services.scan, query=query, end=end)  # a rescan updates rows, does not duplicate alerts
    assert CapacityMetric.objects.filter(query=query).count() == 2
    assert Alert.objects.filter(organization=org_a, labels__kind="predictive", status="firing").count() == 1
    assert Event.objects.filter(name="capacity.breach_forecast").count() == 1


def test_weekly_report_numbers_and_email(disks, org_a, run_commit, smtp_server):
    query, end = disks
    services.scan(query=query, end=end)
    NotificationChannelFactory(organization=org_a, kind="email", name="email", config={
        "smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "security": "none",
        "from_address": "aiops@example.com", "to_addresses": "capacity@example.com"})
    assert run_commit(reports.scheduled_reports, now=end) == 2  # this week's and this month's
    assert run_commit(reports.scheduled_reports, now=end) == 0
    weekly = CapacityReport.objects.get(report_type="weekly")
    data = weekly.report_data
    assert data["summary"] == {"attention": 1, "critical": 1, "warning": 0, "healthy": 1, "total": 2}
    [entry] = data["critical"]
    assert entry["resource"] == "web-1" and entry["level"] == 90
    assert entry["eta_days"] == pytest.approx(3.75, rel=0.05)
    assert entry["growth_per_day"] == pytest.approx(1.33, abs=0.05)
    assert entry["recommendation"].startswith("Add 15") and "% of today's capacity to stay below 80 % for 90 days" \
        in entry["recommendation"]
    assert weekly.recommendations == [f"web-1 (Disk): {entry['recommendation']}"]
    markdown = report_markdown(weekly)
    assert "WEEKLY CAPACITY REPORT - Week of" in markdown and "🔴 web-1: Disk" in markdown
    assert "HEALTHY RESOURCES (1)" in markdown
    assert report_csv(weekly).splitlines()[1].startswith("critical,web-1,disk,")
    assert Event.objects.filter(name="capacity.report_ready").count() == 2
    mails = smtp_server.wait_for(2)
    assert {tuple(m.rcpt_tos) for m in mails} == {("capacity@example.com",)}
    body = mails[0].message.get_body(("plain",)).get_content()
    assert "web-1" in body and "Recommendation" in body

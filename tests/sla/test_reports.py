"""Compliance report figures against a hand-computed fixture; monthly generation e-mailed once."""
from datetime import UTC, datetime, timedelta

import pytest

from aiops.models import Event
from apps.sla import services
from apps.sla.exports import report_csv, report_markdown, report_text
from apps.sla.models import ComplianceReport
from tests.notifications.factories import NotificationChannelFactory
from tests.sla.factories import ItemEventFactory, SLABreachFactory, SLAClockFactory, SLADefinitionFactory

pytestmark = pytest.mark.django_db
NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)


def _item(org, sla, subject_id, day, mtta, mttr, breach=None, reason=""):
    started = NOV + timedelta(days=day)
    clocks = {}
    for target, minutes in (("mtta", mtta), ("mttr", mttr)):
        clocks[target] = SLAClockFactory(
            organization=org, sla=sla, subject_id=subject_id, target=target,
            target_seconds=sla.target_minutes(target) * 60, started_at=started, elapsed_seconds=minutes * 60,
            stopped_at=started + timedelta(minutes=minutes), state="met")
    if breach:
        SLABreachFactory(organization=org, clock=clocks[breach], sla=sla, alert_id=subject_id, breach_type=breach,
                         target_value=sla.target_minutes(breach), actual_value=mtta if breach == "mtta" else mttr,
                         breached_at=started + timedelta(minutes=sla.target_minutes(breach)), reason=reason)


@pytest.fixture
def november(org_a):
    critical = SLADefinitionFactory(organization=org_a, name="Critical SLA", target_mtta_minutes=5,
                                    target_mttr_minutes=30, target_availability=99.9, target_success_rate=40)
    payment = SLADefinitionFactory(organization=org_a, name="Payment System SLA", target_mtta_minutes=2,
                                   target_mttr_minutes=15)
    _item(org_a, critical, 1, 1, mtta=2, mttr=20)
    _item(org_a, critical, 2, 2, mtta=4, mttr=40, breach="mttr", reason="complex_root_cause")
    _item(org_a, critical, 3, 3, mtta=10, mttr=25, breach="mtta", reason="oncall_unavailable")
    _item(org_a, critical, 4, 4, mtta=1, mttr=10)
    _item(org_a, payment, 5, 5, mtta=1, mttr=5)
    SLAClockFactory(organization=org_a, sla=payment, subject_id=6, started_at=NOV - timedelta(days=2),
                    elapsed_seconds=999, stopped_at=NOV - timedelta(days=1))  # October: not in the report
    ItemEventFactory(organization=org_a, subject_id=1, kind="runbook_succeeded", at=NOV + timedelta(days=1))
    ItemEventFactory(organization=org_a, subject_id=2, kind="runbook_failed", at=NOV + timedelta(days=2))
    return critical, payment


def test_figures_match_the_hand_computation(org_a, november):
    report = services.report_generate(organization_id=org_a.pk, period_start=NOV, period_end=DEC)
    critical = report.slas.get(sla=november[0])
    assert (critical.actual_mtta_minutes, critical.mtta_p50_minutes, critical.mtta_p90_minutes) == (4.25, 2, 10)
    assert (critical.actual_mttr_minutes, critical.mttr_p50_minutes, critical.mttr_p90_minutes) == (23.75, 20, 40)
    assert critical.total_incidents == 4 and critical.breached_incidents == 2 and critical.compliance_percent == 50
    # 95 minutes with a covered item open, of 30 days.
    assert critical.actual_availability == round(100 * (1 - 95 / (30 * 24 * 60)), 4)
    assert critical.actual_success_rate == 50
    assert critical.mtta_compliant and critical.mttr_compliant and critical.success_rate_compliant
    assert critical.availability_compliant is False and critical.overall_compliant is False
    payment = report.slas.get(sla=november[1])
    assert payment.total_incidents == 1 and payment.compliance_percent == 100 and payment.overall_compliant
    assert report.total_items == 5 and report.breached_items == 2 and report.overall_compliance == 60
    assert report.breaches_by_type == [{"type": "mtta", "sla": "Critical SLA", "count": 1},
                                       {"type": "mttr", "sla": "Critical SLA", "count": 1}]
    assert [r["reason"] for r in report.top_reasons] == ["complex_root_cause", "oncall_unavailable"]
    again = services.report_generate(organization_id=org_a.pk, period_start=NOV, period_end=DEC)
    assert again.pk == report.pk and again.slas.count() == 2


def test_exports_follow_the_brief(org_a, november):
    report = services.report_generate(organization_id=org_a.pk, period_start=NOV, period_end=DEC)
    text = report_text(report)
    assert text.startswith("SLA COMPLIANCE REPORT - November 2026")
    assert "Overall Compliance: 60.0%" in text
    assert "Critical SLA" in text and "50.0% ⚠" in text and "100.0% ✓" in text
    assert "BREACHES THIS PERIOD: 2" in text and "• 1 MTTR breaches (Critical SLA)" in text
    assert "1. Complex root cause (1)" in text and "2. On-call not available (1)" in text
    rows = report_csv(report).splitlines()
    assert rows[0].startswith("sla,period_start,period_end,items,items_breached,compliance_percent")
    assert rows[1].startswith("Critical SLA,2026-11-01T00:00:00+00:00,2026-12-01T00:00:00+00:00,4,2,50.0,4.25,2.0,10.0")
    assert rows[-1].startswith("overall,") and ",5,2,60.0" in rows[-1]
    assert "| Critical SLA | 50.0% | 4.25 / 2 / 10 | 23.75 / 20 / 40 |" in report_markdown(report)


def test_monthly_report_is_generated_and_emailed_once(org_a, november, run_commit, smtp_server):
    NotificationChannelFactory(organization=org_a, kind="email", name="email", config={
        "smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "security": "none",
        "from_address": "aiops@example.com", "to_addresses": "sla@example.com"})
    assert run_commit(services.reports_monthly, now=DEC + timedelta(hours=2)) == 1
    assert run_commit(services.reports_monthly, now=DEC + timedelta(hours=3)) == 0
    report = ComplianceReport.objects.get()
    assert (report.period_start, report.period_end) == (NOV, DEC) and report.emailed_at
    assert Event.objects.filter(name="sla.report_ready").count() == 1
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["sla@example.com"]
    body = mail.message.get_body(("plain",)).get_content()
    assert "Overall Compliance: 60.0%" in body and "Critical SLA" in body


def test_sql_aggregates_equal_the_row_by_row_figures(org_a):
    """PostgreSQL's aggregation (counts, means, percentile_disc, the spans' union) against the
    row-by-row computation: overlapping, nested, open and clipped MTTR spans, even and odd counts,
    alerts and incidents sharing ids, breaches."""
    from apps.sla import reports

    sla = SLADefinitionFactory(organization=org_a, name="Mixed", target_mtta_minutes=5, target_mttr_minutes=30)
    spans = [(0, 50), (10, 20), (40, 90), (200, 230), (230, 260), (300, None), (-30, 20)]  # minutes from NOV + 1 day
    day = NOV + timedelta(days=1)
    for n, (begin, finish) in enumerate(spans):
        started = day + timedelta(minutes=begin)
        for kind in ("alert", "incident") if n % 2 else ("alert",):
            clock = SLAClockFactory(
                organization=org_a, sla=sla, subject_kind=kind, subject_id=n, target="mttr", target_seconds=1800,
                started_at=started, elapsed_seconds=(finish - begin) * 60 if finish is not None else 0,
                stopped_at=day + timedelta(minutes=finish) if finish is not None else None)
            SLAClockFactory(organization=org_a, sla=sla, subject_kind=kind, subject_id=n, target="mtta",
                            started_at=started, elapsed_seconds=60 * (n + 1), stopped_at=started + timedelta(minutes=n))
            if n in (1, 4):
                SLABreachFactory(organization=org_a, clock=clock, sla=sla, breach_type="mttr", target_value=30,
                                 actual_value=40, breached_at=started + timedelta(minutes=30))
    # Open at the period's end:
    SLAClockFactory(organization=org_a, sla=sla, target="mttr", started_at=DEC - timedelta(minutes=10))
    in_sql = reports._clock_figures_sql(sla, NOV, DEC)
    by_rows = reports._clock_figures_python(sla, NOV, DEC)
    by_rows["items"], by_rows["breached"] = len(by_rows["items"]), len(by_rows["breached"])
    assert in_sql["items"] == 11 and in_sql["breached"] == 3  # 7 alerts, 3 incidents, the open one; 2 + 1 breached
    for key in ("items", "breached", "has_mttr"):
        assert in_sql[key] == by_rows[key], key
    assert in_sql["down"] == pytest.approx(by_rows["down"])
    # -30 to 90, 200 to 260, 300 to the period's end (which swallows the last clock's 10 minutes).
    assert in_sql["down"] == pytest.approx((120 + 60) * 60 + (DEC - day - timedelta(minutes=300)).total_seconds())
    for target in ("mtta", "mttr"):
        assert in_sql[target] == pytest.approx(by_rows[target]), target
    report = services.report_generate(organization_id=org_a.pk, period_start=NOV, period_end=DEC)
    assert (report.total_items, report.breached_items) == (11, 3)

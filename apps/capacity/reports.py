"""Capacity reports in the brief's layout: summary, critical (≤ 7 days), warning (≤ 30 days), healthy.

A resource is *critical* when its predicted time to its critical level (P50) is at most 7 days,
*warning* when its time to the critical or warning level is at most 30 days, healthy otherwise; the
levels are the first matching enabled threshold's (80 / 90 % without one). Each entry carries
current %, growth per day, the ETA and a recommendation with a number in it; "changes" compares
with the previous report of the organisation.
"""
from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops import events

from . import conf, recommend, rightsizing, services
from .choices import ReportType
from .models import CapacityMetric, CapacityReport, CapacityThreshold

CRITICAL_DAYS, WARNING_DAYS = 7, 30


def _levels(thresholds, metric) -> tuple[float, float]:
    for threshold in thresholds:
        if services.threshold_matches(threshold, metric):
            return threshold.warning_threshold, threshold.critical_threshold
    return 80.0, 90.0


def classify(metric, warning: float, critical: float) -> tuple[str, float | None, float]:
    """(section, days, level) for one resource."""
    to_critical = services.eta_days(metric, critical)
    to_warning = services.eta_days(metric, warning)
    if to_critical is not None and to_critical <= CRITICAL_DAYS:
        return "critical", to_critical, critical
    if to_critical is not None and to_critical <= WARNING_DAYS:
        return "warning", to_critical, critical
    if to_warning is not None and to_warning <= WARNING_DAYS:
        return "warning", to_warning, warning
    return "healthy", to_critical, critical


def build(organization_id: int) -> dict:
    thresholds = list(CapacityThreshold.objects.filter(organization_id=organization_id, enabled=True))
    sections: dict[str, list] = {"critical": [], "warning": [], "healthy": []}
    for metric in CapacityMetric.objects.filter(organization_id=organization_id).order_by("resource_name", "pk"):
        warning, critical = _levels(thresholds, metric)
        section, days, level = classify(metric, warning, critical)
        sections[section].append({
            "metric_id": metric.pk, "resource": metric.resource_name, "kind": metric.resource_type,
            "kind_label": str(metric.get_resource_type_display()), "current_percent": round(metric.usage_percent, 1),
            "growth_per_day": round(metric.growth_per_day, 2), "trend": metric.usage_trend,
            "level": level, "eta_days": None if days is None else round(days, 1), "eta": metric.eta,
            "recommendation": recommend.recommendation(metric, warning=warning)})
    for key in ("critical", "warning"):
        sections[key].sort(key=lambda e: (e["eta_days"] is None, e["eta_days"] or 0))
    return {"summary": {"attention": len(sections["critical"]) + len(sections["warning"]),
                        "critical": len(sections["critical"]), "warning": len(sections["warning"]),
                        "healthy": len(sections["healthy"]),
                        "total": sum(len(v) for v in sections.values())},
            **sections}


def changes(previous: CapacityReport | None, data: dict) -> dict:
    if previous is None:
        return {}
    def where(report_data):
        return {e["metric_id"]: s for s in ("critical", "warning", "healthy") for e in report_data.get(s, [])}
    before, now = where(previous.report_data), where(data)
    return {"previous_id": previous.pk, "previous_at": previous.generated_at.isoformat(),
            "new": sorted(set(now) - set(before)), "gone": sorted(set(before) - set(now)),
            "moved": [{"metric_id": k, "from": before[k], "to": v} for k, v in sorted(now.items())
                      if k in before and before[k] != v]}


def period_start(report_type: str, today: date) -> date:
    if report_type == ReportType.WEEKLY:
        return today - timedelta(days=today.weekday())
    if report_type == ReportType.MONTHLY:
        return today.replace(day=1)
    return today


def _rightsizing(organization_id: int, now) -> dict:
    """Right-sizing over the organisation's enabled metric sources (queried before the report's
    transaction opens; a source without Kubernetes series adds nothing)."""
    if not conf.rightsizing_enabled():
        return {}
    from apps.metrics.models import MetricSource

    sources = list(MetricSource.objects.filter(organization_id=organization_id, enabled=True).order_by("pk"))
    return rightsizing.section(sources, end=rightsizing.window_end(now), days=conf.rightsizing_days(),
                              headroom=conf.rightsizing_headroom())


def report_generate(*, organization_id: int, report_type: str, user_id: int | None = None, now=None) -> CapacityReport:
    now = now or timezone.now()
    sized = _rightsizing(organization_id, now)
    with transaction.atomic():
        return _report_create(organization_id, report_type, user_id, now, sized)


def _report_create(organization_id, report_type, user_id, now, sized) -> CapacityReport:
    data = build(organization_id)
    if sized.get("rows"):
        data["rightsizing"] = sized
    previous = CapacityReport.objects.filter(organization_id=organization_id).order_by("-generated_at", "-id").first()
    data["changes"] = changes(previous, data)
    recommendations = [f"{e['resource']} ({e['kind_label']}): {e['recommendation']}"
                       for e in data["critical"] + data["warning"]]
    return CapacityReport.objects.create(organization_id=organization_id, report_type=report_type, generated_at=now,
                                         period_start=period_start(report_type, now.date()), report_data=data,
                                         recommendations=recommendations, generated_by_id=user_id)


def report_announce(*, report: CapacityReport) -> None:
    """Publish `capacity.report_ready`; notifications e-mails it to CAPACITY_REPORT_CHANNEL (name or type)."""
    from .exports import report_markdown, report_title, report_url

    events.publish("capacity.report_ready", org=report.organization_id, subject=report, id=report.pk,
                   report_id=report.pk, title=report_title(report), report_type=report.report_type,
                   summary=report.report_data.get("summary", {}), url=report_url(report),
                   notifications=[{"channel": conf.report_channel(), "message": report_markdown(report)}])


def scheduled_reports(now=None) -> int:
    """This week's and this month's report for every organisation with resources, made and announced once."""
    now = now or timezone.now()
    made = 0
    orgs = sorted(set(CapacityMetric.objects.values_list("organization_id", flat=True)))
    for report_type in (ReportType.WEEKLY, ReportType.MONTHLY):
        start = period_start(report_type, now.date())
        for org_id in orgs:
            if CapacityReport.objects.filter(organization_id=org_id, report_type=report_type,
                                             period_start=start).exists():
                continue
            try:
                with transaction.atomic():
                    report = report_generate(organization_id=org_id, report_type=report_type, now=now)
                    report.emailed_at = now
                    report.save(update_fields=["emailed_at", "updated_at"])
                    report_announce(report=report)
                    made += 1
            except IntegrityError:
                continue  # another tick made it at the same moment
    return made


def request_report(*, organization, user=None, report_type: str = ReportType.ON_DEMAND, email: bool = False):
    with transaction.atomic():
        report = report_generate(organization_id=organization.pk, report_type=report_type,
                                 user_id=getattr(user, "pk", None))
        if email:
            report.emailed_at = timezone.now()
            report.save(update_fields=["emailed_at", "updated_at"])
            report_announce(report=report)
    return report

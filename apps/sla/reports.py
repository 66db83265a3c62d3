"""Compliance reports: per SLA and period (a month by default, any range), and over all of them.

Figures come from the clocks started in the period (the item's opening decides its month):
- MTTA / MTTR: mean, p50 and p90 (nearest rank) of the stopped clocks' business-time minutes;
- compliance: the share of covered items with no breach; overall: the same over every SLA;
- availability: the share of the period in which no item covered by the SLA was open (opening to
  resolution, from its MTTR clocks);
- remediation success rate: succeeded / finished runbook runs on the covered items.

On PostgreSQL the clocks are aggregated by the database (counts, means, `percentile_disc` for
the nearest-rank percentiles, the open spans' union by gaps and islands), so a month of a million
alerts is a few queries, never a million rows in Python; other databases compute the same row by row.
"""
from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aiops import events

from . import conf
from .calendar import merge
from .choices import BreachReason, ItemEventKind, Target
from .models import ComplianceReport, ItemEvent, SLABreach, SLAClock, SLADefinition, SLAReport


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar month (UTC) that holds `moment`."""
    moment = moment.astimezone(UTC)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def previous_month(now: datetime) -> tuple[datetime, datetime]:
    start, _end = month_bounds(now)
    return month_bounds(start - timedelta(days=1))


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of the values; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _mean(values):
    return sum(values) / len(values) if values else None


def _r(value, digits=2):
    return None if value is None else round(value, digits)


def _clock_figures_python(sla: SLADefinition, start: datetime, end: datetime) -> dict:
    """The clocks' figures computed row by row (databases other than PostgreSQL)."""
    clocks = list(SLAClock.objects.filter(sla=sla, started_at__gte=start, started_at__lt=end).values(
        "id", "subject_kind", "subject_id", "target", "elapsed_seconds", "stopped_at", "started_at"))
    items = {(c["subject_kind"], c["subject_id"]) for c in clocks}
    breached_ids = set(SLABreach.objects.filter(clock__sla=sla, clock__started_at__gte=start,
                                                clock__started_at__lt=end).values_list("clock_id", flat=True))
    breached = {(c["subject_kind"], c["subject_id"]) for c in clocks if c["id"] in breached_ids}
    figures = {"items": items, "breached": breached}
    for target in (Target.MTTA, Target.MTTR):
        minutes = [c["elapsed_seconds"] / 60 for c in clocks if c["target"] == target and c["stopped_at"]]
        figures[target] = (_mean(minutes), percentile(minutes, .5), percentile(minutes, .9))
    open_spans = merge([(max(c["started_at"], start), min(c["stopped_at"] or end, end))
                        for c in clocks if c["target"] == Target.MTTR])
    figures["down"] = sum(((e - s).total_seconds() for s, e in open_spans if e and e > s), 0.0)
    figures["has_mttr"] = any(c["target"] == Target.MTTR for c in clocks)
    return figures


# Items (an alert or incident, whatever its clocks) and the items with a breach, hashed by item.
_ITEMS_SQL = """
    SELECT count(*), count(*) FILTER (WHERE breached) FROM (
        SELECT c.subject_kind, c.subject_id, bool_or(b.id IS NOT NULL) AS breached
        FROM {clock} c LEFT JOIN {breach} b ON b.clock_id = c.id
        WHERE c.{owner} = %s AND c.started_at >= %s AND c.started_at < %s
        GROUP BY c.subject_kind, c.subject_id) items"""

_TIMES_SQL = """
    SELECT target, count(*), avg(elapsed_seconds) / 60,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY elapsed_seconds) / 60,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY elapsed_seconds) / 60
    FROM {clock} WHERE sla_id = %s AND started_at >= %s AND started_at < %s AND stopped_at IS NOT NULL
    GROUP BY target"""

# The length of the union of the MTTR clocks' open spans (clipped to the period), in one pass:
# sorted by start, a span adds what lies past the latest end of the spans before it.
_DOWN_SQL = """
    WITH spans AS (
        SELECT greatest(started_at, %(start)s) AS s, least(coalesce(stopped_at, %(end)s), %(end)s) AS e
        FROM {clock} WHERE sla_id = %(sla)s AND target = 'mttr' AND started_at >= %(start)s
              AND started_at < %(end)s),
    ordered AS (
        SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
        FROM spans WHERE e > s)
    SELECT (SELECT count(*) FROM spans),
           coalesce(sum(extract(epoch FROM e - greatest(s, coalesce(before, s)))) FILTER (WHERE e > before
                                                                                         OR before IS NULL), 0)
    FROM ordered"""


def _sql(query: str, params, **names) -> list[tuple]:
    tables = {"clock": SLAClock._meta.db_table, "breach": SLABreach._meta.db_table}
    with connection.cursor() as cursor:
        cursor.execute(query.format(**tables, **names), params)
        return cursor.fetchall()


def _clock_figures_sql(sla: SLADefinition, start: datetime, end: datetime) -> dict:
    """The same figures aggregated by PostgreSQL: three queries per SLA, whatever the row count."""
    items, breached = _sql(_ITEMS_SQL, [sla.pk, start, end], owner="sla_id")[0]
    figures = {"items": items, "breached": breached}
    times = {row[0]: row[2:] for row in _sql(_TIMES_SQL, [sla.pk, start, end])}
    for target in (Target.MTTA, Target.MTTR):
        figures[target] = times.get(target, (None, None, None))
    mttr_clocks, down = _sql(_DOWN_SQL, {"sla": sla.pk, "start": start, "end": end})[0]
    figures["down"], figures["has_mttr"] = float(down), bool(mttr_clocks)
    return figures


def _in_sql() -> bool:
    return connection.vendor == "postgresql"


def _sla_figures(sla: SLADefinition, start: datetime, end: datetime) -> dict:
    clocks = (_clock_figures_sql if _in_sql() else _clock_figures_python)(sla, start, end)
    items, breached = clocks["items"], clocks["breached"]
    n_items = items if isinstance(items, int) else len(items)
    n_breached = breached if isinstance(breached, int) else len(breached)
    breaches = list(SLABreach.objects.filter(clock__sla=sla, clock__started_at__gte=start,
                                             clock__started_at__lt=end).order_by("breached_at"))
    availability = 100.0 * (1 - clocks["down"] / (end - start).total_seconds()) if clocks["has_mttr"] else None
    covered = SLAClock.objects.filter(sla=sla, subject_kind="alert", started_at__gte=start, started_at__lt=end)
    runs = Counter(ItemEvent.objects.filter(
        organization_id=sla.organization_id, subject_kind="alert", subject_id__in=covered.values("subject_id"),
        kind__in=[ItemEventKind.RUNBOOK_SUCCEEDED, ItemEventKind.RUNBOOK_FAILED],
        at__gte=start, at__lt=end).values_list("kind", flat=True))
    total_runs = sum(runs.values())
    success = 100.0 * runs[ItemEventKind.RUNBOOK_SUCCEEDED] / total_runs if total_runs else None
    (mtta, mtta_p50, mtta_p90), (mttr, mttr_p50, mttr_p90) = clocks[Target.MTTA], clocks[Target.MTTR]

    def ok(actual, target, higher_is_better=False):
        if actual is None or target is None:
            return None
        return actual >= target if higher_is_better else actual <= target

    flags = {"mtta_compliant": ok(mtta, sla.target_mtta_minutes), "mttr_compliant": ok(mttr, sla.target_mttr_minutes),
             "availability_compliant": ok(availability, sla.target_availability, True),
             "success_rate_compliant": ok(success, sla.target_success_rate, True)}
    known = [v for v in flags.values() if v is not None]
    return {
        "actual_mtta_minutes": _r(mtta), "mtta_p50_minutes": _r(mtta_p50), "mtta_p90_minutes": _r(mtta_p90),
        "actual_mttr_minutes": _r(mttr), "mttr_p50_minutes": _r(mttr_p50), "mttr_p90_minutes": _r(mttr_p90),
        "actual_availability": _r(availability, 4), "actual_success_rate": _r(success),
        **flags, "overall_compliant": all(known) if known else None,
        "compliance_percent": _r(100.0 * (n_items - n_breached) / n_items) if n_items else None,
        "total_incidents": n_items, "breached_incidents": n_breached,
        "breach_details": [{"breach_id": b.pk, "type": b.breach_type, "alert_id": b.alert_id,
                            "incident_id": b.incident_id, "target": b.target_value, "actual": b.actual_value,
                            "breached_at": b.breached_at.isoformat(), "reason": b.effective_reason,
                            "reason_text": b.reason_text} for b in breaches],
        "_items": items, "_breached": breached,
    }


def _overall(organization_id: int, start: datetime, end: datetime, items, breached, rows: list) -> tuple[int, int]:
    """Items (and items breached) over every SLA: each item counts once however many SLAs cover it."""
    counted = [r for r in rows if r.total_incidents]
    if len(counted) <= 1:  # one SLA with items: its own figures
        return (counted[0].total_incidents, counted[0].breached_incidents) if counted else (0, 0)
    if _in_sql():
        return tuple(_sql(_ITEMS_SQL, [organization_id, start, end], owner="organization_id")[0])
    return len(items), len(breached)


@transaction.atomic
def report_generate(*, organization_id: int, period_start: datetime, period_end: datetime, user=None,
                    now: datetime | None = None) -> ComplianceReport:
    """(Re)compute the report of a period for every SLA of the organisation; returns it."""
    if period_end <= period_start:
        raise ValueError(_("The period must end after it starts."))
    now = now or timezone.now()
    report, _created = ComplianceReport.objects.update_or_create(
        organization_id=organization_id, period_start=period_start, period_end=period_end,
        defaults={"generated_at": now, **({"created_by": user} if user else {})})
    report.slas.all().delete()
    all_items, all_breached, by_type, reasons, breach_count, rows = set(), set(), Counter(), Counter(), 0, []
    for sla in SLADefinition.objects.filter(organization_id=organization_id).order_by("name"):
        figures = _sla_figures(sla, period_start, period_end)
        items, breached = figures.pop("_items"), figures.pop("_breached")
        if not figures["total_incidents"] and not sla.is_active:
            continue
        rows.append(SLAReport.objects.create(organization_id=organization_id, report=report, sla=sla,
                                             period_start=period_start, period_end=period_end, **figures))
        if not isinstance(items, int):
            all_items |= items
            all_breached |= breached
        for b in figures["breach_details"]:
            breach_count += 1
            by_type[(b["type"], sla.name)] += 1
            if b["reason"]:
                reasons[b["reason"]] += 1
    total, breached_total = _overall(organization_id, period_start, period_end, all_items, all_breached, rows)
    report.total_items, report.breached_items, report.breach_count = total, breached_total, breach_count
    report.overall_compliance = _r(100.0 * (total - breached_total) / total) if total else None
    report.breaches_by_type = [{"type": t, "sla": name, "count": n}
                               for (t, name), n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))]
    labels = dict(BreachReason.choices)
    report.top_reasons = [{"reason": r, "label": str(labels.get(r, r)), "count": n}
                          for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
    report.save()
    return report


def reports_monthly(*, now: datetime | None = None) -> int:
    """Beat: last month's report of every organisation with an SLA, generated and e-mailed once."""
    now = now or timezone.now()
    start, end = previous_month(now)
    made = 0
    orgs = set(SLADefinition.objects.values_list("organization_id", flat=True))
    done = set(ComplianceReport.objects.filter(period_start=start, period_end=end, emailed_at__isnull=False)
               .values_list("organization_id", flat=True))
    for org_id in sorted(orgs - done):
        try:
            with transaction.atomic():
                report = report_generate(organization_id=org_id, period_start=start, period_end=end, now=now)
                locked = ComplianceReport.objects.select_for_update().get(pk=report.pk)
                if locked.emailed_at is not None:
                    continue
                locked.emailed_at = now
                locked.save(update_fields=["emailed_at", "updated_at"])
                report_announce(report=locked)
                made += 1
        except IntegrityError:
            continue  # another tick made it at the same moment
    return made


def report_announce(*, report: ComplianceReport) -> None:
    """Publish `sla.report_ready`; notifications e-mails it to SLA_REPORT_CHANNEL (name or type)."""
    from .exports import report_text, report_url

    events.publish("sla.report_ready", org=report.organization_id, subject=report, id=report.pk,
                   report_id=report.pk, title=_("SLA compliance report %(period)s") % {
                       "period": f"{report.period_start:%B %Y}"},
                   period_start=report.period_start.isoformat(), period_end=report.period_end.isoformat(),
                   overall_compliance=report.overall_compliance, breaches=report.breach_count,
                   url=report_url(report), notifications=[{"channel": conf.report_channel(),
                                                           "message": report_text(report)}])

"""Feedback statistics: the figures behind the brief's success criteria, for the API and the portal.

- "70%+ rated helpful": share of analysis ratings that are `helpful` (and helpful or partially
  helpful), average stars, accuracy per section;
- "repeat incorrect suggestions reduced by 50%": share of repeat checks (analyses that had a
  known-failed suggestion to avoid) that repeated one, this window against the previous window of
  the same length;
- most common successful fixes, trends per bucket, and the same figures by provider and by
  alert pattern.

Everything is aggregated in the database (counts per day, then bucketed here), so the figures
cost a handful of grouped queries however many ratings are stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncDate

from . import conf
from .choices import FeedbackType, Section
from .models import AnalysisFeedback, RemediationFeedback, RepeatCheck, SuccessfulRemediation
from .outcomes import entry_records, feedback_records, pool

TOP_PATTERNS = 20
TOP_FIXES = 10
_VERDICTS = {t.value: Count("id", filter=Q(feedback_type=t.value)) for t in FeedbackType}


def _ratio(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def _rates(row: dict) -> dict:
    count = row.get("count") or 0
    helpful, partial = row.get("helpful") or 0, row.get("partially_helpful") or 0
    average = row.get("average_rating")
    return {
        "count": count,
        **{t.value: row.get(t.value) or 0 for t in FeedbackType},
        "helpful_rate": _ratio(helpful, count),
        "positive_rate": _ratio(helpful + partial, count),
        "average_rating": round(average, 2) if average is not None else None,
        "rated": row.get("rated") or 0,
    }


_AGG = {"count": Count("id"), **_VERDICTS, "average_rating": Avg("rating"), "rated": Count("rating")}


def _repeat(checks) -> dict:
    row = checks.aggregate(total=Count("id"), repeated=Count("id", filter=Q(repeated=True)))
    return {
        "checks": row["total"],
        "repeated": row["repeated"],
        "rate": _ratio(row["repeated"], row["total"]),
    }


def _bucket_edges(after: datetime, before: datetime, days: int) -> list[datetime]:
    edges, at = [], after
    while at < before:
        edges.append(at)
        at += timedelta(days=days)
    return edges


def _bucketed(rows, edges: list[datetime], fields: tuple[str, ...]) -> list[dict]:
    buckets = [dict.fromkeys(fields, 0) for _ in edges]
    for row in rows:
        day = row["day"]
        index = 0
        for i, edge in enumerate(edges):
            if day >= edge.date():
                index = i
        for name in fields:
            buckets[index][name] += row.get(name) or 0
    return buckets


def _trend(analysis_fb, checks, after, before, days) -> list[dict]:
    edges = _bucket_edges(after, before, days)
    per_day = (
        analysis_fb.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            count=Count("id"),
            helpful=Count("id", filter=Q(feedback_type=FeedbackType.HELPFUL)),
            rating_sum=Sum("rating"),
            rated=Count("rating"),
        )
        .order_by("day")
    )
    check_days = (
        checks.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(checks=Count("id"), repeated=Count("id", filter=Q(repeated=True)))
        .order_by("day")
    )
    ratings = _bucketed(per_day, edges, ("count", "helpful", "rating_sum", "rated"))
    repeats = _bucketed(check_days, edges, ("checks", "repeated"))
    return [
        {
            "start": edge.date().isoformat(),
            "count": r["count"],
            "helpful_rate": _ratio(r["helpful"], r["count"]),
            "average_rating": round(r["rating_sum"] / r["rated"], 2) if r["rated"] else None,
            "repeat_checks": c["checks"],
            "repeat_rate": _ratio(c["repeated"], c["checks"]),
        }
        for edge, r, c in zip(edges, ratings, repeats, strict=True)
    ]


def _top_fixes(feedback, sections, entries) -> list[dict]:
    worked = [o for o in pool(feedback_records(feedback, sections) + entry_records(entries)) if o.worked > o.failed]
    worked.sort(key=lambda o: (-o.worked, o.failed))
    return [
        {
            "solution": o.text,
            "worked": o.worked,
            "failed": o.failed,
            "runbook": o.runbook,
            "alert_patterns": o.patterns[:5],
            "library_entries": o.entry_ids[:5],
        }
        for o in worked[:TOP_FIXES]
    ]


def feedback_stats(
    *,
    organization,
    user=None,
    after: datetime | None = None,
    before: datetime | None = None,
    provider_kind: str | None = None,
    alert_pattern: str | None = None,
    bucket_days: int | None = None,
) -> dict:
    """All figures for [after, before) (default: the last FEEDBACK_STATS_DAYS days)."""
    from django.utils import timezone

    before = before or timezone.now()
    after = after or before - timedelta(days=conf.stats_days())
    days = max(int(bucket_days or conf.trend_bucket_days()), 1)

    def scoped(model):
        qs = model.objects.for_org(organization)
        qs = qs.visible_to(user) if user is not None else qs
        if alert_pattern:
            qs = qs.filter(alert_pattern=alert_pattern)
        return qs

    feedback = scoped(RemediationFeedback)
    sections = scoped(AnalysisFeedback)
    checks = scoped(RepeatCheck)
    if provider_kind:
        feedback = feedback.filter(Q(provider_kind=provider_kind) | Q(analysis__isnull=True))
        sections, checks = (
            sections.filter(provider_kind=provider_kind),
            checks.filter(provider_kind=provider_kind),
        )
    window = {"created_at__gte": after, "created_at__lt": before}
    fb_window, sections_window, checks_window = (
        feedback.filter(**window),
        sections.filter(**window),
        checks.filter(**window),
    )
    analysis_fb = fb_window.filter(analysis__isnull=False)
    execution_fb = fb_window.filter(analysis__isnull=True, execution__isnull=False)
    overall = _rates(analysis_fb.aggregate(**_AGG))
    target = conf.helpful_target()
    span = before - after
    repeat_now = _repeat(checks_window)
    repeat_before = _repeat(checks.filter(created_at__gte=after - span, created_at__lt=after))
    change = None
    if repeat_now["rate"] is not None and repeat_before["rate"]:
        change = round((repeat_now["rate"] - repeat_before["rate"]) / repeat_before["rate"], 4)
    accuracy = {
        row["analysis_section"]: {
            "total": row["total"],
            "accurate": row["accurate"],
            "accuracy": _ratio(row["accurate"], row["total"]),
        }
        for row in sections_window.values("analysis_section")
        .annotate(total=Count("id"), accurate=Count("id", filter=Q(is_accurate=True)))
        .order_by()
    }
    repeats_by_pattern = {
        row["alert_pattern"]: row
        for row in checks_window.values("alert_pattern")
        .annotate(checks=Count("id"), repeated=Count("id", filter=Q(repeated=True)))
        .order_by()
    }
    entries = SuccessfulRemediation.objects.for_org(organization).filter(is_active=True)
    if user is not None:
        entries = entries.visible_to(user)
    if alert_pattern:
        entries = entries.filter(alert_pattern=alert_pattern)
    return {
        "after": after.isoformat(),
        "before": before.isoformat(),
        "filters": {"provider_kind": provider_kind or None, "alert_pattern": alert_pattern or None},
        "ratings": {**overall, "target": target, "meets_target": (overall["helpful_rate"] or 0) >= target},
        "section_accuracy": {
            s.value: accuracy.get(s.value, {"total": 0, "accurate": 0, "accuracy": None}) for s in Section
        },
        "repeat_incorrect": {
            **repeat_now,
            "previous": repeat_before,
            "change": change,
            "halved": change is not None and change <= -0.5,
        },
        "executions": _rates(execution_fb.aggregate(**_AGG)),
        "top_fixes": _top_fixes(fb_window, sections_window, entries.order_by("-success_count")[:200]),
        "trend": _trend(analysis_fb, checks_window, after, before, days),
        "bucket_days": days,
        "by_provider": [
            {"provider_kind": row["provider_kind"], "model": row["model_name"], **_rates(row)}
            for row in analysis_fb.values("provider_kind", "model_name").annotate(**_AGG).order_by("-count")
        ],
        "by_alert_pattern": [
            {
                "alert_pattern": row["alert_pattern"],
                **_rates(row),
                "repeat_checks": repeats_by_pattern.get(row["alert_pattern"], {}).get("checks", 0),
                "repeat_rate": _ratio(
                    repeats_by_pattern.get(row["alert_pattern"], {}).get("repeated", 0),
                    repeats_by_pattern.get(row["alert_pattern"], {}).get("checks", 0),
                ),
            }
            for row in analysis_fb.values("alert_pattern")
            .annotate(**_AGG)
            .order_by("-count", "alert_pattern")[:TOP_PATTERNS]
        ],
        "library": {"entries": entries.count(), "uses": entries.aggregate(n=Sum("use_count"))["n"] or 0},
    }

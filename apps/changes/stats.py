"""Change frequency and change-failure rate, per service (the dashboard and `GET /changes/stats`).

A change "caused a failure" when an operator confirmed it caused an alert, or when it was rolled
back: the DORA change-failure rate counts changes that needed remediation. Suggested (not yet
confirmed) links are reported beside it as "suspected", never mixed into the rate, so the rate
only moves on human verdicts.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate

from .choices import ChangeStatus, ChangeType, CorrelationStatus
from .models import ChangeCorrelation


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def change_stats(*, queryset, after, before, limit: int = 50) -> dict:
    """Counts over changes started in [after, before), overall, per service and per day."""
    base = queryset.filter(started_at__gte=after, started_at__lt=before).order_by()
    annotated = base.annotate(
        is_confirmed=Exists(
            ChangeCorrelation.objects.filter(change=OuterRef("pk"), status=CorrelationStatus.CONFIRMED)
        ),
        is_suspected=Exists(
            ChangeCorrelation.objects.filter(change=OuterRef("pk"), status=CorrelationStatus.SUGGESTED)
        ),
    )
    caused = Q(is_confirmed=True) | Q(status=ChangeStatus.ROLLED_BACK)
    measures = {
        "changes": Count("id"),
        "deployments": Count("id", filter=Q(event_type=ChangeType.DEPLOYMENT)),
        "failed": Count("id", filter=Q(status=ChangeStatus.FAILED)),
        "rolled_back": Count("id", filter=Q(status=ChangeStatus.ROLLED_BACK)),
        "confirmed": Count("id", filter=Q(is_confirmed=True)),
        "suspected": Count("id", filter=Q(is_suspected=True) & Q(is_confirmed=False)),
        "caused_failure": Count("id", filter=caused),
    }
    totals = annotated.aggregate(**measures)
    totals["change_failure_rate"] = _rate(totals["caused_failure"], totals["changes"])
    services = []
    for row in annotated.values("service").annotate(**measures).order_by("-changes", "service")[:limit]:
        row["change_failure_rate"] = _rate(row["caused_failure"], row["changes"])
        services.append(row)
    by_type = dict(base.values_list("event_type").annotate(n=Count("id")).order_by())
    by_status = dict(base.values_list("status").annotate(n=Count("id")).order_by())
    daily = [
        {"date": row["day"].isoformat(), "changes": row["n"]}
        for row in base.annotate(day=TruncDate("started_at")).values("day").annotate(n=Count("id")).order_by("day")
    ]
    return {
        "after": after.isoformat(),
        "before": before.isoformat(),
        "totals": totals,
        "services": services,
        "by_type": by_type,
        "by_status": by_status,
        "daily": daily,
    }

"""Read queries shared by the portal, the API, the panels and the AI context provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from aiops.links import absolute_reverse
from apps.alerts.models import Alert

from . import conf
from .choices import CorrelationStatus
from .correlation import Scorer, candidate_changes
from .models import ChangeCorrelation, ChangeEvent, ChangeSource
from .scoring import Score


def source_webhook_url(source: ChangeSource) -> str:
    return absolute_reverse("changes-hook", kwargs={"token": source.token})


def visible_alerts(*, user, organization):
    return Alert.objects.visible_to(user, organization)


def visible_correlations(*, user, organization):
    """Links whose alert the user may see (alerts are team-scoped; changes are organisation-wide)."""
    return (
        ChangeCorrelation.objects.visible_to(user, organization)
        .filter(alert__in=visible_alerts(user=user, organization=organization))
        .select_related("change", "alert", "decided_by")
    )


@dataclass
class Nearby:
    """A change in an alert's look-back window, scored now, with its stored link if it has one."""

    change: ChangeEvent
    score: Score
    correlation: ChangeCorrelation | None
    threshold: float

    @property
    def confidence(self) -> float:
        return self.correlation.confidence if self.correlation else self.score.confidence

    @property
    def status(self) -> str | None:
        return self.correlation.status if self.correlation else None

    @property
    def related(self) -> bool:
        """Shown as a related change: a suggestion above the threshold or a confirmed link."""
        return self.status in (CorrelationStatus.SUGGESTED, CorrelationStatus.CONFIRMED)

    @property
    def relevant(self) -> bool:
        """Related, or above the threshold but not stored yet (the correlation task may still be queued)."""
        if self.correlation is not None:
            return self.related
        return self.score.above(self.threshold)

    @property
    def factors(self) -> dict:
        return self.correlation.factors if self.correlation else self.score.factors


def nearby_changes(*, alert: Alert, scorer: Scorer | None = None) -> list[Nearby]:
    """Every change from the window before the alert, best first, plus changes linked by hand."""
    scorer = scorer or Scorer.for_org(alert.organization_id)
    links = {
        row.change_id: row
        for row in ChangeCorrelation.objects.filter(alert=alert).select_related("change", "decided_by")
    }
    changes = {
        c.pk: c
        for c in candidate_changes(organization_id=alert.organization_id, at=alert.starts_at, weights=scorer.weights)[
            :200
        ]
    }
    for row in links.values():
        changes.setdefault(row.change_id, row.change)
    rows = []
    for change in changes.values():
        result = scorer.score(change, alert)
        link = links.get(change.pk)
        if link is None and not result.in_window:
            continue
        rows.append(Nearby(change, result, link, scorer.weights.threshold))
    rows.sort(key=lambda r: (not r.relevant, -r.confidence, -r.change.started_at.timestamp()))
    return rows


def incident_alert_ids(incident) -> list[int]:
    """The incident's alerts through the incidents app's link table, without importing it."""
    return list(Alert.objects.filter(incident_link__incident_id=incident.pk).values_list("pk", flat=True)[:500])


def incident_links(*, incident, user=None, organization=None) -> list[dict]:
    """An incident's related changes: one row per change, its best link and the alerts it touches."""
    qs = (
        ChangeCorrelation.objects.filter(alert_id__in=incident_alert_ids(incident))
        .exclude(status=CorrelationStatus.REJECTED)
        .select_related("change", "alert")
    )
    if user is not None:
        qs = qs.filter(alert__in=visible_alerts(user=user, organization=organization))
    grouped: dict[int, dict] = {}
    for row in qs.order_by("-confidence"):
        entry = grouped.setdefault(row.change_id, {"change": row.change, "best": row, "links": []})
        entry["links"].append(row)
    return sorted(
        grouped.values(),
        key=lambda e: (e["best"].status != CorrelationStatus.CONFIRMED, -e["best"].confidence),
    )


def risky_changes(*, organization, since=None, until=None, limit: int = 10):
    """Changes most strongly linked to alerts (the brief's "risky changes") in [since, until)."""
    since = since or timezone.now() - timedelta(days=conf.dashboard_days())
    until = until or timezone.now()
    return (
        ChangeEvent.objects.for_org(organization)
        .filter(started_at__gte=since, started_at__lt=until, correlation_score__isnull=False)
        .order_by("-correlation_score", "-started_at")[:limit]
    )


def alerts_linked_to(*, change: ChangeEvent, user, organization):
    return (
        visible_correlations(user=user, organization=organization)
        .filter(change=change)
        .order_by("-confidence", "-alert__starts_at")
    )

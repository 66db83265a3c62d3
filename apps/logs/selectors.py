"""Read queries shared by the portal, the API and the panels (all through the tenancy chokepoint)."""

from __future__ import annotations

from apps.alerts.models import Alert

from .models import AlertLogContext, LogSource


def visible_alerts(*, user, organization):
    return Alert.objects.visible_to(user).for_org(organization)


def alert_contexts(*, alert, user, organization):
    """The alert's stored log contexts, when the user may see the alert."""
    if not visible_alerts(user=user, organization=organization).filter(pk=alert.pk).exists():
        return AlertLogContext.objects.none()
    return AlertLogContext.objects.filter(alert=alert).select_related("source").order_by("-queried_at")


def visible_sources(*, user, organization):
    return LogSource.objects.visible_to(user).for_org(organization)


def incident_patterns(*, incident, user, organization, limit: int = 15) -> list[dict]:
    """Patterns across the incident's alerts, merged by template text, biggest first."""
    alerts = visible_alerts(user=user, organization=organization).filter(incident_link__incident_id=incident.pk)
    merged: dict[str, dict] = {}
    for row in AlertLogContext.objects.filter(alert__in=alerts, status="ok").only("patterns", "alert_id"):
        for p in row.patterns:
            key = p.get("exception") or p.get("template", "")
            entry = merged.setdefault(key, {**p, "count": 0, "alerts": set()})
            entry["count"] += p.get("count", 0)
            entry["alerts"].add(row.alert_id)
            entry["new"] = entry.get("new") or p.get("new")
    rows = sorted(merged.values(), key=lambda p: -p["count"])[:limit]
    for row in rows:
        row["alerts"] = len(row["alerts"])
    return rows

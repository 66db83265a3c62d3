"""The context providers this app ships: the alert itself, its incident, and similar past alerts.

Other apps (changes, logs, feedback, runbooks) register theirs the same way, from their own
`ready()`; see `context.register_context_provider`.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from django.utils import timezone

from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert, AlertEvent

from . import conf, incident_support
from .context import ContextBlock, register_context_provider

HISTORY_LIMIT = 20
INCIDENT_ALERT_LINES = 25
SIMILAR_SHOWN = 5
SIMILAR_SCANNED = 200
_SKIP_ANNOTATIONS = {"summary", "description"}


def humanize_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds}s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def alert_duration(alert, now=None) -> float:
    end = alert.ends_at if alert.status == AlertStatus.RESOLVED and alert.ends_at else (now or timezone.now())
    return max((end - alert.starts_at).total_seconds(), 0.0)


def _ref(alert) -> dict:
    return {"type": "alerts.alert", "id": alert.pk, "label": alert.name}


def alert_block(subject) -> ContextBlock | None:
    """Labels, annotations, timing and state history of the alert (or the incident's root alert)."""
    alert = subject.primary_alert
    if alert is None:
        return None
    duration = alert_duration(alert)
    lines = [
        f"Name: {alert.name}",
        f"Status: {alert.status}"
        + (f", acknowledged {alert.acknowledged_at:%Y-%m-%d %H:%M} UTC" if alert.acknowledged_at else ""),
        f"Started: {alert.starts_at:%Y-%m-%d %H:%M:%S} UTC ({humanize_seconds(duration)} "
        + ("until it resolved)" if alert.status == AlertStatus.RESOLVED else "ago, still firing)"),
        f"Severity: {alert.severity}; service: {alert.service or '-'}; instance: {alert.instance or '-'}; "
        f"environment: {alert.environment or '-'}",
    ]
    if alert.summary:
        lines.append(f"Summary: {alert.summary}")
    if alert.description:
        lines.append(f"Description: {alert.description}")
    lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())))
    extra = {k: v for k, v in alert.annotations.items() if k not in _SKIP_ANNOTATIONS}
    if extra:
        lines.append("Annotations: " + "; ".join(f"{k}: {v}" for k, v in sorted(extra.items())))
    lines.append(f"Notifications received: {alert.receive_count}")
    events = list(
        AlertEvent.objects.filter(alert=alert).select_related("actor").order_by("-at", "-id")[:HISTORY_LIMIT]
    )
    events.reverse()
    if events:
        lines.append("History:")
        for ev in events:
            who = f" by {ev.actor.get_username()}" if ev.actor_id else ""
            note = f" — {ev.note}" if ev.note else ""
            lines.append(f"- {ev.at:%Y-%m-%d %H:%M:%S} {ev.kind} ({ev.source}){who}{note}")
    title = "The alert" if subject.is_alert else "The incident's root-cause alert"
    return ContextBlock(
        title=f"{title}: {alert.name}",
        body="\n".join(lines),
        kind="alert",
        refs=[_ref(alert)],
        facts={
            "alert_id": alert.pk,
            "name": alert.name,
            "status": alert.status,
            "severity": alert.severity,
            "service": alert.service,
            "instance": alert.instance,
            "environment": alert.environment,
            "starts_at": alert.starts_at.isoformat(),
            "duration_seconds": duration,
            "history": [ev.kind for ev in events],
        },
    )


def incident_block(subject) -> ContextBlock | None:
    """The incident (the subject, or the alert's), its root-cause guess and its other alerts."""
    incident = subject.incident
    if incident is None:
        return None
    alerts = subject.alerts if not subject.is_alert else incident_support.incident_alerts(incident)
    total = max(incident_support.incident_alert_count(incident), len(alerts))  # stored counter may lag
    others = [a for a in alerts if not (subject.is_alert and a.pk == subject.pk)]
    lines = [
        f"Incident {incident_support.incident_label(incident)}",
        f"Status: {getattr(incident, 'status', '-')}; severity: {getattr(incident, 'severity', '-')}; "
        f"alerts: {total}",
    ]
    started = getattr(incident, "started_at", None)
    if started:
        lines.append(f"Started: {started:%Y-%m-%d %H:%M:%S} UTC")
    root_service = getattr(incident, "root_cause_service_name", "")
    if root_service:
        lines.append(f"Root-cause service suggested by correlation: {root_service}")
    affected = getattr(incident, "affected_services", None) or sorted(
        {a.service for a in alerts if a.service}
    )
    if affected:
        lines.append("Affected services: " + ", ".join(affected))
    if getattr(incident, "correlation_reason", ""):
        lines.append(f"Why grouped: {incident.correlation_reason}")
    if others:
        lines.append("Other alerts in the incident:" if subject.is_alert else "Alerts in the incident:")
        for a in others[:INCIDENT_ALERT_LINES]:
            lines.append(
                f"- {a.starts_at:%H:%M:%S} {a.name} [{a.severity}, {a.status}] "
                f"service={a.service or '-'} instance={a.instance or '-'}"
            )
        if len(others) > INCIDENT_ALERT_LINES:
            lines.append(f"- … and {len(others) - INCIDENT_ALERT_LINES} more")
    return ContextBlock(
        title=f"Incident {incident_support.incident_label(incident)}",
        body="\n".join(lines),
        kind="incident",
        refs=[
            {
                "type": "incidents.incident",
                "id": incident.pk,
                "label": incident_support.incident_label(incident),
            }
        ],
        facts={
            "incident_id": incident.pk,
            "alert_count": total,
            "root_cause_service": root_service,
            "root_cause_alert_id": getattr(incident, "root_cause_alert_id", None),
            "alerts": [
                {
                    "id": a.pk,
                    "name": a.name,
                    "service": a.service,
                    "instance": a.instance,
                    "severity": a.severity,
                    "status": a.status,
                    "labels": a.labels,
                    "starts_at": a.starts_at.isoformat(),
                }
                for a in alerts
            ],
        },
    )


def _ending(alert) -> str:
    if alert.status != AlertStatus.RESOLVED:
        return "still firing"
    how = "resolved by hand" if alert.resolved_by_id else "resolved on its own"
    return f"{how} after {humanize_seconds(alert_duration(alert))}"


def similar_alerts_block(subject) -> ContextBlock | None:
    """Earlier episodes with the same name and service: how often, how long, how they ended."""
    alert = subject.primary_alert
    if alert is None:
        return None
    since = timezone.now() - timedelta(days=conf.similar_lookback_days())
    similar = list(
        Alert.objects.for_org(alert.organization_id)
        .filter(name=alert.name, service=alert.service, starts_at__gte=since)
        .exclude(pk=alert.pk)
        .order_by("-starts_at")[:SIMILAR_SCANNED]
    )
    if not similar:
        return None
    resolved = [a for a in similar if a.status == AlertStatus.RESOLVED and a.ends_at]
    durations = [alert_duration(a) for a in resolved]
    median = statistics.median(durations) if durations else None
    by_hand = sum(1 for a in resolved if a.resolved_by_id)
    acked = sum(1 for a in similar if a.acknowledged_at)
    lines = [
        f"{len(similar)}{'+' if len(similar) == SIMILAR_SCANNED else ''} earlier episode(s) of {alert.name} "
        f"on "
        f"{alert.service or 'the same (empty) service'} in the last {conf.similar_lookback_days()} days.",
        f"Resolved: {len(resolved)} (median duration {humanize_seconds(median)}; "
        f"{by_hand} resolved by hand); "
        f"acknowledged: {acked}.",
        "Most recent:",
    ]
    for a in similar[:SIMILAR_SHOWN]:
        lines.append(f"- {a.starts_at:%Y-%m-%d %H:%M} instance={a.instance or '-'}: {_ending(a)}")
    return ContextBlock(
        title=f"Earlier {alert.name} alerts on {alert.service or '-'}",
        body="\n".join(lines),
        kind="similar_alerts",
        refs=[_ref(a) for a in similar[:SIMILAR_SHOWN]],
        facts={
            "count": len(similar),
            "resolved": len(resolved),
            "resolved_by_hand": by_hand,
            "median_duration_seconds": median,
            "lookback_days": conf.similar_lookback_days(),
            "last_starts_at": similar[0].starts_at.isoformat(),
        },
    )


def register_builtin_providers() -> None:
    register_context_provider("alert", alert_block, order=10)
    register_context_provider("incident", incident_block, order=20)
    register_context_provider("similar_alerts", similar_alerts_block, order=30)

"""The AI context provider: recent changes that may explain the alert (or the incident's alerts).

Registered with `apps.analysis.context.register_context_provider` in `ready()`. It scores the
window live instead of reading stored links only, because the analysis of a new alert may run
before the correlation task has stored them; operators' verdicts still apply (a rejected change
is left out, a confirmed one goes first). `facts` follow the analysis app's "change" convention
(`at`, `service`, `version`, `previous_version`, `description`, `confidence`), which its offline
analyser reads to name the prime suspect and suggest the rollback.
"""

from __future__ import annotations

from apps.alerts.models import Alert

from . import conf
from .choices import CorrelationStatus
from .correlation import Scorer
from .explain import reason
from .selectors import nearby_changes
from .summary import human_delta

MAX_ALERTS = 10


def _alerts_of(subject) -> list:
    alerts = getattr(subject, "alerts", None)
    if isinstance(alerts, list | tuple):
        return list(alerts)[:MAX_ALERTS]
    if isinstance(subject, Alert):
        return [subject]
    if getattr(subject, "_meta", None) is not None and subject._meta.label_lower == "incidents.incident":
        return list(Alert.objects.filter(incident_link__incident_id=subject.pk).order_by("starts_at")[:MAX_ALERTS])
    return []


def _block_for(row, alert):
    from apps.analysis.context import ContextBlock

    change = row.change
    delta = (alert.starts_at - change.ended_at).total_seconds()
    when = (
        f"{human_delta(delta)} before the alert started"
        if delta >= 0
        else f"{human_delta(delta)} after the alert started"
    )
    confirmed = row.status == CorrelationStatus.CONFIRMED
    where = f" in {change.environment}" if change.environment else ""
    lines = [
        f"- {change.get_event_type_display().lower()}: {change.service or '(no service)'}{where}"
        f" @ {change.ended_at:%Y-%m-%d %H:%M} UTC ({when})",
    ]
    if change.version or change.previous_version:
        lines.append(f"  Version: {change.previous_version or '?'} → {change.version or '?'}")
    if change.description:
        lines.append(f"  Description: {change.description[:300]}")
    who = ", ".join(v for v in (f"by {change.author}" if change.author else "", f"status {change.status}") if v)
    lines.append(
        f"  {who}; source {change.source}" + (f", commit {change.commit_sha[:12]}" if change.commit_sha else "")
    )
    lines.append(
        f"  Correlation confidence: {row.confidence:.0%}"
        + (" (confirmed by an operator)" if confirmed else "")
        + f" — {reason(row.factors)}"
    )
    label = " ".join(v for v in (change.service, change.event_type, change.version) if v) or f"change {change.pk}"
    return ContextBlock(
        title=f"Change before the alert: {label}",
        body="\n".join(lines),
        kind="change",
        refs=[
            {"type": "changes.changeevent", "id": change.pk, "label": label},
            {"type": "alerts.alert", "id": alert.pk, "label": alert.name},
        ],
        facts={
            "at": change.ended_at.isoformat(),
            "started_at": change.started_at.isoformat(),
            "service": change.service,
            "environment": change.environment,
            "version": change.version,
            "previous_version": change.previous_version,
            "description": change.description[:300],
            "event_type": change.event_type,
            "author": change.author,
            "status": change.status,
            "confidence": row.confidence,
            "confirmed": confirmed,
            "change_id": change.pk,
            "alert_id": alert.pk,
            "service_match": (row.factors.get("service") or {}).get("match"),
        },
    )


def change_context(subject):
    """ContextBlocks for the most likely changes behind the subject, or one "no changes" block."""
    from apps.analysis.context import ContextBlock

    alerts = _alerts_of(subject)
    if not alerts:
        return None
    scorer = Scorer.for_org(alerts[0].organization_id)
    if not scorer.settings.enabled:
        return None
    best: dict[int, tuple] = {}
    for alert in alerts:
        for row in nearby_changes(alert=alert, scorer=scorer):
            if not row.relevant:
                continue
            rank = (row.status == CorrelationStatus.CONFIRMED, row.confidence)
            if row.change.pk not in best or rank > best[row.change.pk][0]:
                best[row.change.pk] = (rank, row, alert)
    chosen = sorted(best.values(), key=lambda item: item[0], reverse=True)[: conf.context_max_changes()]
    if not chosen:
        hours = human_delta(scorer.weights.window_seconds)
        return ContextBlock(
            title="Recent changes",
            kind="change",
            facts={"changes": 0},
            body=f"No recent changes detected in related services in the {hours} before the alert.",
        )
    return [_block_for(row, alert) for _rank, row, alert in chosen]

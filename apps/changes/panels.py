"""The "Related changes" panels on the alert and incident pages (registered in ChangesConfig.ready).

The alert panel answers "did anyone change anything?" at a glance: a banner for the most likely
change (the brief's "⚠️ Related Change Detected · 15 minutes ago: payment-service deployed v2.3.1
(was v2.3.0) · Correlation confidence: 85%"), every link with the factors that earned its score
and confirm/reject buttons, the window drawn as a time strip, and the other changes of the window
(with a button to link one by hand).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from aiops.access import access_for
from aiops.roles import Role

from .charts import window_strip
from .choices import ChangeType, CorrelationStatus
from .correlation import Scorer
from .explain import factor_rows, reason
from .selectors import incident_links, nearby_changes
from .summary import human_delta

VERBS = {
    ChangeType.DEPLOYMENT: lambda c: (
        _("%(service)s deployed %(version)s") % {"service": c.service, "version": c.version or ""}
    ),
    ChangeType.ROLLBACK: lambda c: (
        _("%(service)s rolled back to %(version)s") % {"service": c.service, "version": c.version or ""}
    ),
    ChangeType.CONFIG_CHANGE: lambda c: _("%(service)s configuration changed") % {"service": c.service},
    ChangeType.SCALING: lambda c: _("%(service)s scaled") % {"service": c.service},
    ChangeType.MAINTENANCE: lambda c: _("maintenance on %(service)s") % {"service": c.service},
    ChangeType.FEATURE_FLAG: lambda c: _("%(service)s feature flag changed") % {"service": c.service},
}


def headline(change) -> str:
    """ "payment-service deployed v2.3.1 (was v2.3.0)" """
    text = VERBS.get(change.event_type, VERBS[ChangeType.DEPLOYMENT])(change).strip()
    if change.previous_version:
        text += " " + _("(was %(version)s)") % {"version": change.previous_version}
    return text if change.service else (change.description[:120] or text)


def when(change, alert) -> str:
    delta = (alert.starts_at - change.ended_at).total_seconds()
    if delta <= 0:
        return _("while the alert started")
    return _("%(t)s before the alert") % {"t": human_delta(delta)}


def _can_operate(request) -> bool:
    org = getattr(request, "organization", None)
    return org is not None and access_for(request.user).has_role(org.pk, Role.OPERATOR)


def _row(nearby, alert) -> dict:
    return {
        "change": nearby.change,
        "confidence": nearby.confidence,
        "status": nearby.status,
        "correlation": nearby.correlation,
        "headline": headline(nearby.change),
        "when": when(nearby.change, alert),
        "explanation": reason(nearby.factors),
        "factor_rows": factor_rows(nearby.factors),
    }


def _banner(row: dict | None) -> dict | None:
    if row is None:
        return None
    deployment = row["change"].event_type in (ChangeType.DEPLOYMENT, ChangeType.ROLLBACK)
    return {
        "title": _("Related deployment detected") if deployment else _("Related change detected"),
        "line": f"{row['when']}: {row['headline']}",
        "confidence": row["confidence"],
        "percent": round(100 * row["confidence"]),
        "confirmed": row["status"] == CorrelationStatus.CONFIRMED,
    }


def alert_panel_context(request, alert) -> dict | None:
    if request is None or alert is None or not request.user.is_authenticated:
        return None
    scorer = Scorer.for_org(alert.organization_id)
    if not scorer.settings.enabled:
        return None
    rows = nearby_changes(alert=alert, scorer=scorer)
    related = [_row(r, alert) for r in rows if r.relevant]
    rejected = [_row(r, alert) for r in rows if r.status == CorrelationStatus.REJECTED]
    others = [_row(r, alert) for r in rows if not r.relevant and r.status != CorrelationStatus.REJECTED]
    return {
        "changes_alert": alert,
        "related_changes": related,
        "rejected_changes": rejected,
        "other_changes": others,
        "change_banner": _banner(related[0] if related else None),
        "change_strip": window_strip(alert=alert, rows=rows, window_seconds=scorer.weights.window_seconds),
        "window_human": human_delta(scorer.weights.window_seconds),
        "can_decide": _can_operate(request),
        "panel_ref": "alert",
    }


def incident_panel_context(request, incident) -> dict | None:
    if request is None or incident is None or not request.user.is_authenticated:
        return None
    entries = []
    for entry in incident_links(incident=incident, user=request.user, organization=request.organization):
        best = entry["best"]
        entries.append(
            {
                "change": entry["change"],
                "correlation": best,
                "confidence": best.confidence,
                "status": best.status,
                "headline": headline(entry["change"]),
                "when": when(entry["change"], best.alert),
                "explanation": reason(best.factors),
                "factor_rows": factor_rows(best.factors),
                "alerts": [link.alert for link in entry["links"]],
            }
        )
    return {
        "changes_incident": incident,
        "related_changes": entries,
        "change_banner": _banner(entries[0] if entries else None),
        "can_decide": _can_operate(request),
        "panel_ref": f"incident:{incident.pk}",
    }


def register_panels() -> None:
    from django.utils.translation import gettext_lazy

    from aiops.panels import register_nav_item, register_panel

    register_panel("alert_detail", "changes", "changes/panels/alert.html", context=alert_panel_context, order=15)
    register_panel(
        "incident_detail", "changes", "changes/panels/incident.html", context=incident_panel_context, order=15
    )
    register_nav_item(gettext_lazy("Changes"), "changes:dashboard", order=40)

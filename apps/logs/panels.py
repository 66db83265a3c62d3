"""The logs panels: the brief's "RELATED LOGS (47 entries, 5 errors)" on the alert page, patterns
across an incident's alerts on the incident page (registered in LogsConfig.ready)."""

from __future__ import annotations

from aiops.access import access_for
from aiops.roles import Role

from .selectors import alert_contexts, incident_patterns


def alert_panel_context(request, alert) -> dict | None:
    if request is None or alert is None or not request.user.is_authenticated:
        return None
    org = getattr(request, "organization", None)
    contexts = list(alert_contexts(alert=alert, user=request.user, organization=org))
    from .services import source_for_alert

    if not contexts and source_for_alert(alert) is None:
        return None
    return {"logs_alert": alert, "log_contexts": contexts,
            "can_fetch": org is not None and access_for(request.user).has_role(org.pk, Role.OPERATOR)}


def incident_panel_context(request, incident) -> dict | None:
    if request is None or incident is None or not request.user.is_authenticated:
        return None
    rows = incident_patterns(incident=incident, user=request.user, organization=request.organization)
    return {"incident_log_patterns": rows} if rows else None


def register_panels() -> None:
    from django.utils.translation import gettext_lazy

    from aiops.panels import register_nav_item, register_panel

    register_panel("alert_detail", "logs", "logs/panels/alert.html", context=alert_panel_context, order=18)
    register_panel("incident_detail", "logs", "logs/panels/incident.html", context=incident_panel_context, order=18)
    register_nav_item(gettext_lazy("Logs"), "logs:search", order=45)

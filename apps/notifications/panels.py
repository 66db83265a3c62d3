"""Context for the notification-history panels on the alert and incident pages."""

from __future__ import annotations

from aiops.access import access_for
from aiops.roles import Role

from .models import NotificationSubject
from .selectors import deliveries_for_alert, deliveries_for_incident, escalations_for_subject_keys


def _allowed(request, obj) -> bool:
    return (
        request is not None
        and obj is not None
        and request.user.is_authenticated
        and access_for(request.user).has_role(obj.organization_id, Role.VIEWER)
    )


def alert_panel(request, alert) -> dict | None:
    if not _allowed(request, alert):
        return None
    keys = [f"alert:{alert.pk}"] + list(
        NotificationSubject.objects.filter(alert_links__alert=alert).values_list("key", flat=True)
    )
    return {
        "notification_deliveries": deliveries_for_alert(alert, user=request.user),
        "notification_escalations": escalations_for_subject_keys(alert.organization_id, keys).visible_to(
            request.user
        )[:10],
        "notification_can_snooze": access_for(request.user).has_role(alert.organization_id, Role.OPERATOR),
        "notification_alert": alert,
    }


def incident_panel(request, incident) -> dict | None:
    if not _allowed(request, incident):
        return None
    return {
        "notification_deliveries": deliveries_for_incident(incident, user=request.user),
        "notification_escalations": escalations_for_subject_keys(
            incident.organization_id, [f"incident:{incident.pk}"]
        ).visible_to(request.user)[:10],
        "notification_can_snooze": False,
        "notification_alert": None,
    }

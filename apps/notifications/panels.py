"""Context for the notification-history panels on the alert and incident pages."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from aiops.access import access_for
from aiops.roles import Role

from .choices import DeliveryStatus, EscalationStatus
from .models import Escalation, NotificationDelivery, NotificationSubject
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


def dashboard_panel(request, organization) -> dict | None:
    """Failed deliveries of the last day and running escalations: what needs a look now."""
    if request is None or organization is None or not request.user.is_authenticated:
        return None
    if not access_for(request.user).has_role(organization.pk, Role.VIEWER):
        return None
    since = timezone.now() - timedelta(hours=24)
    deliveries = NotificationDelivery.objects.visible_to(request.user, organization)
    escalations = Escalation.objects.visible_to(request.user, organization).filter(
        status=EscalationStatus.ACTIVE)
    return {
        "notification_failed_24h": deliveries.filter(status=DeliveryStatus.FAILED, created_at__gte=since).count(),
        "notification_pending": deliveries.filter(status=DeliveryStatus.PENDING).count(),
        "notification_active_escalations": escalations.select_related("subject")[:5],
        "notification_active_escalations_count": escalations.count(),
    }

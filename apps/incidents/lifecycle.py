"""Status changes: timestamps and the incident.status_changed event, shared by people and the engine."""

from __future__ import annotations

from django.utils import timezone

from aiops import events

from .choices import IncidentStatus
from .models import Incident
from .summary import incident_summary

STATUS_FIELDS = ["status", "acknowledged_at", "identified_at", "mitigated_at", "resolved_at", "updated_at"]


def apply_status(
    incident: Incident,
    new_status: str,
    *,
    user=None,
    note: str = "",
    reason: str = "",
    extra: dict | None = None,
) -> str:
    """Set the status, stamp the first time each stage is reached, publish; returns the old status.

    Validation of who may move where lives in services.incident_set_status; the engine calls this
    directly for its two automatic moves (resolve when all alerts resolved, re-open in the window).
    """
    old = incident.status
    now = timezone.now()
    incident.status = new_status
    if new_status != IncidentStatus.OPEN and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    if new_status == IncidentStatus.IDENTIFIED and incident.identified_at is None:
        incident.identified_at = now
    if new_status == IncidentStatus.MITIGATED and incident.mitigated_at is None:
        incident.mitigated_at = now
    if new_status == IncidentStatus.RESOLVED:
        incident.resolved_at = now
    elif old == IncidentStatus.RESOLVED:
        incident.resolved_at = None  # re-opened
    incident.save(update_fields=STATUS_FIELDS)
    duration = (now - incident.started_at).total_seconds() if new_status == IncidentStatus.RESOLVED else None
    events.publish(
        "incident.status_changed",
        org=incident.organization_id,
        subject=incident,
        actor=user,
        old_status=old,
        new_status=new_status,
        note=note,
        reason=reason,
        automatic=user is None,
        duration_seconds=duration,
        **(extra or {}),
        **incident_summary(incident),
    )
    return old

"""The SLA clocks panel on the alert and incident pages (rendered here, ticked by sla/clock.js)."""
from __future__ import annotations

from aiops.access import access_for
from aiops.roles import Role

from .choices import SubjectKind
from .selectors import clocks_for_item


def _panel(request, obj, kind: str) -> dict | None:
    if request is None or obj is None or not request.user.is_authenticated:
        return None
    access = access_for(request.user)
    if not access.has_role(obj.organization_id, Role.VIEWER):
        return None
    clocks = clocks_for_item(user=request.user, organization_id=obj.organization_id, subject_kind=kind,
                             subject_id=obj.pk)
    if not clocks:
        return None
    return {"sla_clocks": clocks, "sla_subject_kind": kind, "sla_subject_id": obj.pk,
            "sla_can_pause": access.has_role(obj.organization_id, Role.OPERATOR)}


def alert_panel(request, alert) -> dict | None:
    return _panel(request, alert, SubjectKind.ALERT)


def incident_panel(request, incident) -> dict | None:
    return _panel(request, incident, SubjectKind.INCIDENT)

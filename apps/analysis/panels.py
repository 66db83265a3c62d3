"""Panel hooks: the analysis card on the alert and incident pages (registered in apps.py)."""

from aiops.access import access_for
from aiops.roles import Role

from .choices import SubjectType
from .views import panel_extra


def _panel(request, obj, subject_type: str):
    if request is None or getattr(request, "organization", None) is None or obj is None:
        return None
    can_analyse = access_for(request.user).has_role(request.organization.pk, Role.OPERATOR)
    return panel_extra(request, subject_type, obj.pk, can_analyse=can_analyse)


def alert_panel(request, alert):
    return _panel(request, alert, SubjectType.ALERT)


def incident_panel(request, incident):
    return _panel(request, incident, SubjectType.INCIDENT)

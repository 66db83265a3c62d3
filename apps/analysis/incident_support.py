"""Everything this app knows about `apps.incidents`, in one place, imported lazily.

DESIGN allows analysis → incidents, but the analysis app must also work in a deployment (or a
test run) without incidents. Every function here degrades to "no incident" when the app is not
installed, so callers never import incident models themselves.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse


def installed() -> bool:
    if not apps.is_installed("apps.incidents"):
        return False
    try:
        apps.get_model("incidents", "Incident")
        apps.get_model("incidents", "IncidentAlert")
    except LookupError:
        return False
    return True


def _models():
    return apps.get_model("incidents", "Incident"), apps.get_model("incidents", "IncidentAlert")


def get_incident(*, organization_id: int, pk: int):
    """The incident `pk` of the organisation, or None (also when incidents are not installed)."""
    if not installed():
        return None
    incident_model, _link = _models()
    return incident_model.objects.for_org(organization_id).filter(pk=pk).first()


def visible_incidents(user, organization):
    """Queryset of incidents the user may see in the organisation (None without the app)."""
    if not installed():
        return None
    incident_model, _link = _models()
    return incident_model.objects.visible_to(user, organization)


def incident_of_alert(alert):
    """The incident an alert belongs to, or None."""
    if not installed():
        return None
    incident_model, link_model = _models()
    link = link_model.objects.filter(alert_id=alert.pk).select_related("incident").first()
    return link.incident if link else None


def incident_alerts(incident, *, limit: int = 200) -> list:
    """The incident's alerts, the root-cause alert first, then by event time."""
    from apps.alerts.models import Alert

    if incident is None or not installed():
        return []
    _incident, link_model = _models()
    ids = link_model.objects.filter(incident_id=incident.pk).values("alert_id")
    alerts = list(Alert.objects.filter(pk__in=ids).order_by("starts_at", "id")[:limit])
    root_id = getattr(incident, "root_cause_alert_id", None)
    alerts.sort(key=lambda a: a.pk != root_id)
    return alerts


def incident_alert_count(incident) -> int:
    if incident is None or not installed():
        return 0
    stored = getattr(incident, "alert_count", None)
    if stored is not None:
        return stored
    _incident, link_model = _models()
    return link_model.objects.filter(incident_id=incident.pk).count()


def incident_label(incident) -> str:
    number = getattr(incident, "number", None) or incident.pk
    return f"#{number} {getattr(incident, 'title', '')}".strip()


def incident_url(incident) -> str:
    try:
        return reverse("incidents:detail", kwargs={"pk": incident.pk})
    except NoReverseMatch:
        return ""

"""Reading timelines: an incident's (its own entries plus its alerts'), an alert's, and who may see them."""
from __future__ import annotations

from django.apps import apps as django_apps
from django.db.models import Q, QuerySet

from .models import TimelineEntry
from .registry import incident_resolver

MEMBERSHIP_ADDED = ("incident.created", "incident.alert_added")
MEMBERSHIP_REMOVED = ("incident.alert_removed",)


def timeline_entries(*, user, organization) -> QuerySet:
    """Every entry the user may see in the organisation, in event-time order."""
    return TimelineEntry.objects.visible_to(user, organization).order_by("occurred_at", "id")


def incident_alert_ids(*, organization_id: int, incident_id: int) -> list[int]:
    """The alerts an incident holds: the incidents app's answer, or the timeline's own record."""
    resolver = incident_resolver()
    if resolver is not None:
        return sorted({int(pk) for pk in resolver(organization_id, incident_id)})
    members: set[int] = set()
    rows = (TimelineEntry.objects
            .filter(organization_id=organization_id, incident_id=incident_id,
                    kind__in=MEMBERSHIP_ADDED + MEMBERSHIP_REMOVED)
            .order_by("occurred_at", "id").values_list("kind", "alert_id", "data"))
    for kind, alert_id, data in rows:
        if kind in MEMBERSHIP_REMOVED:
            members.discard(alert_id)
            continue
        # An incident opened by hand with several alerts names them all in `alert_ids`.
        members.update(pk for pk in [alert_id, *(data or {}).get("alert_ids", [])] if isinstance(pk, int))
    return sorted(members)


def incident_scope(*, organization_id: int, incident_id: int) -> Q:
    """Entries that belong on an incident's timeline: stamped with it, or about one of its alerts."""
    scope = Q(incident_id=incident_id)
    alert_ids = incident_alert_ids(organization_id=organization_id, incident_id=incident_id)
    if alert_ids:
        scope |= Q(alert_id__in=alert_ids)
    return scope


def incident_timeline(*, user, organization, incident_id: int) -> QuerySet:
    org_id = getattr(organization, "pk", organization)
    return timeline_entries(user=user, organization=org_id).filter(
        incident_scope(organization_id=org_id, incident_id=incident_id))


def alert_timeline(*, user, organization, alert_id: int) -> QuerySet:
    return timeline_entries(user=user, organization=organization).filter(alert_id=alert_id)


def incident_visible(*, user, organization, incident_id: int) -> bool:
    """May the user see incident N in this organisation?

    Asks the incidents app's model through the app registry when it has one (never an import: the
    timeline must not depend on incidents); without it, the incident is visible when the user sees
    at least one of its timeline entries in the organisation.
    """
    try:
        incident_model = django_apps.get_model("incidents", "Incident")
    except LookupError:
        return timeline_entries(user=user, organization=organization).filter(incident_id=incident_id).exists()
    return incident_model.objects.visible_to(user, organization).filter(pk=incident_id).exists()


def alert_visible(*, user, organization, alert_id: int) -> bool:
    from apps.alerts.models import Alert

    return Alert.objects.visible_to(user, organization).filter(pk=alert_id).exists()


def incident_facts(entries: QuerySet, *, incident_id: int) -> dict:
    """Title, status, severity and link of an incident, from its latest incident.* entry."""
    own = entries.filter(incident_id=incident_id, kind__startswith="incident.")
    return {"id": incident_id, **_latest_facts(own)}


def alert_facts(entries: QuerySet, *, alert_id: int) -> dict:
    """Title, status, severity and link of an alert, from its latest alert.* entry."""
    own = entries.filter(alert_id=alert_id, kind__startswith="alert.")
    return {"id": alert_id, **_latest_facts(own)}


def _latest_facts(entries: QuerySet) -> dict:
    latest = entries.order_by("-occurred_at", "-id").values_list("data", "source_url").first()
    data, url = latest or ({}, "")
    return {"title": data.get("title", ""), "url": url, "severity": data.get("severity", ""),
            "status": data.get("new_status") or data.get("status", ""), "number": data.get("number")}

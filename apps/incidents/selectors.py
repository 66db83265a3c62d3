"""Read paths shared by the portal and the API."""

from __future__ import annotations

from apps.alerts.models import Alert
from apps.topology.graph import graph_for
from apps.topology.svg import render

from .models import Incident, IncidentAlert


def incident_list(*, user, organization):
    return (
        Incident.objects.visible_to(user)
        .for_org(organization)
        .select_related("assignee", "commander", "team")
        .defer("root_cause_evidence", "service_stats")
    )


def incident_alert_links(*, incident: Incident, limit: int | None = None):
    """The incident's alerts with their link (strategy, reason), root cause first, then by start."""
    qs = (
        IncidentAlert.objects.filter(incident=incident)
        .select_related("alert", "added_by")
        .order_by("-is_root_cause", "alert__starts_at", "id")
    )
    return qs[:limit] if limit else qs


def open_alerts_for_picker(*, user, organization, limit: int = 50):
    """Recent firing alerts not yet in any incident (for the "add alert" form)."""
    return (
        Alert.objects.visible_to(user)
        .for_org(organization)
        .filter(status="firing", incident_link__isnull=True)
        .order_by("-starts_at")[:limit]
    )


def incident_graph_svg(incident: Incident):
    """The affected part of the dependency graph, with the root cause marked (None without topology)."""
    graph = graph_for(incident.organization_id)
    nodes = {s["node"] for s in incident.service_stats.values() if s.get("node") is not None}
    if not nodes or not any(graph.has_edges(n) for n in nodes):
        return None
    subset = set(nodes)
    for node in nodes:  # show the direct neighbours too, so the failing part sits in context
        subset |= graph.depends_on.get(node, set()) | graph.dependents.get(node, set())
    failing = {
        s["node"]: {"firing": s.get("firing", 0)} for s in incident.service_stats.values() if s.get("node") is not None
    }
    return render(
        graph,
        subset=subset,
        failing=failing,
        root=incident.root_cause_service_id,
        title=f"Incident #{incident.number}: affected services",
    )


def active_incidents_panel(request, organization):
    """Dashboard card: how many incidents are active and the five most recent."""
    if request is None or organization is None or not request.user.is_authenticated:
        return None
    from .choices import ACTIVE_STATUSES

    qs = incident_list(user=request.user, organization=organization).filter(status__in=ACTIVE_STATUSES)
    return {"active_total": qs.count(), "active_incidents": list(qs.order_by("-started_at")[:5])}

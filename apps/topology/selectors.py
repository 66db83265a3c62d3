"""Read paths: the graph file for export, failing services, the graph payload for API and SVG."""

from __future__ import annotations

from django.db.models import Count, Q

from .graph import TopologyGraph
from .interchange import FORMAT_VERSION
from .models import Dependency, Service

_DEFAULTS = {
    "type": "other",
    "tier": "tier2",
    "namespace": "",
    "description": "",
    "health_check_url": "",
    "docs_url": "",
    "labels": {},
}


def topology_document(*, organization) -> dict:
    """The organisation's graph in the import format, so export → import is a no-op."""
    services = []
    for s in Service.objects.for_org(organization).select_related("team").order_by("name", "environment"):
        item = {"name": s.name}
        if s.environment:
            item["environment"] = s.environment
        for key, default in _DEFAULTS.items():
            value = getattr(s, key)
            if value != default:
                item[key] = value
        if s.team_id:
            item["team"] = s.team.slug
        services.append(item)
    names = {}
    for s in Service.objects.for_org(organization).values("name", "environment"):
        names.setdefault(s["name"], set()).add(s["environment"])
    deps = []
    for d in (
        Dependency.objects.for_org(organization)
        .select_related("source", "target")
        .order_by("source__name", "target__name")
    ):
        item = {"source": d.source.name, "target": d.target.name}
        src_env, tgt_env = d.source.environment, d.target.environment
        ambiguous = len(names.get(d.source.name, ())) > 1 or len(names.get(d.target.name, ())) > 1
        if src_env == tgt_env and (src_env or ambiguous):
            item["environment"] = src_env
        elif src_env != tgt_env:
            item["source_environment"] = src_env
            item["target_environment"] = tgt_env
        item["kind"] = d.kind
        item["criticality"] = d.criticality
        if d.description:
            item["description"] = d.description
        deps.append(item)
    return {"version": FORMAT_VERSION, "services": services, "dependencies": deps}


def failing_services(*, organization) -> dict[tuple[str, str], dict]:
    """(service, environment) -> {"firing": n, "critical": n} for services with firing alerts."""
    from apps.alerts.models import Alert

    rows = (
        Alert.objects.for_org(organization)
        .filter(status="firing")
        .exclude(service="")
        .values("service", "environment")
        .annotate(firing=Count("id"), critical=Count("id", filter=Q(severity="critical")))
    )
    return {(r["service"], r["environment"]): {"firing": r["firing"], "critical": r["critical"]} for r in rows}


def failing_node_ids(graph: TopologyGraph, failing: dict[tuple[str, str], dict]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for (name, env), counts in failing.items():
        node = graph.node_for(name, env)
        if node is not None:
            merged = out.setdefault(node, {"firing": 0, "critical": 0})
            merged["firing"] += counts["firing"]
            merged["critical"] += counts["critical"]
    return out


def visible_graph(*, user, organization) -> TopologyGraph:
    """The graph restricted to the services the user may see (edges between visible ones)."""
    services = (
        Service.objects.visible_to(user, organization)
        .values("id", "name", "environment", "type", "tier", "team_id")
    )
    deps = (
        Dependency.objects.visible_to(user, organization)
        .values("id", "source_id", "target_id", "kind", "criticality")
    )
    return TopologyGraph.build(list(services), list(deps))


def graph_payload(*, user, organization) -> dict:
    """Nodes and edges as JSON for `/api/v1/topology/graph`, with failing state and layout column."""
    graph = visible_graph(user=user, organization=organization)
    failing = failing_node_ids(graph, failing_services(organization=organization))
    layers = graph.layers()
    nodes = [
        {
            "id": n.id,
            "name": n.name,
            "environment": n.environment,
            "type": n.type,
            "tier": n.tier,
            "team_id": n.team_id,
            "layer": layers.get(n.id, 0),
            "failing": n.id in failing,
            "firing_alerts": failing.get(n.id, {}).get("firing", 0),
            "depends_on": sorted(graph.depends_on[n.id]),
            "dependents": sorted(graph.dependents[n.id]),
        }
        for n in sorted(graph.nodes.values(), key=lambda n: (n.name, n.environment))
    ]
    edges = [
        {"id": eid, "source": s, "target": t, "kind": kind, "criticality": crit}
        for s, t, kind, crit, eid in graph.edges
    ]
    return {"nodes": nodes, "edges": edges}

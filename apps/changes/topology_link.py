"""Read-only use of the service registry: is the changed service on the alerting service's dependency chain?

The topology app is optional for change tracking (the plain name match works without it), so it
is imported lazily and a missing app, or an empty registry, simply means "no relation known".
"""

from __future__ import annotations

from django.apps import apps

from .scoring import Relation


def relation_for(organization_id: int, max_hops: int) -> Relation | None:
    """A `Relation` backed by the organisation's dependency graph, or None when there is none."""
    if not apps.is_installed("apps.topology"):
        return None
    from apps.topology.graph import graph_for

    graph = graph_for(organization_id)
    if not graph.nodes:
        return None

    def relation(change_service: str, change_env: str, alert_service: str, alert_env: str):
        changed = graph.node_for(change_service, change_env)
        alerting = graph.node_for(alert_service, alert_env)
        if changed is None or alerting is None or changed == alerting:
            return None
        hops = graph.upstream(alerting, max_hops).get(changed)
        if hops is not None:
            return "upstream", hops  # the alerting service depends on what changed
        if changed in graph.dependents.get(alerting, ()):
            return "downstream", 1  # what changed calls the alerting service
        return None

    return relation

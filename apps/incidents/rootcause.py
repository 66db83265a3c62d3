"""Root cause: the most upstream failing service, by the dependency graph.

A failing service none of whose (transitive) dependencies are failing is a candidate; among
several, the one that the most failing services depend on wins (it explains the most), then the
one whose alert fired first. Without usable topology the earliest alert is the fallback. The
evidence says which rule decided, so a responder can check the reasoning on the incident page.
"""
from __future__ import annotations

from dataclasses import dataclass

from apps.topology.graph import TopologyGraph


@dataclass
class RootCause:
    service: str  # "" when the root alert names no service
    node_id: int | None
    alert_id: int | None
    evidence: dict


def evaluate(graph: TopologyGraph, stats: dict[str, dict]) -> RootCause | None:
    """`stats`: service name -> {"node", "first_seen", "first_alert_id", "alerts", ...}."""
    if not stats:
        return None
    by_node = {s["node"]: name for name, s in stats.items() if s.get("node") is not None}
    failing = set(by_node)
    connected = [n for n in failing if graph.has_edges(n)]
    if connected:
        candidates = graph.root_candidates(failing)
        ranked = []
        for node in candidates:
            dependents = sorted(by_node[d] for d in graph.downstream(node) if d in failing)
            ranked.append((node, dependents))
        ranked.sort(key=lambda item: (-len(item[1]), stats[by_node[item[0]]]["first_seen"], by_node[item[0]]))
        if ranked:
            node, dependents = ranked[0]
            name = by_node[node]
            others = [{"service": by_node[n], "failing_dependents": len(d)} for n, d in ranked[1:6]]
            if dependents:
                explanation = (f"{name} has no failing dependencies, and {len(dependents)} failing service(s) "
                               f"depend on it: {', '.join(dependents[:8])}{'…' if len(dependents) > 8 else ''}.")
            else:
                explanation = f"{name} is failing and none of the services it depends on are."
            if others:
                explanation += " Other candidates explain fewer failures: " + ", ".join(
                    f"{o['service']} ({o['failing_dependents']})" for o in others) + "."
            return RootCause(name, node, stats[name]["first_alert_id"], {
                "method": "topology",
                "explanation": explanation,
                "service": name,
                "first_seen": stats[name]["first_seen"],
                "failing_dependents": dependents,
                "dependencies_failing": [],
                "other_candidates": others,
                "failing_services": sorted(stats),
            })
    name = min(stats, key=lambda n: (stats[n]["first_seen"], n))
    reason = ("no service of this incident is in the dependency graph" if not connected
              else "every failing service depends on another failing one (a dependency cycle)")
    return RootCause(name if name != "" else "", stats[name].get("node"), stats[name]["first_alert_id"], {
        "method": "earliest",
        "explanation": f"Earliest alert ({reason}): {name or 'an alert without a service'} fired first.",
        "service": name,
        "first_seen": stats[name]["first_seen"],
        "failing_services": sorted(stats),
    })

"""Root cause: the most upstream failing service, by the dependency graph.

A failing service none of whose (transitive) dependencies are failing is a candidate; among
several, the one that explains the most failing dependents wins, then the most severe, then the
one whose alert fired first. Without usable topology the earliest alert is the fallback.

"Failing" needs weight when it is used to demote a service: in a storm, a stray single warning on
a database must not take the root cause away from an API that pages from every replica. A
dependency therefore counts against a service when it has a critical alert, or at least two
alerts and a tenth of that service's alert count; info-only alerts never do. The same test
decides which dependents a candidate explains. The evidence records which rule decided, so a
responder can check the reasoning on the incident page.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.alerts.choices import SEVERITY_RANK
from apps.topology.graph import TopologyGraph

CRITICAL = SEVERITY_RANK["critical"]
INFO = SEVERITY_RANK["info"]


@dataclass
class RootCause:
    service: str  # "" when the root alert names no service
    node_id: int | None
    alert_id: int | None
    evidence: dict


def _weighs_on(cause: dict, victim: dict) -> bool:
    """Does the failing `cause` count as failing enough to explain (or demote) `victim`?"""
    rank = SEVERITY_RANK.get(cause.get("severity"), 0)
    if rank >= CRITICAL:
        return True
    if rank <= INFO:
        return False
    return cause["alerts"] >= max(2, victim["alerts"] / 10)


def evaluate(graph: TopologyGraph, stats: dict[str, dict]) -> RootCause | None:
    """`stats`: service name -> {"node", "first_seen", "first_alert_id", "alerts", "severity", ...}."""
    if not stats:
        return None
    by_node = {s["node"]: name for name, s in stats.items() if s.get("node") is not None}
    failing = set(by_node)
    if any(graph.has_edges(n) for n in failing):
        ranked = []
        for node in failing:
            me = stats[by_node[node]]
            blockers = [d for d in graph.upstream(node) if d in failing and _weighs_on(stats[by_node[d]], me)]
            if blockers:
                continue
            explained = sorted(
                by_node[d] for d in graph.downstream(node) if d in failing and _weighs_on(me, stats[by_node[d]])
            )
            ranked.append((node, explained))
        ranked.sort(
            key=lambda item: (
                -len(item[1]),
                -SEVERITY_RANK.get(stats[by_node[item[0]]]["severity"], 0),
                stats[by_node[item[0]]]["first_seen"],
                by_node[item[0]],
            )
        )
        if ranked:
            node, explained = ranked[0]
            name = by_node[node]
            others = [{"service": by_node[n], "failing_dependents": len(d)} for n, d in ranked[1:6]]
            ignored = sorted(by_node[d] for d in graph.upstream(node) if d in failing)
            if explained:
                explanation = (
                    f"{name} has no failing dependencies, and {len(explained)} failing service(s) "
                    f"depend on it: {', '.join(explained[:8])}{'…' if len(explained) > 8 else ''}."
                )
            else:
                explanation = f"{name} is failing and none of the services it depends on are."
            if ignored:
                explanation += (
                    f" Its dependencies {', '.join(ignored)} have only minor alerts, too weak to explain its failure."
                )
            if others:
                explanation += (
                    " Other candidates explain fewer failures: "
                    + ", ".join(f"{o['service']} ({o['failing_dependents']})" for o in others)
                    + "."
                )
            return RootCause(
                name,
                node,
                stats[name]["first_alert_id"],
                {
                    "method": "topology",
                    "explanation": explanation,
                    "service": name,
                    "first_seen": stats[name]["first_seen"],
                    "failing_dependents": explained,
                    "weak_failing_dependencies": ignored,
                    "other_candidates": others,
                    "failing_services": sorted(stats),
                },
            )
    name = min(stats, key=lambda n: (stats[n]["first_seen"], n))
    reason = (
        "no service of this incident is in the dependency graph"
        if not failing or not any(graph.has_edges(n) for n in failing)
        else "every failing service depends on another failing one (a dependency cycle)"
    )
    return RootCause(
        name,
        stats[name].get("node"),
        stats[name]["first_alert_id"],
        {
            "method": "earliest",
            "explanation": f"Earliest alert ({reason}): {name or 'an alert without a service'} fired first.",
            "service": name,
            "first_seen": stats[name]["first_seen"],
            "failing_services": sorted(stats),
        },
    )

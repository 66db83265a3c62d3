"""The dependency graph in memory: reachability and a layered layout.

The correlation engine asks "is this service upstream or downstream of that one?" for every
alert, so the graph of an organisation is built once and cached per process. The cache is keyed
by a cheap signature of the two tables (row counts and the newest `updated_at`), checked at most
every TOPOLOGY_GRAPH_CACHE_SECONDS, so an edit in the admin is seen within seconds without any
invalidation signal, and a storm does not pay two aggregate queries per alert.

Direction: an edge `source -> target` means source depends on target. "Upstream" of a service
are the services it depends on (where a root cause is found); "downstream" are its dependents.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from django.db.models import Count, Max

from . import conf
from .models import Dependency, Service


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    environment: str
    type: str
    tier: str
    team_id: int | None


@dataclass
class TopologyGraph:
    nodes: dict[int, Node] = field(default_factory=dict)
    depends_on: dict[int, set[int]] = field(default_factory=dict)  # source -> targets
    dependents: dict[int, set[int]] = field(default_factory=dict)  # target -> sources
    edges: list[tuple[int, int, str, str, int]] = field(default_factory=list)  # (source, target, kind, crit, id)
    _by_name: dict[str, list[int]] = field(default_factory=dict)
    _reach_cache: dict = field(default_factory=dict)

    @classmethod
    def build(cls, services, dependencies) -> TopologyGraph:
        graph = cls()
        for s in services:
            graph.nodes[s["id"]] = Node(s["id"], s["name"], s["environment"], s["type"], s["tier"], s["team_id"])
            graph.depends_on[s["id"]] = set()
            graph.dependents[s["id"]] = set()
            graph._by_name.setdefault(s["name"], []).append(s["id"])
        for d in dependencies:
            src, tgt = d["source_id"], d["target_id"]
            if src in graph.nodes and tgt in graph.nodes:
                graph.depends_on[src].add(tgt)
                graph.dependents[tgt].add(src)
                graph.edges.append((src, tgt, d["kind"], d["criticality"], d["id"]))
        return graph

    # --- lookups ------------------------------------------------------------------------------
    def node_for(self, name: str, environment: str = "") -> int | None:
        """The registry entry an alert's (service, environment) lands on.

        Exact environment first, then an environment-agnostic entry, then the only entry of that
        name; several entries in other environments are ambiguous and match nothing.
        """
        ids = self._by_name.get(name or "")
        if not ids:
            return None
        agnostic = None
        for node_id in ids:
            env = self.nodes[node_id].environment
            if env == environment:
                return node_id
            if env == "":
                agnostic = node_id
        if agnostic is not None:
            return agnostic
        return ids[0] if len(ids) == 1 else None

    def has_edges(self, node_id: int | None) -> bool:
        return node_id is not None and bool(self.depends_on.get(node_id) or self.dependents.get(node_id))

    def _walk(self, start: int, adjacency: dict[int, set[int]], max_hops: int | None) -> dict[int, int]:
        """Nodes reachable from `start` along `adjacency`, with their hop distance."""
        seen = {start: 0}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            hops = seen[current]
            if max_hops is not None and hops >= max_hops:
                continue
            for nxt in adjacency.get(current, ()):
                if nxt not in seen:
                    seen[nxt] = hops + 1
                    queue.append(nxt)
        seen.pop(start)
        return seen

    def upstream(self, node_id: int, max_hops: int | None = None) -> dict[int, int]:
        """What the service depends on, directly or through others: {node: hops}."""
        key = ("up", node_id, max_hops)
        if key not in self._reach_cache:
            self._reach_cache[key] = self._walk(node_id, self.depends_on, max_hops)
        return self._reach_cache[key]

    def downstream(self, node_id: int, max_hops: int | None = None) -> dict[int, int]:
        """What depends on the service, directly or through others: {node: hops}."""
        key = ("down", node_id, max_hops)
        if key not in self._reach_cache:
            self._reach_cache[key] = self._walk(node_id, self.dependents, max_hops)
        return self._reach_cache[key]

    def related(self, node_id: int, max_hops: int) -> dict[int, tuple[int, str]]:
        """Services on a dependency chain through `node_id` (not siblings): {node: (hops, direction)}.

        Two services that merely share a dependency are not related: a shared database failing
        would show up as its own alert and connect them.
        """
        out: dict[int, tuple[int, str]] = {}
        for other, hops in self.downstream(node_id, max_hops).items():
            out[other] = (hops, "downstream")
        for other, hops in self.upstream(node_id, max_hops).items():
            if other not in out or hops < out[other][0]:
                out[other] = (hops, "upstream")
        return out

    # --- layout -------------------------------------------------------------------------------
    def layers(self, subset: set[int] | None = None) -> dict[int, int]:
        """Column per node: consumers (nothing depends on them) left, foundations right.

        Longest-path layering over the dependency DAG; nodes on a cycle are placed after the
        deepest column so a cyclic graph still draws.
        """
        ids = set(self.nodes) if subset is None else set(subset) & set(self.nodes)
        indegree = {n: sum(1 for s in self.dependents[n] if s in ids) for n in ids}
        layer = dict.fromkeys(ids, 0)
        queue = deque(sorted((n for n, d in indegree.items() if d == 0), key=lambda n: self.nodes[n].name))
        done = set()
        while queue:
            current = queue.popleft()
            done.add(current)
            for tgt in self.depends_on[current]:
                if tgt not in ids:
                    continue
                layer[tgt] = max(layer[tgt], layer[current] + 1)
                indegree[tgt] -= 1
                if indegree[tgt] == 0:
                    queue.append(tgt)
        deepest = max(layer.values(), default=0)
        for n in ids - done:
            layer[n] = deepest + 1
        return layer


_cache: dict[int, tuple[tuple, TopologyGraph, float]] = {}  # org -> (signature, graph, checked at)
_lock = threading.Lock()


def _signature(organization_id: int) -> tuple:
    services = Service.objects.filter(organization_id=organization_id).aggregate(n=Count("id"), t=Max("updated_at"))
    deps = Dependency.objects.filter(organization_id=organization_id).aggregate(n=Count("id"), t=Max("updated_at"))
    return (services["n"], services["t"], deps["n"], deps["t"])


def graph_for(organization) -> TopologyGraph:
    """The organisation's whole graph (every service, ignoring who looks: engine use only)."""
    org_id = getattr(organization, "pk", organization)
    cached = _cache.get(org_id)
    now = time.monotonic()
    if cached is not None and now - cached[2] < conf.graph_cache_seconds():
        return cached[1]
    signature = _signature(org_id)
    if cached is not None and cached[0] == signature:
        with _lock:
            _cache[org_id] = (signature, cached[1], now)
        return cached[1]
    services = Service.objects.filter(organization_id=org_id).values(
        "id", "name", "environment", "type", "tier", "team_id"
    )
    deps = Dependency.objects.filter(organization_id=org_id).values(
        "id", "source_id", "target_id", "kind", "criticality"
    )
    graph = TopologyGraph.build(services, deps)
    with _lock:
        _cache[org_id] = (signature, graph, now)
    return graph


def forget(organization) -> None:
    """Drop the cached graph (after an import, so the next alert sees the new file at once)."""
    with _lock:
        _cache.pop(getattr(organization, "pk", organization), None)

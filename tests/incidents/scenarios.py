"""A scenario generator: a service topology, injected failures, and the alert storm they cause.

Used by the scenario tests and by the correlation benchmark. Each failure breaks one service of
an application stack; every service that depends on it (directly or not) alerts too, later, from
several replicas and with several alert names. Noise alerts fire on random services. Arrival
order is event time plus a random delivery delay (Alertmanager's group_wait/group_interval and
retries), so alerts arrive out of order. Alertmanager groups by alertname, so group keys are
shared by unrelated failures, as they are in real set-ups.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import comb

from apps.alerts.models import Alert
from apps.topology import graph
from apps.topology.models import Dependency, Service

ALERT_NAMES = {
    "db": ["PostgresDown", "ConnectionRefused", "ReplicationLag", "TooManyConnections"],
    "cache": ["RedisDown", "CacheUnreachable", "EvictionStorm"],
    "queue": ["QueueBacklog", "BrokerDown"],
    "api": ["HighErrorRate", "HighLatency", "UpstreamTimeout", "HealthCheckFailed"],
    "web": ["Http5xxRate", "HealthCheckFailed", "SlowPageLoad"],
    "worker": ["JobFailures", "ProcessingLag"],
}
# Inside one stack: web -> api -> {db, cache, queue}; worker -> {queue, db}.
STACK_EDGES = {"web": ["api"], "api": ["db", "cache", "queue"], "worker": ["queue", "db"]}
ROOT_CHOICES = ["db", "cache", "queue", "api"]
T0 = datetime(2025, 3, 4, 14, 0, 0, tzinfo=UTC)


@dataclass
class AlertSpec:
    service: str
    name: str
    at: float  # event time, seconds after T0
    arrival: float
    replica: int
    group: str  # ground truth: failure id, or a unique noise id
    severity: str = "warning"


@dataclass
class Scenario:
    edges: dict[str, list[str]]
    alerts: list[AlertSpec]  # in arrival order
    roots: dict[str, str]  # failure id -> root-cause service
    shared: list[str] = field(default_factory=list)


def stack_topology(stacks: int, shared_auth: bool = True) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {}
    for k in range(stacks):
        for source, targets in STACK_EDGES.items():
            edges[f"s{k}-{source}"] = [f"s{k}-{t}" for t in targets]
        if shared_auth:
            edges[f"s{k}-web"].append("auth")
    return edges


def _kind(service: str) -> str:
    return service.rsplit("-", 1)[-1] if service != "auth" else "api"


def _downstream(edges: dict[str, list[str]], root: str) -> dict[str, int]:
    reverse: dict[str, list[str]] = {}
    for source, targets in edges.items():
        for t in targets:
            reverse.setdefault(t, []).append(source)
    hops, frontier = {root: 0}, [root]
    while frontier:
        nxt = []
        for node in frontier:
            for dep in reverse.get(node, []):
                if dep not in hops:
                    hops[dep] = hops[node] + 1
                    nxt.append(dep)
        frontier = nxt
    return hops


def generate(
    *,
    seed: int,
    stacks: int,
    failures: int,
    alerts_per_failure: int,
    noise: int,
    spread_s: float = 20,
    delay_s: float = 90,
    shared_auth: bool = True,
) -> Scenario:
    """Simultaneous failures in distinct stacks (all within `spread_s`), plus `noise` unrelated alerts."""
    rng = random.Random(seed)
    edges = stack_topology(stacks, shared_auth)
    services = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    specs: list[AlertSpec] = []
    roots: dict[str, str] = {}
    for f, stack in enumerate(rng.sample(range(stacks), failures)):
        root = f"s{stack}-{rng.choice(ROOT_CHOICES)}"
        gid = f"failure-{f}"
        roots[gid] = root
        affected = _downstream({k: v for k, v in edges.items() if k.startswith(f"s{stack}-")}, root)
        start = rng.uniform(0, spread_s)
        combos = []
        replicas = max(2, alerts_per_failure // max(1, sum(len(ALERT_NAMES[_kind(s)]) for s in affected)) + 1)
        for service, hop in affected.items():
            for name in ALERT_NAMES[_kind(service)]:
                for r in range(replicas):
                    combos.append((service, hop, name, r))
        rng.shuffle(combos)
        root_combos = [c for c in combos if c[0] == root][:3]
        chosen = root_combos + [c for c in combos if c not in root_combos][: alerts_per_failure - len(root_combos)]
        for service, hop, name, r in chosen:
            at = start + hop * rng.uniform(5, 25) + rng.uniform(0, 60)
            severity = "critical" if hop == 0 or rng.random() < 0.3 else "warning"
            specs.append(AlertSpec(service, name, at, at + rng.uniform(0, delay_s), r, gid, severity))
    for n in range(noise):
        service = rng.choice(services)
        at = rng.uniform(0, spread_s + 120)
        specs.append(
            AlertSpec(
                service,
                rng.choice(ALERT_NAMES[_kind(service)]),
                at,
                at + rng.uniform(0, delay_s),
                100 + n,
                f"noise-{n}",
                "info" if rng.random() < 0.5 else "warning",
            )
        )
    specs.sort(key=lambda s: s.arrival)
    return Scenario(edges, specs, roots, ["auth"] if shared_auth else [])


def install_topology(organization, edges: dict[str, list[str]], env: str = "production") -> None:
    names = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    Service.objects.bulk_create(
        [
            Service(
                organization=organization,
                name=n,
                environment=env,
                type=_kind(n) if _kind(n) in ("api", "web", "worker", "cache", "queue") else "database",
            )
            for n in names
        ]
    )
    ids = dict(Service.objects.for_org(organization).values_list("name", "id"))
    Dependency.objects.bulk_create(
        [
            Dependency(organization=organization, source_id=ids[s], target_id=ids[t])
            for s, ts in edges.items()
            for t in ts
        ]
    )
    graph.forget(organization)  # bulk_create sends no signals


def install_alerts(organization, integration, scenario: Scenario, env: str = "production") -> list[Alert]:
    """Create the alert rows (as ingestion would) in arrival order; returns them in that order."""
    rows = []
    for i, spec in enumerate(scenario.alerts):
        instance = f"{spec.service}-{spec.replica}:8080"
        labels = {
            "alertname": spec.name,
            "service": spec.service,
            "instance": instance,
            "env": env,
            "pod": f"{spec.service}-7d9f-{spec.replica}",
            "deployment": spec.service,
            "severity": spec.severity,
        }
        rows.append(
            Alert(
                organization=organization,
                integration=integration,
                fingerprint=f"{i:016x}",
                starts_at=T0 + timedelta(seconds=spec.at),
                name=spec.name,
                severity=spec.severity,
                service=spec.service,
                instance=instance,
                environment=env,
                summary=f"{spec.name} on {spec.service}",
                labels=labels,
                annotations={},
                group_key=f'{{}}:{{alertname="{spec.name}"}}',
                last_received_at=T0,
            )
        )
    return Alert.objects.bulk_create(rows, batch_size=500)


@dataclass
class Score:
    alerts: int
    incidents: int
    true_groups: int
    failure_incidents: int
    precision: float
    recall: float
    f1: float
    root_top1: float
    noise_reduction: float
    root_misses: list


def score(scenario: Scenario, alerts: list[Alert]) -> Score:
    """Pairwise precision/recall of the grouping and root-cause top-1 against the ground truth."""
    from apps.incidents.models import Incident, IncidentAlert

    incident_of = dict(IncidentAlert.objects.filter(alert__in=alerts).values_list("alert_id", "incident_id"))
    truth = [spec.group for spec in scenario.alerts]
    predicted = [incident_of.get(a.pk, f"none-{a.pk}") for a in alerts]
    cells = Counter(zip(truth, predicted, strict=True))
    tp = sum(comb(n, 2) for n in cells.values())
    pred_pairs = sum(comb(n, 2) for n in Counter(predicted).values())
    true_pairs = sum(comb(n, 2) for n in Counter(truth).values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    roots = dict(Incident.objects.filter(pk__in=set(incident_of.values())).values_list("pk", "root_cause_service_name"))
    hits, misses = 0, []
    for gid, root in scenario.roots.items():
        holders = Counter(p for t, p in zip(truth, predicted, strict=True) if t == gid)
        incident_id = holders.most_common(1)[0][0]
        found = roots.get(incident_id, "")
        if found == root:
            hits += 1
        else:
            misses.append((gid, root, found))
    incident_ids = set(incident_of.values())
    failure_incidents = {p for t, p in zip(truth, predicted, strict=True) if t.startswith("failure-")}
    return Score(
        alerts=len(alerts),
        incidents=len(incident_ids),
        true_groups=len(set(truth)),
        failure_incidents=len(failure_incidents),
        precision=precision,
        recall=recall,
        f1=f1,
        root_top1=hits / len(scenario.roots) if scenario.roots else 1.0,
        noise_reduction=1 - len(incident_ids) / len(alerts),
        root_misses=misses,
    )

"""Kubernetes right-sizing, as KRR's "simple" strategy does it: per workload and container, what is
requested against what is used, and the request that would fit.

Where kube-state-metrics and cAdvisor series exist in a metric source, the report gets one row per
(namespace, workload, container):

* CPU: the 95th percentile of the container's usage rate over the window (a 5-minute rate sampled
  every 5 minutes), the highest of the workload's pods; recommended request = that p95.
* Memory: the highest working set over the window, any pod; recommended request = that × (1 +
  headroom), 15 % by default — memory is not compressible, a container over its limit is killed.
* Savings (requested − recommended, positive) or risk (used above the request, negative).

Pods are grouped into workloads through `kube_pod_owner` and `kube_replicaset_owner` (a Deployment's
pods belong to a ReplicaSet that belongs to the Deployment); a pod without owner series is its own
workload. A source without these series gives no rows: right-sizing is skipped, not an error.
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from apps.metrics.client import MetricQueryError, PrometheusClient

logger = logging.getLogger(__name__)

CONTAINERS = 'container!="",container!="POD"'


def cpu_p95_query(days: int) -> str:
    return ("quantile_over_time(0.95, max by (namespace, pod, container) "
            f"(rate(container_cpu_usage_seconds_total{{{CONTAINERS}}}[5m]))[{days}d:5m])")


def memory_max_query(days: int) -> str:
    return ("max_over_time(max by (namespace, pod, container) "
            f"(container_memory_working_set_bytes{{{CONTAINERS}}})[{days}d:5m])")


def requests_query(resource: str) -> str:
    return f'max by (namespace, pod, container) (kube_pod_container_resource_requests{{resource="{resource}"}})'


POD_OWNER = "kube_pod_owner"
REPLICASET_OWNER = "kube_replicaset_owner"
MIN_CPU_CORES = 0.01  # 10m: smaller requests are rounding noise for the scheduler
MIN_MEMORY_BYTES = 32 * 2**20


@dataclass
class Row:
    namespace: str
    workload: str
    kind: str
    container: str
    pods: int
    cpu_request: float | None  # cores
    cpu_p95: float | None
    cpu_recommended: float | None
    memory_request: float | None  # bytes
    memory_max: float | None
    memory_recommended: float | None

    @property
    def cpu_delta(self) -> float | None:
        """Requested minus recommended, per pod: > 0 can be saved, < 0 is under-requested."""
        if self.cpu_request is None or self.cpu_recommended is None:
            return None
        return self.cpu_request - self.cpu_recommended

    @property
    def memory_delta(self) -> float | None:
        if self.memory_request is None or self.memory_recommended is None:
            return None
        return self.memory_request - self.memory_recommended

    @property
    def verdict(self) -> str:
        """`risk` when a container uses more than it asks for, `savings` when it asks for over
        a quarter more than it needs, `ok` otherwise."""
        if (self.cpu_p95 is not None and self.cpu_request is not None and self.cpu_p95 > self.cpu_request) or (
                self.memory_max is not None and self.memory_request is not None
                and self.memory_max > self.memory_request):
            return "risk"
        if any(req is not None and rec is not None and req > 1.25 * rec for req, rec in (
                (self.cpu_request, self.cpu_recommended), (self.memory_request, self.memory_recommended))):
            return "savings"
        return "ok"

    def as_dict(self) -> dict:
        return {**asdict(self), "cpu_delta": self.cpu_delta, "memory_delta": self.memory_delta,
                "verdict": self.verdict}


def _owners(client: PrometheusClient, at: datetime) -> tuple[dict, dict]:
    pods = {}
    for s in client.query(POD_OWNER, at=at):
        key = (s.labels.get("namespace", ""), s.labels.get("pod", ""))
        pods[key] = (s.labels.get("owner_kind", ""), s.labels.get("owner_name", ""))
    replicasets = {}
    for s in client.query(REPLICASET_OWNER, at=at):
        key = (s.labels.get("namespace", ""), s.labels.get("replicaset", ""))
        replicasets[key] = (s.labels.get("owner_kind", ""), s.labels.get("owner_name", ""))
    return pods, replicasets


def _workload(namespace: str, pod: str, pods: dict, replicasets: dict) -> tuple[str, str]:
    kind, name = pods.get((namespace, pod), ("", ""))
    if kind == "ReplicaSet" and (namespace, name) in replicasets:
        owner_kind, owner_name = replicasets[(namespace, name)]
        if owner_kind and owner_name and owner_name != "<none>":
            return owner_kind, owner_name
    if kind and name and name != "<none>":
        return kind, name
    return "Pod", pod


def _by_container(series) -> dict[tuple[str, str, str], float]:
    out = {}
    for s in series:
        if not s.values or not math.isfinite(s.values[-1]):
            continue
        out[(s.labels.get("namespace", ""), s.labels.get("pod", ""), s.labels.get("container", ""))] = s.values[-1]
    return out


def analyse(source, *, end: datetime, days: int = 7, headroom: float = 0.15) -> list[Row]:
    """The right-sizing rows of one metric source (empty when it has no Kubernetes series)."""
    client = PrometheusClient(source)
    at = end
    try:
        cpu = _by_container(client.query(cpu_p95_query(days), at=at))
        memory = _by_container(client.query(memory_max_query(days), at=at))
        cpu_req = _by_container(client.query(requests_query("cpu"), at=at))
        mem_req = _by_container(client.query(requests_query("memory"), at=at))
        pods, replicasets = _owners(client, at)
    except MetricQueryError as exc:
        logger.warning("right-sizing skipped: a query failed", extra={"source": source.pk, "error": str(exc)})
        return []
    groups: dict[tuple, dict] = {}
    for key in set(cpu) | set(memory):
        namespace, pod, container = key
        kind, workload = _workload(namespace, pod, pods, replicasets)
        g = groups.setdefault((namespace, workload, kind, container), {"pods": set(), "cpu": [], "mem": [],
                                                                       "cpu_req": [], "mem_req": []})
        g["pods"].add(pod)
        for name, found in (("cpu", cpu), ("mem", memory), ("cpu_req", cpu_req), ("mem_req", mem_req)):
            if key in found:
                g[name].append(found[key])
    rows = []
    for (namespace, workload, kind, container), g in sorted(groups.items()):
        cpu_p95 = max(g["cpu"]) if g["cpu"] else None
        mem_max = max(g["mem"]) if g["mem"] else None
        rows.append(Row(
            namespace=namespace, workload=workload, kind=kind, container=container, pods=len(g["pods"]),
            cpu_request=max(g["cpu_req"]) if g["cpu_req"] else None, cpu_p95=cpu_p95,
            cpu_recommended=None if cpu_p95 is None else max(MIN_CPU_CORES, round(cpu_p95, 3)),
            memory_request=max(g["mem_req"]) if g["mem_req"] else None, memory_max=mem_max,
            memory_recommended=None if mem_max is None else max(MIN_MEMORY_BYTES, math.ceil(mem_max * (1 + headroom)))))
    return rows


def section(sources, *, end: datetime, days: int = 7, headroom: float = 0.15) -> dict:
    """The report's right-sizing section over several sources: rows, totals of what could be saved
    (over all pods) and how many containers are at risk."""
    rows = [row for source in sources for row in analyse(source, end=end, days=days, headroom=headroom)]
    saved_cpu = sum(max(0.0, r.cpu_delta) * r.pods for r in rows if r.cpu_delta is not None)
    saved_memory = sum(max(0.0, r.memory_delta) * r.pods for r in rows if r.memory_delta is not None)
    return {"window_days": days, "rows": [r.as_dict() for r in rows],
            "savings": {"cpu_cores": round(saved_cpu, 3), "memory_bytes": int(saved_memory)},
            "at_risk": sum(1 for r in rows if r.verdict == "risk")}


def window_end(now: datetime) -> datetime:
    """Evaluate at a whole minute, so two reports of the same minute agree."""
    return now.replace(second=0, microsecond=0) - timedelta(minutes=1)

"""Causal linking: an alert on a service placed in the dependency graph joins an incident only if
it can be a symptom (or the cause) of that incident's root cause.

For an alert on service S at event time t and an open incident whose root cause R first alerted
at r₀ (and last at r₁):

- same service (S = R): it joins if r₀ − window ≤ t ≤ r₁ + window;
- symptom (R is a dependency of S, h hops up): it joins if r₀ − late ≤ t ≤ r₁ + late + h × per-hop
  — the horizon is the alert rules' delay plus the time the failure needs to climb h hops, and
  only the root's own alerts move it (a joining symptom never slides it);
- cause (S is a dependency of R, h hops down): it joins, and becomes the root, if
  r₀ − window − h × per-hop ≤ t ≤ r₀ + late — a cause's alert may be late by the alert rules'
  delays, never by minutes.

Being "connected" is not enough: a member that is only a symptom links nothing, so one incident
cannot chain failures together through shared front ends. Among several incidents a symptom could
belong to, it joins the one on its own service, else the one with the strongest and most recent
root (a failure that started closer to the symptom explains it better than an older one), else
the nearest. An alert upstream of several incidents' roots within the late-cause bound is their
common cause: they are merged. Non-propagating alert classes (conf.non_propagating_alerts) never
take part: they open incidents of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from functools import lru_cache

from apps.alerts.choices import SEVERITY_RANK

from . import conf
from .models import Incident

CRITICAL = SEVERITY_RANK["critical"]


@lru_cache(maxsize=4096)
def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    low = name.lower()
    return any(fnmatchcase(low, p.lower()) for p in patterns)


def non_propagating(name: str) -> bool:
    return bool(name) and _matches(name, tuple(conf.non_propagating_alerts()))


def is_noise_incident(incident: Incident) -> bool:
    """Holds only non-propagating alerts (it was opened by one, and nothing else may join it)."""
    stats = incident.service_stats or {}
    return bool(stats) and all(non_propagating(n) for s in stats.values() for n in s.get("names", ()))


def _time(stats: dict, key: str) -> datetime | None:
    value = stats.get(key) or stats.get("first_seen")
    return datetime.fromisoformat(value) if value else None


def _ago(seconds: float) -> str:
    seconds = int(round(seconds))
    sign = "" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds}s" if seconds < 120 else f"{sign}{seconds // 60} min {seconds % 60}s"


@dataclass
class Link:
    incident: Incident
    relation: str  # "same", "symptom" or "cause"
    hops: int
    delay: float  # seconds from the root's first alert to this alert
    strong_root: bool
    reason: str

    def rank(self):
        if self.relation == "same":
            return (0, 0, 0, 0)
        if self.relation == "symptom":
            return (1, not self.strong_root, self.delay if self.delay >= 0 else -self.delay, self.hops)
        if self.relation == "co-cause":
            return (2, 0, abs(self.delay), 0)
        return (3, self.hops, abs(self.delay), 0)


def root_of(incident: Incident) -> tuple[int | None, dict | None]:
    stats = (incident.service_stats or {}).get(incident.root_cause_service_name)
    return incident.root_cause_service_id, stats


def strong(stats: dict) -> bool:
    return SEVERITY_RANK.get(stats.get("severity"), 0) >= CRITICAL or stats.get("alerts", 0) >= 2


def links(weigher, incidents, window: timedelta) -> list[Link]:
    """Every incident the alert may join causally, best first."""
    alert, graph, node = weigher.alert, weigher.graph, weigher.node
    per_hop, late, cap = conf.seconds_per_hop(), conf.late_cause_seconds(), conf.max_hops()
    up = graph.upstream(node, cap)
    down = graph.downstream(node, cap)
    w = window.total_seconds()
    svc = alert.service or alert.name
    found = []
    for incident in incidents:
        root, stats = root_of(incident)
        if root is None or stats is None or is_noise_incident(incident):
            continue
        first, last = _time(stats, "first_seen"), _time(stats, "last_seen")
        delay = (alert.starts_at - first).total_seconds()
        since_last = (alert.starts_at - last).total_seconds()
        name = incident.root_cause_service_name
        if root == node:
            if -w <= delay and since_last <= w:
                found.append(
                    Link(
                        incident,
                        "same",
                        0,
                        delay,
                        strong(stats),
                        f"Same service as the incident's root cause {name}; {_ago(since_last)} after its "
                        f"latest alert, within the {int(w // 60)} min window.",
                    )
                )
        elif root in up:
            hops = up[root]
            horizon = late + hops * per_hop
            if -late <= delay and since_last <= horizon:
                via = "directly" if hops == 1 else f"through {hops - 1} intermediate service(s)"
                found.append(
                    Link(
                        incident,
                        "symptom",
                        hops,
                        delay,
                        strong(stats),
                        f"Causal: {svc} depends on {name} ({via}), this incident's root cause, which started "
                        f"{_ago(delay)} earlier; within its {_ago(horizon)} propagation horizon "
                        f"({late}s of alerting delay + {hops} hop(s) × {per_hop}s).",
                    )
                )
        elif root in down:
            hops = down[root]
            if -(w + hops * per_hop) <= delay <= late:
                via = "directly" if hops == 1 else f"through {hops - 1} intermediate service(s)"
                found.append(
                    Link(
                        incident,
                        "cause",
                        hops,
                        delay,
                        True,
                        f"Causal: {svc} is a dependency of {name} ({via}), this incident's root cause so "
                        f"far, and alerted {_ago(delay)} from it (a cause may be late by at most {late}s): "
                        f"{svc} is the likelier cause.",
                    )
                )
        else:
            co = _co_cause(weigher, incident, root, delay, late) or _failing_cause_member(weigher, incident, w)
            if co:
                found.append(Link(incident, "co-cause", 1, delay, True, co))
    found.sort(key=Link.rank)
    return found


def _co_cause(weigher, incident: Incident, root: int, delay: float, late: float) -> str:
    """A critical alert on S, within `late` of the root's first alert, where a failing member M of
    the incident depends directly on both S and the root: the two failed together (one switch
    under a database and a cache), so S joins as a second cause."""
    alert, graph, node = weigher.alert, weigher.graph, weigher.node
    if abs(delay) > late or SEVERITY_RANK.get(alert.severity, 0) < CRITICAL:
        return ""
    dependents = graph.dependents.get(node, set())
    for name, stats in (incident.service_stats or {}).items():
        member = stats.get("node")
        if member in dependents and root in graph.depends_on.get(member, ()):
            return (
                f"Causal: {name}, failing in this incident, depends directly on both {alert.service} and the root "
                f"cause {incident.root_cause_service_name}, and {alert.service} alerted {_ago(delay)} from it: "
                "they failed together."
            )
    return ""


def _failing_cause_member(weigher, incident: Incident, window: float) -> str:
    """The alert's service already fails in this incident as a cause (another failing member depends
    on it directly), and its latest alert there is within the window: the same failure goes on, so
    a further alert of it joins, whatever order the alerts arrived in. (Without this, an alert that
    arrived after two incidents were merged around that service would open a third.)"""
    alert, graph, node = weigher.alert, weigher.graph, weigher.node
    stats_by_name = incident.service_stats or {}
    mine = next((st for st in stats_by_name.values() if st.get("node") == node), None)
    if mine is None or node is None:
        return ""
    last = _time(mine, "last_seen")
    if last is None or abs((alert.starts_at - last).total_seconds()) > window:
        return ""
    dependents = graph.dependents.get(node, set())
    for name, stats in stats_by_name.items():
        if stats.get("node") in dependents:
            return (f"Causal: {alert.service} already fails in this incident as a cause of {name}, which depends "
                    f"on it directly; its latest alert there was {_ago((alert.starts_at - last).total_seconds())} "
                    "earlier, within the window.")
    return ""


def no_link_reason(weigher, count: int) -> str:
    svc = weigher.alert.service or weigher.alert.name
    if not count:
        return f"No open incident within the propagation horizon of {svc}'s alert."
    return (
        f"{count} open incident(s) in the window, but none has a root cause that {svc} depends on (or that "
        f"depends on {svc}) with timing consistent with a failure propagating: a new failure."
    )

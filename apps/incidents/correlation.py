"""The correlation engine: which incident does a new alert belong to, and why.

Each alert is weighed against the open incidents whose event-time window (first alert − window …
last alert + window, by `startsAt`, never arrival time) contains it. Strategies, strongest first:

- label match (score 100): it shares a configured label value (pod, host, deployment, node ...);
- same service or instance (90/92, recorded as "temporal"): the incident already holds it;
- topology (80 − 10 per hop): its service is upstream or downstream of one in the incident,
  along a dependency chain of at most `topology_max_hops`;
- Alertmanager group key (40): the same notification group, if nothing contradicts;
- temporal (10): only when this is the one incident nothing contradicts.

A contradiction is a different environment, or both sides being placed in the dependency graph
with no chain between them. Temporal closeness alone never joins two failures the topology says
are unrelated: fifty simultaneous failures stay fifty incidents. When the new alert's service ties
the root causes of several open, untouched incidents together — it is a dependency of each root, or
depends directly on each (an API whose database and cache failed as two incidents) — they are one
failure and are merged (`auto_merge`). Being related to mere symptoms is not enough, so one alert
on a shared service cannot fold unrelated failures together. A resolved alert may join an
incident but never opens one; a resolved incident is never joined, only re-opened within
`reopen_window_minutes`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from aiops import events
from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert
from apps.topology.graph import TopologyGraph, graph_for

from . import conf
from .choices import ACTIVE_STATUSES, IncidentStatus, Strategy
from .lifecycle import apply_status
from .locking import lock_organization
from .membership import ALERT_FIELDS, _key, attach, refresh_firing
from .merging import merge
from .models import CorrelationConfig, CorrelationKey, Incident, IncidentAlert
from .summary import incident_summary

logger = logging.getLogger(__name__)
# Only what weighing needs: the chosen incident is re-read in full before it is changed.
CANDIDATE_FIELDS = [
    "id",
    "number",
    "status",
    "started_at",
    "last_alert_at",
    "service_stats",
    "affected_environments",
    "root_cause_service_id",
    "commander_id",
    "assignee_id",
    "created_by_id",
]


@dataclass
class Match:
    incident: Incident
    strategy: str
    score: int
    reason: str
    # The alert's service is a dependency of the incident's root-cause service, or depends on it
    # directly: it sits on the incident's causal chain, so it can tie two incidents together.
    joins_root: bool = False


@dataclass
class Outcome:
    incident: Incident | None
    strategy: str
    reason: str
    created: bool = False
    merged: list[int] = field(default_factory=list)


def _ago(delta: timedelta) -> str:
    seconds = abs(int(delta.total_seconds()))
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60} min"


class _Weigher:
    """Scores one alert against candidate incidents; pure apart from one key lookup query."""

    def __init__(self, alert: Alert, config: CorrelationConfig, graph: TopologyGraph):
        self.alert, self.config, self.graph = alert, config, graph
        self.node = graph.node_for(alert.service, alert.environment)
        self.related = (
            graph.related(self.node, config.topology_max_hops)
            if self.node is not None and config.topology_enabled
            else {}
        )
        self.svc_key = _key(f"svc:{alert.environment}|{alert.service}") if alert.service else None
        self.inst_key = _key(f"inst:{alert.instance}") if alert.instance else None
        self.gk_key = _key(f"gk:{alert.group_key}") if alert.group_key else None
        labels = alert.labels if isinstance(alert.labels, dict) else {}
        self.label_keys = (
            [_key(f"lbl:{k}={labels[k]}") for k in (config.label_keys or []) if labels.get(k) not in (None, "")]
            if config.labels_enabled
            else []
        )

    def query_keys(self) -> set[str]:
        keys = {k for k in (self.svc_key, self.inst_key, self.gk_key) if k} | set(self.label_keys)
        if self.node is not None:
            keys.add(f"node:{self.node}")
        keys.update(f"node:{n}" for n in self.related)
        return keys

    def contradiction(self, incident: Incident) -> str | None:
        env = self.alert.environment
        if env and incident.affected_environments and env not in incident.affected_environments:
            return f"different environment ({env} vs {', '.join(incident.affected_environments)})"
        if self.config.topology_enabled and self.graph.has_edges(self.node):
            placed = [
                s["node"]
                for s in incident.service_stats.values()
                if s.get("node") is not None and self.graph.has_edges(s["node"])
            ]
            if placed:
                return "no dependency chain connects their services"
        return None

    def _on_causal_chain(self, member: int, root: int | None) -> bool:
        """Is `member` the incident's root cause, or failing because of it?

        Only then does "the new alert's service depends on `member`" explain the alert. A shared
        service that joined as a bystander (a stray alert on the auth service every front end
        uses) must not pull every front end's failure into its incident.
        """
        return root is None or member == root or root in self.graph.upstream(member)

    def weigh(self, incident: Incident, matched: set[str]) -> Match | None:
        alert, svc = self.alert, self.alert.service or self.alert.name
        gap = _ago(alert.starts_at - incident.last_alert_at)
        labels = sorted(k[4:] for k in matched if k in self.label_keys)
        if labels:
            return Match(
                incident,
                Strategy.LABEL,
                100 + len(labels),
                f"Shares label {', '.join(labels)} with alerts already in the incident.",
            )
        if self.config.temporal_enabled:
            if self.inst_key in matched:
                return Match(
                    incident,
                    Strategy.TEMPORAL,
                    92,
                    f"Same instance {alert.instance} already in the "
                    f"incident; {gap} from its latest alert, within the {self.config.window_minutes} "
                    "min window.",
                )
            if self.svc_key in matched or (self.node is not None and f"node:{self.node}" in matched):
                return Match(
                    incident,
                    Strategy.TEMPORAL,
                    90,
                    f"Same service {svc} already in the incident; "
                    f"{gap} from its latest alert, within the {self.config.window_minutes} min window.",
                )
        chains = []
        root = incident.root_cause_service_id
        for key in matched:
            if key.startswith("node:"):
                other = int(key[5:])
                if other not in self.related:
                    continue
                hops, direction = self.related[other]
                if direction == "upstream" and not self._on_causal_chain(other, root):
                    continue  # depending on a bystander of the incident explains nothing
                chains.append((hops, direction != "downstream", self.graph.nodes[other].name, direction))
        if chains:
            hops, _, name, direction = min(chains)
            how = f"{svc} is a dependency of {name}" if direction == "downstream" else f"{svc} depends on {name}"
            via = "directly" if hops == 1 else f"through {hops - 1} intermediate service(s)"
            return Match(
                incident,
                Strategy.TOPOLOGY,
                80 - 10 * hops,
                f"Topology: {how} ({via}), which is already failing in this incident; {gap} apart.",
                joins_root=root in self.related
                and (self.related[root][1] == "downstream" or self.related[root][0] == 1),
            )
        if self.contradiction(incident):
            return None
        if self.gk_key in matched and self.config.group_key_enabled:
            return Match(
                incident,
                Strategy.GROUP_KEY,
                40,
                "Same Alertmanager notification group, and neither environment nor topology contradicts it.",
            )
        if self.config.temporal_enabled:
            return Match(
                incident,
                Strategy.TEMPORAL,
                10,
                f"Fired {gap} from the incident's latest alert, within "
                f"the {self.config.window_minutes} min window, and nothing contradicts it.",
            )
        return None


def _window(alert: Alert, config: CorrelationConfig, prefix: str = "") -> Q:
    """Incidents whose event-time window holds the alert: open ones, or resolved ones to re-open."""
    window = timedelta(minutes=config.window_minutes)
    state = Q(**{f"{prefix}status__in": ACTIVE_STATUSES})
    if config.reopen_window_minutes:
        since = timezone.now() - timedelta(minutes=config.reopen_window_minutes)
        state |= Q(**{f"{prefix}status": IncidentStatus.RESOLVED, f"{prefix}resolved_at__gte": since})
    return state & Q(
        **{
            f"{prefix}organization_id": alert.organization_id,
            f"{prefix}merged_into__isnull": True,
            f"{prefix}started_at__lte": alert.starts_at + window,
            f"{prefix}last_alert_at__gte": alert.starts_at - window,
        }
    )


def _all_candidates(alert: Alert, config: CorrelationConfig) -> list[Incident]:
    """Every incident in the window (most recent first), read lean: only for the weak strategies."""
    qs = Incident.objects.filter(_window(alert, config)).only(*CANDIDATE_FIELDS).order_by("-last_alert_at")
    return list(qs[: conf.candidate_limit()])


def _best_first(matches: list[Match], alert: Alert) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, abs((alert.starts_at - m.incident.last_alert_at).total_seconds())))


def decide(alert: Alert, config: CorrelationConfig, graph: TopologyGraph) -> tuple[list[Match], str]:
    """The matches worth acting on, best first, and a reason when there is none.

    One indexed query finds the incidents in the window that share a key with the alert (service,
    instance, labels, topology neighbours, group key). Only when none of them is a strong match are
    all incidents in the window read, for the contradiction check the weak strategies need; so a
    storm of related alerts reads one or two incidents per alert, not every open one.
    """
    weigher = _Weigher(alert, config, graph)
    matched: dict[int, set[str]] = defaultdict(set)
    # The group key is left out here: Alertmanager groups by alert name, so it is shared by many
    # unrelated incidents, and it only matters when nothing stronger matches (below).
    keys = weigher.query_keys() - {weigher.gk_key}
    rows = CorrelationKey.objects.filter(_window(alert, config, "incident__"), key__in=keys)
    for incident_id, key in rows.values_list("incident_id", "key"):
        matched[incident_id].add(key)
    keyed = list(matched)
    if keyed:
        incidents = Incident.objects.filter(pk__in=keyed).defer("root_cause_evidence")
        strong = [m for m in (weigher.weigh(i, matched[i.pk]) for i in incidents) if m and m.score > 40]
        if strong:
            return _best_first(strong, alert), ""
    candidates = _all_candidates(alert, config)
    if not candidates:
        return [], (
            f"No open incident has alerts within {config.window_minutes} min of this alert's start "
            f"({alert.starts_at:%Y-%m-%d %H:%M:%S %Z})."
        )
    if weigher.gk_key:
        shared = CorrelationKey.objects.filter(incident_id__in=[c.pk for c in candidates], key=weigher.gk_key)
        for incident_id in shared.values_list("incident_id", flat=True):
            matched[incident_id].add(weigher.gk_key)
    matches = [m for m in (weigher.weigh(c, matched[c.pk]) for c in candidates) if m is not None]
    strong = [m for m in matches if m.score >= 40]
    if strong:
        return _best_first(strong, alert), ""
    if len(matches) == 1:
        return matches, ""
    if matches:
        return [], (
            f"{len(matches)} open incidents are within the window but none is related by labels, "
            "service or topology, so time alone cannot choose."
        )
    return [], (
        f"{len(candidates)} open incident(s) within the window, none related: "
        f"{weigher.contradiction(candidates[0]) or 'no shared service, label or dependency'}."
    )


def _open_incident(alert: Alert, config: CorrelationConfig, graph: TopologyGraph, reason: str) -> Incident:
    number = (Incident.objects.filter(organization_id=alert.organization_id).aggregate(n=Max("number"))["n"] or 0) + 1
    incident = Incident.objects.create(
        organization_id=alert.organization_id,
        number=number,
        title=(alert.summary or alert.name)[:300],
        severity=alert.severity,
        started_at=alert.starts_at,
        last_alert_at=alert.starts_at,
        team_id=alert.team_id,
        correlation_strategy=Strategy.OPENED,
        correlation_reason=reason,
    )
    attach(
        incident,
        alert,
        graph=graph,
        label_keys=config.label_keys,
        strategy=Strategy.OPENED,
        reason=reason,
        announce=False,
    )
    events.publish(
        "incident.created",
        org=incident.organization_id,
        subject=incident,
        alert_id=alert.pk,
        alert_ids=[alert.pk],
        strategy=Strategy.OPENED,
        reason=reason,
        **incident_summary(incident),
    )
    return incident


def _mergeable(incident: Incident) -> bool:
    """Only incidents nobody has started working on are merged automatically."""
    return (
        incident.status == IncidentStatus.OPEN
        and incident.commander_id is None
        and incident.assignee_id is None
        and incident.created_by_id is None
    )


def correlate_alert(*, organization_id: int, alert_id: int) -> Outcome | None:
    """Place one alert: join the best related incident, or open one; idempotent per alert."""
    with transaction.atomic():
        config = lock_organization(organization_id)
        if not config.enabled:
            return None
        alert = (
            Alert.objects.filter(organization_id=organization_id, pk=alert_id)
            .select_related("incident_link")
            .only(
                *ALERT_FIELDS,
                "organization_id",
                "incident_link__incident_id",
                "incident_link__strategy",
                "incident_link__reason",
            )
            .order_by("pk")  # not the model's ordering: SQLite would walk a date index for it
            .first()
        )
        if alert is None:
            return None
        existing = getattr(alert, "incident_link", None)  # one query for the alert and its link
        if existing is not None:
            return Outcome(Incident.objects.get(pk=existing.incident_id), existing.strategy, existing.reason)
        graph = graph_for(organization_id)
        matches, why_new = decide(alert, config, graph)
        if not matches:
            if alert.status == AlertStatus.RESOLVED:
                logger.info("resolved alert opens no incident", extra={"alert_id": alert.pk})
                return Outcome(None, "", "The alert was already resolved and matched no open incident.")
            return Outcome(_open_incident(alert, config, graph, why_new), Strategy.OPENED, why_new, created=True)
        best = matches[0]
        target = best.incident
        merged: list[int] = []
        if config.auto_merge and best.strategy == Strategy.TOPOLOGY:
            causes = [
                m.incident
                for m in matches
                if m.joins_root and m.strategy == Strategy.TOPOLOGY and m.incident.status != IncidentStatus.RESOLVED
            ]
            if len(causes) > 1 and all(_mergeable(i) for i in causes):
                target = min(causes, key=lambda i: (i.started_at, i.number))
                for other in causes:
                    if other.pk != target.pk:
                        merge(
                            target,
                            other,
                            graph=graph,
                            label_keys=config.label_keys,
                            reason=f"{alert.service or alert.name} connects the root causes of both incidents "
                            "in the dependency graph: one failure.",
                        )
                        merged.append(other.pk)
                best = next(m for m in matches if m.incident.pk == target.pk)
        if target.get_deferred_fields() - {"root_cause_evidence"}:  # read lean for weighing only
            target = Incident.objects.get(pk=target.pk)
        if target.status == IncidentStatus.RESOLVED:
            apply_status(
                target,
                IncidentStatus.OPEN,
                reason=f"re-opened: a related alert fired within {config.reopen_window_minutes} min of resolution",
            )
        attach(
            target,
            alert,
            graph=graph,
            label_keys=config.label_keys,
            strategy=best.strategy,
            reason=best.reason,
        )
        return Outcome(target, best.strategy, best.reason, merged=merged)


def alert_resolved(*, organization_id: int, alert_id: int) -> Incident | None:
    """An alert resolved: refresh its incident's counters; resolve it when nothing fires any more."""
    with transaction.atomic():
        config = lock_organization(organization_id)
        link = (
            IncidentAlert.objects.filter(organization_id=organization_id, alert_id=alert_id)
            .select_related("incident")
            .first()
        )
        if link is None:
            return None
        incident = Incident.objects.get(pk=link.incident_id)
        refresh_firing(incident)
        if config.auto_resolve and incident.firing_count == 0 and incident.status != IncidentStatus.RESOLVED:
            apply_status(incident, IncidentStatus.RESOLVED, reason="all of its alerts resolved")
        return incident

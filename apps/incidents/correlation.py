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

from . import causal, conf
from .choices import ACTIVE_STATUSES, IncidentStatus, Strategy
from .lifecycle import apply_status
from .locking import lock_organization
from .membership import ALERT_FIELDS, PendingMembership, _key, open_with, refresh_firing
from .merging import merge
from .models import CorrelationConfig, CorrelationKey, Incident, IncidentAlert
from .summary import incident_summary

logger = logging.getLogger(__name__)

@dataclass
class Match:
    incident: Incident
    strategy: str
    score: int
    reason: str
    # The alert's service is a dependency of the incident's root-cause service, or depends on it
    # directly: it sits on the incident's causal chain, so it can tie two incidents together.
    joins_root: bool = False
    # Causal linking: incidents this alert shows to be the same failure (merged into one).
    merge_with: list = field(default_factory=list)


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
        self.noise = causal.non_propagating(alert.name)
        self.causal = config.topology_enabled and graph.has_edges(self.node)
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


def _reopenable_since(config: CorrelationConfig):
    return timezone.now() - timedelta(minutes=config.reopen_window_minutes) if config.reopen_window_minutes else None


class Neighbourhood:
    """The incidents a batch of alerts may join, and the correlation keys they share with it.

    Read for the whole batch in one query: every incident in the batch's event-time window when
    all its alerts are decided causally without label keys (one alert per webhook, usually), else
    the keys any alert of the batch asks about joined with the window's incidents holding them,
    plus one more only if some alert needs every incident in the window; then kept current
    in memory as the batch's alerts open and join incidents, so each decision is made without a
    query and sees every decision before it, exactly as one-at-a-time processing would.
    """

    def __init__(self, organization_id: int, alerts: list[Alert], weighers: list[_Weigher], config: CorrelationConfig):
        self.window = timedelta(minutes=config.window_minutes)
        # Causal links reach further back for distant symptoms (the horizon grows per hop).
        self.reach = self.window + timedelta(seconds=conf.seconds_per_hop() * conf.max_hops())
        self.since = _reopenable_since(config)
        state = Q(status__in=ACTIVE_STATUSES)
        if self.since is not None:
            state |= Q(status=IncidentStatus.RESOLVED, resolved_at__gte=self.since)
        self._in_batch_window = state & Q(
            organization_id=organization_id,
            merged_into__isnull=True,
            started_at__lte=max(a.starts_at for a in alerts) + self.reach,
            last_alert_at__gte=min(a.starts_at for a in alerts) - self.reach,
        )
        self.holders: dict[str, set[int]] = defaultdict(set)
        self.incidents: dict[int, Incident] = {}
        self._complete = False
        # Only the weak strategies, non-propagating alerts and label matches consult the key
        # index; a causal alert weighs every incident in the window. A batch of causal alerts
        # without label keys (one alert per webhook, the common case) therefore reads the window
        # in one query and no key index at all; the key rows it writes are deduplicated by the
        # database (unique incident+key, ignore_conflicts), so what is stored does not change.
        if not any(w.noise or not w.causal or w.label_keys for w in weighers):
            self.incidents = self._read(Q())
            self._complete = True
            return
        # Otherwise the keys and their incidents come in one joined query per 1,000 keys.
        asked = sorted(set().union(*(w.query_keys() | {w.gk_key} for w in weighers)) - {None})
        window_ids = Incident.objects.filter(self._in_batch_window).values("pk")
        for start in range(0, len(asked), 1000):
            found = (
                CorrelationKey.objects.filter(
                    organization_id=organization_id, key__in=asked[start : start + 1000], incident_id__in=window_ids
                )
                .select_related("incident")
                .defer("incident__root_cause_evidence")  # recomputed before every save
            )
            for row in found:
                self.holders[row.key].add(row.incident_id)
                self.incidents.setdefault(row.incident_id, row.incident)

    def _read(self, condition: Q) -> dict[int, Incident]:
        rows = Incident.objects.filter(self._in_batch_window, condition).defer("root_cause_evidence")
        return {i.pk: i for i in rows}  # root_cause_evidence is recomputed before every save

    def holds(self, incident: Incident, alert: Alert, span: timedelta | None = None) -> bool:
        """Is the alert inside the incident's event-time window, and may the incident take it?"""
        if incident.merged_into_id is not None:
            return False
        if incident.status not in ACTIVE_STATUSES:
            if incident.status != IncidentStatus.RESOLVED or self.since is None:
                return False
            if incident.resolved_at is None or incident.resolved_at < self.since:
                return False
        span = span or self.window
        return incident.started_at <= alert.starts_at + span and incident.last_alert_at >= alert.starts_at - span

    def sharing(self, keys, alert: Alert) -> dict[int, set[str]]:
        """Incidents in the alert's window holding any of `keys`, with the keys each holds."""
        matched: dict[int, set[str]] = defaultdict(set)
        for key in keys:
            for incident_id in self.holders.get(key, ()):
                matched[incident_id].add(key)
        return {i: k for i, k in matched.items() if self.holds(self.incidents[i], alert)}

    def candidates(self, alert: Alert, span: timedelta | None = None) -> list[Incident]:
        """Every incident in the window, most recent first, up to the candidate limit."""
        if not self._complete:
            self.incidents.update(self._read(~Q(pk__in=list(self.incidents))))
            self._complete = True
        inside = [i for i in self.incidents.values() if self.holds(i, alert, span)]
        inside.sort(key=lambda i: i.last_alert_at, reverse=True)
        return inside[: conf.candidate_limit()]

    def merged(self, target: Incident, source: Incident) -> None:
        """The source's keys now belong to the target (merge moved its alerts and recomputed both)."""
        for holders in self.holders.values():
            if source.pk in holders:
                holders.discard(source.pk)
                holders.add(target.pk)


def _best_first(matches: list[Match], alert: Alert) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, abs((alert.starts_at - m.incident.last_alert_at).total_seconds())))


def decide(weigher: _Weigher, hood: Neighbourhood) -> tuple[list[Match], str]:
    """The matches worth acting on, best first, and a reason when there is none.

    The incidents in the window that share a key with the alert (service, instance, labels,
    topology neighbours) are weighed first. Only when none of them is a strong match are all
    incidents in the window weighed, with the contradiction check the weak strategies need.
    """
    alert, config = weigher.alert, weigher.config
    if weigher.noise:
        return _decide_noise(weigher, hood)
    if weigher.causal:
        return _decide_causal(weigher, hood)
    # The group key is left out here: Alertmanager groups by alert name, so it is shared by many
    # unrelated incidents, and it only matters when nothing stronger matches (below).
    matched = hood.sharing(weigher.query_keys() - {weigher.gk_key}, alert)
    matched = {i: k for i, k in matched.items() if not causal.is_noise_incident(hood.incidents[i])}
    strong = [m for m in (weigher.weigh(hood.incidents[i], keys) for i, keys in matched.items()) if m and m.score > 40]
    if strong:
        return _best_first(strong, alert), ""
    candidates = [c for c in hood.candidates(alert) if not causal.is_noise_incident(c)]
    if not candidates:
        return [], (
            f"No open incident has alerts within {config.window_minutes} min of this alert's start "
            f"({alert.starts_at:%Y-%m-%d %H:%M:%S %Z})."
        )
    if weigher.gk_key:
        for incident_id in hood.sharing([weigher.gk_key], alert):
            matched.setdefault(incident_id, set()).add(weigher.gk_key)
    matches = [m for m in (weigher.weigh(c, matched.get(c.pk, set())) for c in candidates) if m is not None]
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


def _decide_noise(weigher: _Weigher, hood: Neighbourhood) -> tuple[list[Match], str]:
    """A non-propagating alert joins only its own repeats (same name on the same service)."""
    alert = weigher.alert
    svc = alert.service or ""
    keys = {weigher.svc_key} if weigher.svc_key else {weigher.gk_key} - {None}
    for incident_id in hood.sharing(keys, alert):
        incident = hood.incidents[incident_id]
        stats = (incident.service_stats or {}).get(svc) or {}
        if causal.is_noise_incident(incident) and alert.name in stats.get("names", ()):
            return [
                Match(
                    incident,
                    Strategy.TEMPORAL,
                    90,
                    f"{alert.name} on {svc or 'the same source'} again, within the "
                    f"{weigher.config.window_minutes} min window.",
                )
            ], ""
    return [], (
        f"{alert.name} is a non-propagating alert class: it says nothing about the services depending on "
        f"{svc or 'its source'}, so it opens an incident of its own and never joins or absorbs a failure's."
    )


def _decide_causal(weigher: _Weigher, hood: Neighbourhood) -> tuple[list[Match], str]:
    """Placed in the dependency graph: labels first, then only causally consistent incidents."""
    alert = weigher.alert
    if weigher.label_keys:
        labelled = hood.sharing(set(weigher.label_keys), alert)
        found = [
            m
            for m in (weigher.weigh(hood.incidents[i], k) for i, k in labelled.items())
            if m and m.strategy == Strategy.LABEL and not causal.is_noise_incident(m.incident)
        ]
        if found:
            return _best_first(found, alert), ""
    candidates = hood.candidates(alert, hood.reach)
    found = causal.links(weigher, candidates, hood.window)
    if not found:
        return [], causal.no_link_reason(weigher, len(candidates))
    best = found[0]
    late = conf.late_cause_seconds()
    best_root = causal.root_of(best.incident)[1]
    together = []
    for other in found[1:]:
        if other.incident.pk == best.incident.pk:
            continue
        if other.relation == "cause":
            together.append(other.incident)  # the alert is upstream of both roots: their common cause
        elif best.relation == other.relation == "symptom" and best.hops == other.hops == 1:
            other_root = causal.root_of(other.incident)[1]
            if (
                best.strong_root
                and other.strong_root
                and abs(
                    (causal._time(best_root, "first_seen") - causal._time(other_root, "first_seen")).total_seconds()
                )
                <= late
            ):
                together.append(other.incident)  # both roots are direct dependencies, failing together
    return [Match(best.incident, Strategy.TOPOLOGY, 80 - 10 * best.hops, best.reason, merge_with=together)], ""


def _mergeable(incident: Incident) -> bool:
    """Only incidents nobody has started working on are merged automatically."""
    return (
        incident.status == IncidentStatus.OPEN
        and incident.commander_id is None
        and incident.assignee_id is None
        and incident.created_by_id is None
    )


class _Batch:
    """One transaction placing a list of alerts of one organisation, under its correlation lock."""

    def __init__(self, organization_id: int, config: CorrelationConfig, graph: TopologyGraph, hood: Neighbourhood):
        self.organization_id, self.config, self.graph, self.hood = organization_id, config, graph, hood
        # The pending writes share the neighbourhood's key index, so each decision sees the last.
        self.pending = PendingMembership(graph, config.label_keys, holders=hood.holders)
        self._next_number: int | None = None

    def place(self, weigher: _Weigher) -> Outcome:
        alert, config, hood = weigher.alert, self.config, self.hood
        matches, why_new = decide(weigher, hood)
        if not matches:
            if alert.status == AlertStatus.RESOLVED:
                logger.info("resolved alert opens no incident", extra={"alert_id": alert.pk})
                return Outcome(None, "", "The alert was already resolved and matched no open incident.")
            return Outcome(self._open_incident(alert, why_new), Strategy.OPENED, why_new, created=True)
        best = matches[0]
        target = best.incident
        merged: list[int] = []
        if config.auto_merge and best.merge_with:
            causes = [target, *best.merge_with]
            why = "in the dependency graph, with timing consistent with one failure."
        elif config.auto_merge and best.strategy == Strategy.TOPOLOGY and not weigher.causal:
            causes = [m.incident for m in matches if m.joins_root and m.strategy == Strategy.TOPOLOGY]
            why = "in the dependency graph: one failure."
        else:
            causes = []
        causes = [i for i in causes if i.status != IncidentStatus.RESOLVED]
        if len(causes) > 1 and all(_mergeable(i) for i in causes):
            target = min(causes, key=lambda i: (i.started_at, i.number))
            self.pending.flush()  # merging recomputes both incidents from their stored links
            for other in causes:
                if other.pk != target.pk:
                    merge(
                        target,
                        other,
                        graph=self.graph,
                        label_keys=config.label_keys,
                        reason=f"{alert.service or alert.name} connects the root causes of both incidents {why}",
                    )
                    hood.merged(target, other)
                    merged.append(other.pk)
            best = next((m for m in matches if m.incident.pk == target.pk), None) or Match(
                target, best.strategy, best.score, best.reason
            )
        if target.status == IncidentStatus.RESOLVED:
            apply_status(
                target,
                IncidentStatus.OPEN,
                reason=f"re-opened: a related alert fired within {config.reopen_window_minutes} min of resolution",
            )
        self.pending.add(target, alert, strategy=best.strategy, reason=best.reason)
        hood.incidents[target.pk] = target
        return Outcome(target, best.strategy, best.reason, merged=merged)

    def _open_incident(self, alert: Alert, reason: str) -> Incident:
        if self._next_number is None:
            latest = getattr(self.config, "latest_incident_number", None)  # read with the lock
            if latest is None:
                latest = Incident.objects.filter(organization_id=self.organization_id).aggregate(n=Max("number"))["n"]
            self._next_number = (latest or 0) + 1
        incident = Incident(
            organization_id=alert.organization_id,
            number=self._next_number,
            title=(alert.summary or alert.name)[:300],
            severity=alert.severity,
            started_at=alert.starts_at,
            last_alert_at=alert.starts_at,
            team_id=alert.team_id,
            correlation_strategy=Strategy.OPENED,
            correlation_reason=reason,
        )
        open_with(incident, alert, self.graph)  # inserted with its state: no UPDATE at flush
        incident.save(force_insert=True)
        self._next_number += 1
        self.pending.add(incident, alert, strategy=Strategy.OPENED, reason=reason, announce=False, opened=True)
        self.hood.incidents[incident.pk] = incident
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


def correlate_alerts(*, organization_id: int, alert_ids: list[int]) -> dict[int, Outcome]:
    """Place alerts of one organisation in arrival order: each joins its best related incident or
    opens one. One transaction and one lock for the batch; idempotent per alert (an alert already
    in an incident keeps it). Returns the outcome per alert id found (none when correlation is off).
    """
    order = list(dict.fromkeys(alert_ids))
    # No savepoint inside the subscriber's transaction (events.consume): an error rolls the whole
    # delivery back, receipts included, so a savepoint would only cost two round trips per webhook.
    with transaction.atomic(savepoint=False):
        config = lock_organization(organization_id, with_next_number=True)
        if not config.enabled or not order:
            return {}
        found = (
            Alert.objects.filter(organization_id=organization_id, pk__in=order)
            .select_related("incident_link")
            .only(
                *ALERT_FIELDS,
                "organization_id",
                "incident_link__incident_id",
                "incident_link__strategy",
                "incident_link__reason",
            )
            .order_by()  # not the model's ordering: SQLite would walk a date index for it
        )
        alerts = {a.pk: a for a in found}
        outcomes: dict[int, Outcome] = {}
        placed = {a.pk: a.incident_link for a in alerts.values() if getattr(a, "incident_link", None) is not None}
        if placed:
            held = Incident.objects.in_bulk({link.incident_id for link in placed.values()})
            for pk, link in placed.items():
                outcomes[pk] = Outcome(held.get(link.incident_id), link.strategy, link.reason)
        new = [alerts[pk] for pk in order if pk in alerts and pk not in placed]
        if not new:
            return outcomes
        graph = graph_for(organization_id)
        weighers = [_Weigher(alert, config, graph) for alert in new]
        hood = Neighbourhood(organization_id, new, weighers, config)
        batch = _Batch(organization_id, config, graph, hood)
        for weigher in weighers:
            outcomes[weigher.alert.pk] = batch.place(weigher)
        batch.pending.flush()
        return outcomes


def correlate_alert(*, organization_id: int, alert_id: int) -> Outcome | None:
    """Place one alert (a batch of one)."""
    return correlate_alerts(organization_id=organization_id, alert_ids=[alert_id]).get(alert_id)


def alert_resolved(*, organization_id: int, alert_id: int) -> Incident | None:
    """An alert resolved: refresh its incident's counters; resolve it when nothing fires any more."""
    return alerts_resolved(organization_id=organization_id, alert_ids=[alert_id]).get(alert_id)


def alerts_resolved(*, organization_id: int, alert_ids: list[int]) -> dict[int, Incident]:
    """Alerts resolved: refresh each affected incident once; resolve those where nothing fires."""
    with transaction.atomic():
        config = lock_organization(organization_id)
        links = list(
            IncidentAlert.objects.filter(organization_id=organization_id, alert_id__in=set(alert_ids)).values_list(
                "alert_id", "incident_id"
            )
        )
        incidents = Incident.objects.in_bulk({incident_id for _alert, incident_id in links})
        for incident in incidents.values():
            refresh_firing(incident)
            if config.auto_resolve and incident.firing_count == 0 and incident.status != IncidentStatus.RESOLVED:
                apply_status(incident, IncidentStatus.RESOLVED, reason="all of its alerts resolved")
        return {alert_id: incidents[incident_id] for alert_id, incident_id in links}

"""Bookkeeping of which alerts an incident holds: links, counters, per-service stats, keys, root cause.

Called only with the organisation's correlation lock held (see locking.py), by the engine and by
the manual services alike, so an incident's denormalised fields always match its links.
"""

from __future__ import annotations

import hashlib
from datetime import UTC

from django.db import connections, router
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from aiops import events
from apps.alerts.choices import SEVERITY_RANK, AlertStatus
from apps.alerts.models import Alert
from apps.topology.graph import TopologyGraph

from . import rootcause
from .choices import Strategy
from .models import CorrelationKey, Incident, IncidentAlert
from .summary import alert_facts, incident_summary

ALERT_FIELDS = [
    "id",
    "service",
    "environment",
    "instance",
    "labels",
    "group_key",
    "starts_at",
    "status",
    "severity",
    "name",
    "summary",
    "team_id",
]


def _iso(dt) -> str:
    return dt.astimezone(UTC).isoformat()


def _key(text: str) -> str:
    return text if len(text) <= 380 else text[:300] + "#" + hashlib.sha1(text.encode()).hexdigest()


def alert_keys(alert: Alert, node_id: int | None, label_keys) -> list[str]:
    """What an alert contributes to its incident's correlation index."""
    keys = []
    if alert.service:
        keys.append(_key(f"svc:{alert.environment}|{alert.service}"))
    if node_id is not None:
        keys.append(f"node:{node_id}")
    if alert.instance:
        keys.append(_key(f"inst:{alert.instance}"))
    labels = alert.labels if isinstance(alert.labels, dict) else {}
    for name in label_keys or ():
        value = labels.get(name)
        if value not in (None, ""):
            keys.append(_key(f"lbl:{name}={value}"))
    if alert.group_key:
        keys.append(_key(f"gk:{alert.group_key}"))
    return keys


def _add_to_stats(stats: dict, alert: Alert, node_id: int | None) -> None:
    seen = _iso(alert.starts_at)
    entry = stats.get(alert.service or "")
    if entry is None:
        entry = stats[alert.service or ""] = {
            "node": node_id,
            "environment": alert.environment,
            "alerts": 0,
            "firing": 0,
            "first_seen": seen,
            "last_seen": seen,
            "first_alert_id": alert.pk,
            "first_title": alert.summary or alert.name,
            "severity": alert.severity,
            "names": [],
        }
    entry["alerts"] += 1
    if alert.status == AlertStatus.FIRING:
        entry["firing"] += 1
    if seen > entry.get("last_seen", entry["first_seen"]):
        entry["last_seen"] = seen
    if seen < entry["first_seen"]:
        entry.update(first_seen=seen, first_alert_id=alert.pk, first_title=alert.summary or alert.name)
    if SEVERITY_RANK.get(alert.severity, 0) > SEVERITY_RANK.get(entry["severity"], 0):
        entry["severity"] = alert.severity
    if alert.name not in entry["names"] and len(entry["names"]) < 5:
        entry["names"].append(alert.name)


def _dominant(counts: dict) -> str:
    useful = {k: v for k, v in counts.items() if k != Strategy.OPENED}
    if not useful:
        return Strategy.MANUAL if counts.get(Strategy.MANUAL) else Strategy.OPENED
    return max(sorted(useful), key=lambda k: useful[k])


def auto_title(incident: Incident) -> str:
    stats = incident.service_stats.get(incident.root_cause_service_name) or {}
    headline = stats.get("first_title") or incident.title
    service = incident.root_cause_service_name
    title = f"{service}: {headline}" if service and not headline.lower().startswith(service.lower()) else headline
    return title[:300]


def apply_root_cause(incident: Incident, graph: TopologyGraph) -> bool:
    """Re-evaluate the root cause in memory; True when the service or alert changed."""
    before = (incident.root_cause_service_name, incident.root_cause_alert_id)
    found = rootcause.evaluate(graph, incident.service_stats)
    if found is None:
        incident.root_cause_service_name, incident.root_cause_service_id = "", None
        incident.root_cause_alert_id, incident.root_cause_evidence = None, {}
    else:
        incident.root_cause_service_name = found.service
        incident.root_cause_service_id = found.node_id
        incident.root_cause_alert_id = found.alert_id
        incident.root_cause_evidence = found.evidence
    if incident.title_is_auto and incident.service_stats:
        incident.title = auto_title(incident)
    return (incident.root_cause_service_name, incident.root_cause_alert_id) != before


def _sync_root_flags(incident: Incident) -> None:
    """One UPDATE: the root alert's link flagged, every other link of the incident not."""
    root = incident.root_cause_alert_id
    stale = Q(is_root_cause=True) if root is None else Q(is_root_cause=True) | Q(alert_id=root)
    IncidentAlert.objects.filter(stale, incident=incident).update(
        is_root_cause=Case(When(alert_id=root, then=Value(True)), default=Value(False))
        if root is not None
        else Value(False)
    )


def _root_flags_sql(connection, incident: Incident) -> tuple[str, list]:
    """_sync_root_flags as SQL, to run as a data-modifying CTE (it sees only links already stored)."""
    quote = connection.ops.quote_name
    table = quote(IncidentAlert._meta.db_table)
    names = ("alert", "is_root_cause", "incident")
    alert, flag, owner = (quote(IncidentAlert._meta.get_field(n).column) for n in names)
    root = incident.root_cause_alert_id
    return (
        f"UPDATE {table} SET {flag} = ({alert} IS NOT DISTINCT FROM %s) "
        f"WHERE {owner} = %s AND ({flag} OR {alert} IS NOT DISTINCT FROM %s)",
        [root, incident.pk, root],
    )


def _publish_root_cause(incident: Incident, previous: str, actor=None) -> None:
    events.publish(
        "incident.root_cause_changed",
        org=incident.organization_id,
        subject=incident,
        actor=actor,
        previous_service=previous,
        service=incident.root_cause_service_name,
        alert_id=incident.root_cause_alert_id,
        method=incident.root_cause_evidence.get("method", ""),
        explanation=incident.root_cause_evidence.get("explanation", ""),
        evidence=incident.root_cause_evidence,
        **incident_summary(incident),
    )


STATE_FIELDS = [
    "alert_count",
    "firing_count",
    "severity",
    "started_at",
    "last_alert_at",
    "service_stats",
    "affected_services",
    "affected_environments",
    "strategy_counts",
    "correlation_strategy",
    "team",
    "root_cause_service",
    "root_cause_service_name",
    "root_cause_alert",
    "root_cause_evidence",
    "title",
    "updated_at",
]


def save_states(incidents) -> None:
    """Write the STATE_FIELDS of many incidents in one round trip.

    One UPDATE per incident, sent with executemany, which psycopg 3 pipelines: a batch touching
    thirty incidents waits for the server once instead of thirty times. (bulk_update's CASE
    expressions over seventeen columns were measured slower than plain saves.)
    """
    incidents = list(incidents)
    if not incidents:
        return
    fields = [Incident._meta.get_field(name) for name in STATE_FIELDS]
    connection = connections[router.db_for_write(Incident)]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(Incident._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(Incident._meta.pk.column),
    )
    rows = _state_rows(incidents, fields, connection)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _state_rows(incidents, fields, connection) -> list[list]:
    now = timezone.now()
    rows = []
    for incident in incidents:
        incident.updated_at = now  # what auto_now would do in save()
        rows.append([f.get_db_prep_save(getattr(incident, f.attname), connection) for f in fields] + [incident.pk])
    return rows


def _flush_in_one_statement(links: list, keys: list, incidents: list, resync: list) -> None:
    """PostgreSQL: a flush's writes as one statement of data-modifying CTEs: the keys (ON
    CONFLICT DO NOTHING, as bulk_create's ignore_conflicts), each incident's state, the root flags
    of links already stored, and last the new links, whose ids come back as bulk_create sets them.
    One round trip for a webhook instead of four to six; the rows written are the same."""
    connection = connections[router.db_for_write(Incident)]
    quote = connection.ops.quote_name
    parts, params = [], []
    if keys:
        table = quote(CorrelationKey._meta.db_table)
        cols = [CorrelationKey._meta.get_field(n).column for n in ("organization", "incident", "key")]
        parts.append(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in cols)}) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[]) ON CONFLICT DO NOTHING"
        )
        params += [[k.organization_id for k in keys], [k.incident_id for k in keys], [k.key for k in keys]]
    fields = [Incident._meta.get_field(name) for name in STATE_FIELDS]
    update = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(Incident._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(Incident._meta.pk.column),
    )
    for row in _state_rows(incidents, fields, connection):
        parts.append(update)
        params += row
    for incident in resync:
        sql, args = _root_flags_sql(connection, incident)
        parts.append(sql)
        params += args
    meta = IncidentAlert._meta
    columns = [f for f in meta.concrete_fields if not f.primary_key]
    values = []
    for link in links:
        values.append("(" + ", ".join(["%s"] * len(columns)) + ")")
        params += [f.get_db_prep_save(f.pre_save(link, True), connection) for f in columns]
    final = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES {', '.join(values)} RETURNING {quote(meta.pk.column)}"
        if links
        else "SELECT 1"
    )
    ctes = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(parts))
    with connection.cursor() as cursor:
        cursor.execute((f"WITH {ctes} " if ctes else "") + final, params)
        if links:
            for link, (pk,) in zip(links, cursor.fetchall(), strict=True):
                link.pk = pk
                link._state.adding, link._state.db = False, connection.alias


def publish_alert_added(incident: Incident, alert: Alert, *, actor, strategy: str, reason: str, summary=None) -> None:
    """incident.alert_added, as the engine, a person or a merge announces a joining alert."""
    events.publish(
        "incident.alert_added",
        org=incident.organization_id,
        subject=incident,
        actor=actor,
        **alert_facts(alert),
        strategy=strategy,
        reason=reason,
        is_root_cause=alert.pk == incident.root_cause_alert_id,
        **(summary or incident_summary(incident)),
    )


class PendingMembership:
    """Alerts joining incidents, applied to the incidents in memory and written together.

    `add()` updates the incident object at once (counters, stats, root cause), so the next
    decision of a correlation batch sees it, and publishes its events; `flush()` writes every
    link, key and changed incident in a handful of statements. A 50-alert webhook therefore costs
    one insert of links, one of keys and one update per incident touched, not eight statements
    per alert. Must be flushed inside the transaction (and under the lock) it was filled in.
    """

    def __init__(self, graph: TopologyGraph, label_keys, holders: dict[str, set[int]] | None = None):
        self.graph, self.label_keys = graph, label_keys
        # key -> incidents known to hold it (stored or pending): a key an incident already holds
        # is not written again, so a storm's thousand alerts on one service add one row, not 1000.
        self.holders = holders if holders is not None else {}
        self._reset()

    def _reset(self) -> None:
        self.links: list[IncidentAlert] = []
        self.keys: list[CorrelationKey] = []
        self.touched: dict[int, Incident] = {}
        self._root_before: dict[int, int | None] = {}
        self._had_links: dict[int, bool] = {}
        # Incidents inserted with their state already applied (just opened, nothing joined since).
        self._clean: set[int] = set()

    def add(
        self,
        incident: Incident,
        alert: Alert,
        *,
        strategy: str,
        reason: str,
        user=None,
        announce: bool = True,
        opened: bool = False,
    ) -> IncidentAlert:
        """Link an alert (in no incident yet); returns the link, saved at flush().

        `opened`: the incident was just inserted with this alert already folded into its state
        (`open_with`), so only the link and keys remain to be written.
        """
        node_id = self.graph.node_for(alert.service, alert.environment)
        if incident.pk not in self.touched:
            self.touched[incident.pk] = incident
            self._root_before[incident.pk] = incident.root_cause_alert_id
            self._had_links[incident.pk] = incident.alert_count > 0 and not opened
        if opened:
            self._clean.add(incident.pk)
        else:
            self._clean.discard(incident.pk)
        link = IncidentAlert(
            organization_id=incident.organization_id,
            incident=incident,
            alert=alert,
            added_by=user,
            is_auto=user is None and strategy != Strategy.MANUAL,
            strategy=strategy,
            reason=reason,
        )
        self.links.append(link)
        for key in alert_keys(alert, node_id, self.label_keys):
            holding = self.holders.setdefault(key, set())
            if incident.pk not in holding:
                holding.add(incident.pk)
                self.keys.append(CorrelationKey(organization_id=incident.organization_id, incident=incident, key=key))
        if opened:
            return link
        previous = incident.root_cause_service_name
        changed = _join(incident, alert, node_id, strategy, self.graph)
        if announce:
            publish_alert_added(incident, alert, actor=user, strategy=strategy, reason=reason)
            if changed:
                _publish_root_cause(incident, previous, actor=user)
        return link

    def flush(self) -> None:
        for link in self.links:
            link.is_root_cause = link.alert_id == link.incident.root_cause_alert_id
        resync = [
            incident
            for pk, incident in self.touched.items()
            if self._had_links[pk] and incident.root_cause_alert_id != self._root_before[pk]
        ]
        dirty = [i for pk, i in self.touched.items() if pk not in self._clean]
        if connections[router.db_for_write(Incident)].vendor == "postgresql":
            _flush_in_one_statement(self.links, self.keys, dirty, resync)
        else:
            IncidentAlert.objects.bulk_create(self.links)
            CorrelationKey.objects.bulk_create(self.keys, ignore_conflicts=True)
            save_states(dirty)
            for incident in resync:
                _sync_root_flags(incident)
        self._reset()


def open_with(incident: Incident, alert: Alert, graph: TopologyGraph) -> None:
    """Fold an incident's first alert into its unsaved state, so one INSERT writes it whole."""
    _join(incident, alert, graph.node_for(alert.service, alert.environment), Strategy.OPENED, graph)


def _join(incident: Incident, alert: Alert, node_id: int | None, strategy: str, graph: TopologyGraph) -> bool:
    """Fold one alert into the incident's denormalised state; True when the root cause changed."""
    first = incident.alert_count == 0
    stats = dict(incident.service_stats)
    _add_to_stats(stats, alert, node_id)
    incident.service_stats = stats
    incident.alert_count += 1
    if alert.status == AlertStatus.FIRING:
        incident.firing_count += 1
    if first or SEVERITY_RANK.get(alert.severity, 0) > SEVERITY_RANK.get(incident.severity, 0):
        incident.severity = alert.severity
    if first or alert.starts_at < incident.started_at:
        incident.started_at = alert.starts_at
    if first or alert.starts_at > incident.last_alert_at:
        incident.last_alert_at = alert.starts_at
    incident.affected_services = sorted((n for n in stats if n), key=lambda n: stats[n]["first_seen"])
    if alert.environment and alert.environment not in incident.affected_environments:
        incident.affected_environments = [*incident.affected_environments, alert.environment]
    counts = dict(incident.strategy_counts)
    counts[strategy] = counts.get(strategy, 0) + 1
    incident.strategy_counts = counts
    incident.correlation_strategy = _dominant(counts)
    if first:
        incident.team_id = alert.team_id
    elif incident.team_id != alert.team_id:
        incident.team_id = None  # an incident spanning teams is organisation-wide
    return apply_root_cause(incident, graph)


def attach(
    incident: Incident,
    alert: Alert,
    *,
    graph: TopologyGraph,
    label_keys,
    strategy: str,
    reason: str,
    user=None,
    announce: bool = True,
) -> IncidentAlert:
    """Link one alert (not in any incident) now: a PendingMembership of one, flushed.

    With `announce`, publishes incident.alert_added (and root_cause_changed); alerts present when an
    incident is created are announced by incident.created instead.
    """
    pending = PendingMembership(graph, label_keys)
    link = pending.add(incident, alert, strategy=strategy, reason=reason, user=user, announce=announce)
    pending.flush()
    return link


def recompute(incident: Incident, *, graph: TopologyGraph, label_keys, actor=None) -> None:
    """Rebuild counters, stats, keys and root cause from the links (after removal, merge, resolve)."""
    links = list(IncidentAlert.objects.filter(incident=incident).values("alert_id", "strategy"))
    alerts = {a.pk: a for a in Alert.objects.filter(pk__in=[lk["alert_id"] for lk in links]).only(*ALERT_FIELDS)}
    stats: dict = {}
    keys: set[str] = set()
    counts: dict[str, int] = {}
    envs: list[str] = []
    teams = set()
    for lk in links:
        alert = alerts[lk["alert_id"]]
        node_id = graph.node_for(alert.service, alert.environment)
        _add_to_stats(stats, alert, node_id)
        keys.update(alert_keys(alert, node_id, label_keys))
        counts[lk["strategy"]] = counts.get(lk["strategy"], 0) + 1
        if alert.environment and alert.environment not in envs:
            envs.append(alert.environment)
        teams.add(alert.team_id)
    incident.service_stats = stats
    incident.alert_count = len(alerts)
    incident.firing_count = sum(1 for a in alerts.values() if a.status == AlertStatus.FIRING)
    if alerts:
        incident.severity = max((a.severity for a in alerts.values()), key=lambda s: SEVERITY_RANK.get(s, 0))
        incident.started_at = min(a.starts_at for a in alerts.values())
        incident.last_alert_at = max(a.starts_at for a in alerts.values())
        incident.team_id = teams.pop() if len(teams) == 1 else None
    incident.affected_services = sorted((n for n in stats if n), key=lambda n: stats[n]["first_seen"])
    incident.affected_environments = envs
    incident.strategy_counts = counts
    incident.correlation_strategy = _dominant(counts)
    CorrelationKey.objects.filter(incident=incident).delete()
    CorrelationKey.objects.bulk_create(
        [CorrelationKey(organization_id=incident.organization_id, incident=incident, key=k) for k in sorted(keys)],
        ignore_conflicts=True,
    )
    previous = incident.root_cause_service_name
    changed = apply_root_cause(incident, graph)
    incident.save(update_fields=STATE_FIELDS)
    _sync_root_flags(incident)
    if changed:
        _publish_root_cause(incident, previous, actor=actor)


def refresh_firing(incident: Incident) -> None:
    """Recount firing alerts (overall and per service) after alerts resolved: one grouped query."""
    from django.db.models import Count

    rows = (
        IncidentAlert.objects.filter(incident=incident, alert__status=AlertStatus.FIRING)
        .values("alert__service")
        .annotate(n=Count("id"))
    )
    firing = {r["alert__service"] or "": r["n"] for r in rows}
    stats = {name: {**entry, "firing": firing.get(name, 0)} for name, entry in incident.service_stats.items()}
    incident.service_stats = stats
    incident.firing_count = sum(firing.values())
    incident.save(update_fields=["service_stats", "firing_count", "updated_at"])

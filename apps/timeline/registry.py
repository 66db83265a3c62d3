"""Which alerts belong to an incident — answered at read time, without importing `incidents`.

Alert events (fired, acknowledged, resolved, ...) are written before, or without knowing, the
incident the alert later joins, so the incident timeline is assembled when it is read: entries
stamped with the incident id, plus the entries of the incident's alerts. The incidents app may
register the authoritative answer; until it does, membership is derived from the timeline's own
`incident.created` / `incident.alert_added` / `incident.alert_removed` entries, which carry both ids.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

# (organization_id, incident_id) -> ids of the alerts the incident holds
IncidentAlertsResolver = Callable[[int, int], Iterable[int]]

_resolver: IncidentAlertsResolver | None = None


def register_incident_resolver(fn: IncidentAlertsResolver | None) -> None:
    """Let the incidents app answer "which alerts does incident N hold" (None unregisters)."""
    global _resolver
    _resolver = fn


def incident_resolver() -> IncidentAlertsResolver | None:
    return _resolver

"""Incident settings (documented in docs/incidents.md). Per-organisation correlation settings
live in the CorrelationConfig model; these are process-wide."""

from aiops.conf import setting


def candidate_limit() -> int:
    """At most this many open incidents are weighed for one alert (the most recent first)."""
    return setting("INCIDENTS_CANDIDATE_LIMIT", 200)


def merge_event_limit() -> int:
    """A merge publishes one incident.alert_added per moved alert up to this many."""
    return setting("INCIDENTS_MERGE_EVENT_LIMIT", 500)

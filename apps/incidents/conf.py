"""Incident settings (documented in docs/incidents.md). Per-organisation correlation settings
live in the CorrelationConfig model; these are process-wide."""

from aiops.conf import setting


def candidate_limit() -> int:
    """At most this many open incidents are weighed for one alert (the most recent first)."""
    return setting("INCIDENTS_CANDIDATE_LIMIT", 200)


def merge_event_limit() -> int:
    """A merge publishes one incident.alert_added per moved alert up to this many."""
    return setting("INCIDENTS_MERGE_EVENT_LIMIT", 500)


# Alert classes that do not propagate along the dependency graph: a failing cron job, a
# certificate about to expire or a disk filling in hours says nothing about the services that
# depend on it. Such an alert opens an incident of its own (joined only by repeats of the same
# alert on the same service) and never joins, absorbs or roots a failure's incident.
# Shell-style patterns, matched case-insensitively against the alert name.
DEFAULT_NON_PROPAGATING = [
    "CronJobFailed",
    "*CronJob*Failed",
    "*JobFailed",
    "Certificate*Expir*",
    "*CertExpir*",
    "*ExpiresSoon",
    "*WillFillIn*",
    "*FillingUp",
    "PodRestarted",
    "*PodRestart*",
    "*CrashLooping",
    "BackupFailed",
    "Watchdog",
    "InfoInhibitor",
]


def non_propagating_alerts() -> list[str]:
    return setting("INCIDENTS_NON_PROPAGATING_ALERTS", DEFAULT_NON_PROPAGATING)


def seconds_per_hop() -> int:
    """A symptom's horizon grows by this much per hop between it and the incident's root cause."""
    return setting("INCIDENTS_PROPAGATION_SECONDS_PER_HOP", 60)


def late_cause_seconds() -> int:
    """How long after its first symptom a cause's own alert may still start (alert rules' `for:`
    and evaluation delays): within it a dependency's alert joins, and becomes the root of, an
    incident its dependents opened; a symptom may precede its cause by as much."""
    return setting("INCIDENTS_LATE_CAUSE_SECONDS", 120)


def max_hops() -> int:
    """Causal links follow dependency chains up to this length (the horizon caps with it)."""
    return setting("INCIDENTS_CAUSAL_MAX_HOPS", 6)

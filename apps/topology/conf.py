"""Topology settings (documented in docs/incidents.md)."""

from aiops.conf import setting


def discovery_enabled() -> bool:
    """Create registry entries for services named in incoming alerts."""
    return setting("TOPOLOGY_DISCOVERY_ENABLED", True)


def last_seen_resolution_seconds() -> int:
    """Refresh `last_seen` at most this often per service, so a storm does not rewrite the row."""
    return setting("TOPOLOGY_LAST_SEEN_RESOLUTION_SECONDS", 60)


def import_max_bytes() -> int:
    """Largest topology file the import endpoint accepts."""
    return setting("TOPOLOGY_IMPORT_MAX_BYTES", 5 * 1024 * 1024)


def graph_cache_seconds() -> float:
    """How long a process trusts its cached dependency graph before re-checking the tables."""
    return setting("TOPOLOGY_GRAPH_CACHE_SECONDS", 5.0)

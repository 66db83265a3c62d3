"""Metric-source settings (Django setting, else environment variable, else the default)."""

from aiops.conf import setting


def max_points_per_series() -> int:
    """Prometheus refuses a range query of more than 11,000 points per series; stay under it."""
    return setting("METRICS_MAX_POINTS_PER_SERIES", 11000)


def default_timeout_seconds() -> float:
    """Per-query timeout when a source sets none (also sent to Prometheus as `timeout`)."""
    return setting("METRICS_QUERY_TIMEOUT_SECONDS", 30.0)


def default_max_concurrency() -> int:
    """Queries in flight at once against one source when it sets none (protects Prometheus)."""
    return setting("METRICS_MAX_CONCURRENCY", 4)


def max_series() -> int:
    """Series one query may return before the client refuses the answer as too broad."""
    return setting("METRICS_MAX_SERIES", 2000)

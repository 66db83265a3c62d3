"""Feedback-loop settings (Django setting, else environment variable, else the default)."""

from aiops.conf import setting


def lookback_days() -> int:
    """How far back similar alerts, incidents and their feedback are searched."""
    return setting("FEEDBACK_LOOKBACK_DAYS", 180)


def candidates_per_prefilter() -> int:
    """Rows each indexed prefilter (same name, same service, related services, rated alerts) may add."""
    return setting("FEEDBACK_CANDIDATES_PER_PREFILTER", 100)


def min_similarity() -> float:
    """Score (0..1) below which a past case is not called similar."""
    return setting("FEEDBACK_MIN_SIMILARITY", 0.3)


def context_cases() -> int:
    """Similar resolved cases described in an analysis prompt (the plan's "3 most similar")."""
    return setting("FEEDBACK_CONTEXT_CASES", 3)


def context_neighbours() -> int:
    """Similar past alerts whose feedback and runbook runs are pooled into "what worked / what did not"."""
    return setting("FEEDBACK_CONTEXT_NEIGHBOURS", 25)


def stats_days() -> int:
    """Default window of the statistics page, the dashboard section and `/feedback/stats`."""
    return setting("FEEDBACK_STATS_DAYS", 90)


def trend_bucket_days() -> int:
    """Width of one point of the trend charts."""
    return setting("FEEDBACK_TREND_BUCKET_DAYS", 7)


def helpful_target() -> float:
    """The brief's goal for the share of analyses rated helpful."""
    return setting("FEEDBACK_HELPFUL_TARGET", 0.7)

"""Prediction settings (Django setting, else environment variable, else the default)."""

from aiops.conf import setting


def retrain_every_seconds() -> int:
    """How often beat re-picks every series' model by backtest (nightly)."""
    return setting("PREDICTIONS_RETRAIN_SECONDS", 86400)


def refresh_every_seconds() -> int:
    """How often beat refreshes forecasts with the picked models and evaluates rules (hourly)."""
    return setting("PREDICTIONS_REFRESH_SECONDS", 3600)


def anomaly_score_threshold() -> float:
    """Detector score (0..1) from which a row is an anomaly."""
    return setting("PREDICTIONS_ANOMALY_THRESHOLD", 0.5)


def anomaly_episode_gap_seconds() -> int:
    """Detections of one series closer than this belong to one episode (one row, one alert)."""
    return setting("PREDICTIONS_ANOMALY_EPISODE_GAP_SECONDS", 3 * 3600)


def chart_history_hours() -> int:
    """History kept with each forecast for its trend chart."""
    return setting("PREDICTIONS_CHART_HISTORY_HOURS", 5 * 24)


def escalation_window_hours() -> int:
    """A critical alert on the same service/instance within this long after a warning counts as its escalation."""
    return setting("PREDICTIONS_ESCALATION_WINDOW_HOURS", 24)


def escalation_min_samples() -> int:
    """Below this many past warnings the escalation odds are not shown (too few to mean anything)."""
    return setting("PREDICTIONS_ESCALATION_MIN_SAMPLES", 5)


def escalation_history_days() -> int:
    return setting("PREDICTIONS_ESCALATION_HISTORY_DAYS", 90)

"""Change-tracking settings (Django setting, else environment variable, else the default)."""

from aiops.conf import setting


def max_body_bytes() -> int:
    """Largest change-webhook body accepted (GitHub sends up to 25 MB; deployment bodies are small)."""
    return setting("CHANGES_MAX_BODY_BYTES", 1024 * 1024)


def source_rate_limit() -> int:
    """Webhook requests per minute per change source when the source sets none (0 = unlimited)."""
    return setting("CHANGES_SOURCE_RATE_LIMIT", 600)


def alert_service_labels() -> list[str]:
    """Alert labels whose values name the service a change may have touched (beside `alert.service`)."""
    return setting("CHANGES_ALERT_SERVICE_LABELS", ["service", "app", "deployment", "job", "container"], cast=list)


def max_change_duration_hours() -> int:
    """Longest a change is assumed to run: bounds the look-back query for changes still in progress."""
    return setting("CHANGES_MAX_CHANGE_DURATION_HOURS", 24)


def correlate_max_alerts() -> int:
    """Alerts scored against one late-arriving change at most (newest first)."""
    return setting("CHANGES_CORRELATE_MAX_ALERTS", 500)


def context_max_changes() -> int:
    """Changes described in an AI analysis prompt at most (the plan shows the top three)."""
    return setting("CHANGES_CONTEXT_MAX_CHANGES", 3)


def dashboard_days() -> int:
    """Days the changes dashboard and `/changes/stats` cover by default."""
    return setting("CHANGES_DASHBOARD_DAYS", 30)

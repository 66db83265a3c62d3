"""Log-context settings (Django setting, else environment variable, else the default)."""

from aiops.conf import setting


def window_minutes() -> int:
    """Minutes before and after the alert's start that are searched (the brief's ±5 min)."""
    return setting("LOGS_WINDOW_MINUTES", 5)


def match_labels() -> list[str]:
    """Alert labels that select the log streams when a source maps none."""
    return setting("LOGS_MATCH_LABELS", ["instance", "job", "pod", "namespace"], cast=list)


def error_words() -> list[str]:
    """Words a line must contain to be fetched (case-insensitive), when a query names none."""
    return setting("LOGS_ERROR_WORDS", ["error", "exception", "fatal"], cast=list)


def fetch_limit() -> int:
    """Lines fetched per alert at most."""
    return setting("LOGS_FETCH_LIMIT", 5000)


def timeout_seconds() -> float:
    """Per-request timeout against a log source."""
    return setting("LOGS_TIMEOUT_SECONDS", 10.0)


def max_concurrency() -> int:
    """Concurrent queries per source at most, inside one batch of alerts."""
    return setting("LOGS_MAX_CONCURRENCY", 4)


def bucket_seconds() -> int:
    """Alerts whose start falls in one bucket share one query (a 500-alert storm costs one query)."""
    return setting("LOGS_BUCKET_SECONDS", 60)


def baseline_enabled() -> bool:
    """Also query the previous hour, to mark patterns new or elevated."""
    return setting("LOGS_BASELINE", True)


def max_retry_after_seconds() -> float:
    """Longest Retry-After honoured by waiting once; longer is recorded as an error."""
    return setting("LOGS_MAX_RETRY_AFTER_SECONDS", 5.0)


def summary_max_chars() -> int:
    """The AI block's size bound (~1,500 tokens at 4 characters a token)."""
    return setting("LOGS_SUMMARY_MAX_CHARS", 6000)

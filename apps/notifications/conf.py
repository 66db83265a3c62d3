"""Settings of the notifications app (each documented in docs/notifications.md)."""

from aiops.conf import setting


def group_wait_seconds() -> int:
    """How long a per-incident rule waits for the incident of an alert before sending it alone."""
    return setting("NOTIFICATIONS_GROUP_WAIT_SECONDS", 30)


def max_attempts() -> int:
    return setting("NOTIFICATIONS_MAX_ATTEMPTS", 10)


def retry_base_seconds() -> float:
    return setting("NOTIFICATIONS_RETRY_BASE_SECONDS", 5.0)


def retry_max_seconds() -> float:
    return setting("NOTIFICATIONS_RETRY_MAX_SECONDS", 600.0)


def send_timeout() -> float:
    return setting("NOTIFICATIONS_SEND_TIMEOUT", 10.0)


def lease_seconds() -> int:
    """A claimed delivery not finished within this time is claimable again (its worker died)."""
    return setting("NOTIFICATIONS_LEASE_SECONDS", 120)


def outbox_grace_seconds() -> int:
    """Pending deliveries due longer than this are re-enqueued by the outbox re-scan."""
    return setting("NOTIFICATIONS_OUTBOX_GRACE_SECONDS", 60)


def tick_seconds() -> int:
    """Interval of the beat tasks that fire timers and re-scan the outbox."""
    return setting("NOTIFICATIONS_TICK_SECONDS", 5)


def response_max_chars() -> int:
    return setting("NOTIFICATIONS_RESPONSE_MAX_CHARS", 2000)


def retention_days() -> int:
    """Processed-event markers and fired timers older than this are pruned daily."""
    return setting("NOTIFICATIONS_RETENTION_DAYS", 14)


def slack_api_url() -> str:
    return setting("NOTIFICATIONS_SLACK_API_URL", "https://slack.com/api/")


def pagerduty_events_url() -> str:
    return setting("NOTIFICATIONS_PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue")


def default_rate_limit_count() -> int:
    """The brief's "10 notifications per hour for the same alert pattern"."""
    return setting("NOTIFICATIONS_DEFAULT_RATE_LIMIT", 10)

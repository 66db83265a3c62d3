"""On-call settings (Django setting, else environment variable, else the default)."""
from aiops.conf import setting


def check_seconds() -> int:
    """How often beat checks every schedule for a shift change and for coverage gaps."""
    return setting("ONCALL_CHECK_SECONDS", 60)


def gap_horizon_days() -> int:
    """How far ahead coverage gaps are looked for (portal warning and team notification)."""
    return setting("ONCALL_GAP_HORIZON_DAYS", 14)


def feed_past_days() -> int:
    """How far back an iCalendar feed lists shifts."""
    return setting("ONCALL_FEED_PAST_DAYS", 14)


def feed_future_days() -> int:
    """How far ahead an iCalendar feed lists shifts (and a recurring event is expanded on import)."""
    return setting("ONCALL_FEED_FUTURE_DAYS", 90)


def import_max_bytes() -> int:
    """Largest .ics file accepted for import."""
    return setting("ONCALL_IMPORT_MAX_BYTES", 2 * 1024 * 1024)


def import_max_shifts() -> int:
    """Most shifts one import may create (a runaway RRULE must not write a million rows)."""
    return setting("ONCALL_IMPORT_MAX_SHIFTS", 2000)


def shift_notice_minutes() -> int:
    """How long before a shift starts its person is told "You are on call from 09:00" (0: never)."""
    return setting("ONCALL_SHIFT_NOTICE_MINUTES", 15)

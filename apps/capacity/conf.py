"""Capacity settings (Django setting, else environment variable, else the default)."""

from aiops.conf import setting


def scan_every_seconds() -> int:
    """How often beat rescans every resource query (usage, trend, ETAs, thresholds)."""
    return setting("CAPACITY_SCAN_SECONDS", 6 * 3600)


def report_check_seconds() -> int:
    """How often beat checks whether this week's / this month's report is due (made once per period)."""
    return setting("CAPACITY_REPORT_CHECK_SECONDS", 3600)


def stable_growth_per_day() -> float:
    """Growth (percentage points per day) below which a trend counts as stable."""
    return setting("CAPACITY_STABLE_GROWTH_PER_DAY", 0.1)


def report_channel() -> str:
    """Notification channel (name, else type) the reports are e-mailed to."""
    return setting("CAPACITY_REPORT_CHANNEL", "email")


def plan_days() -> int:
    """Recommendations size an upgrade to stay below the warning level for this many days."""
    return setting("CAPACITY_PLAN_DAYS", 90)


def rightsizing_enabled() -> bool:
    """Whether reports ask each metric source for Kubernetes requests vs usage (KRR-style)."""
    return setting("CAPACITY_RIGHTSIZING", True)


def rightsizing_days() -> int:
    """The usage window right-sizing looks at (CPU p95, memory maximum)."""
    return setting("CAPACITY_RIGHTSIZING_DAYS", 7)


def rightsizing_headroom() -> float:
    """Added on top of the highest memory working set for the recommended memory request."""
    return setting("CAPACITY_RIGHTSIZING_HEADROOM", 0.15)

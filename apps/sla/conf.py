"""SLA settings (Django setting, else environment variable, else the default)."""
from aiops.conf import setting


def tick_seconds() -> int:
    """How often beat claims due warning and breach timers (a breach fires within this of its deadline)."""
    return setting("SLA_TICK_SECONDS", 5)


def timer_batch() -> int:
    """Timers one tick claims at most (the rest wait for the next tick, never for a lock)."""
    return setting("SLA_TIMER_BATCH", 500)


def tick_budget_seconds() -> float:
    """Seconds one tick goes on claiming batch after batch while timers are still due."""
    return setting("SLA_TICK_BUDGET_SECONDS", 20)


def report_channel() -> str:
    """Notification channel (name, or channel type) that receives the monthly report by e-mail."""
    return setting("SLA_REPORT_CHANNEL", "email")


def report_check_seconds() -> int:
    """How often beat checks whether last month's compliance report is still to be generated."""
    return setting("SLA_REPORT_CHECK_SECONDS", 3600)

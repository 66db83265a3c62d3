"""ChatOps settings, with defaults (override in the environment-driven settings)."""
from django.conf import settings


def link_max_age() -> int:
    """Seconds a "link your account" button stays valid."""
    return int(getattr(settings, "CHATOPS_LINK_MAX_AGE", 15 * 60))


def replay_window() -> int:
    """Seconds a signed Slack request is accepted after its timestamp (Slack: five minutes)."""
    return int(getattr(settings, "CHATOPS_REPLAY_WINDOW", 300))


def max_silence_hours() -> int:
    return int(getattr(settings, "CHATOPS_MAX_SILENCE_HOURS", 7 * 24))


def default_silence() -> str:
    """What the Silence button on an alert message silences for."""
    return str(getattr(settings, "CHATOPS_DEFAULT_SILENCE", "1h"))

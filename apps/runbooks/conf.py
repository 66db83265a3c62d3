"""Runbook settings (documented in docs/runbooks.md). Read at call time so tests can override them."""

from aiops.conf import setting


def output_limit() -> int:
    """Bytes of stdout and of stderr kept per step (head and tail; the middle is elided)."""
    return setting("RUNBOOKS_OUTPUT_LIMIT", 65536)


def ssh_connect_timeout() -> float:
    return setting("RUNBOOKS_SSH_CONNECT_TIMEOUT", 10.0)


def allow_self_approval() -> bool:
    """Whether the person who asked for a run may approve it (four-eyes rule when False)."""
    return setting("RUNBOOKS_ALLOW_SELF_APPROVAL", False)


def timer_interval() -> int:
    """Seconds between runs of the beat task that expires approvals and fires delayed triggers."""
    return setting("RUNBOOKS_TIMER_INTERVAL", 30)


def live_flush_interval() -> float:
    """Seconds between saves of a running step's output (what the live page polls)."""
    return setting("RUNBOOKS_LIVE_FLUSH_INTERVAL", 1.0)

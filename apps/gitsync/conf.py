"""Git sync settings (Django setting, else environment variable, else the default)."""

import os

from aiops.conf import setting


def default_interval_seconds() -> int:
    """How often a repository is synced on schedule unless it sets its own interval."""
    return setting("GITSYNC_DEFAULT_INTERVAL_SECONDS", 180)


def tick_seconds() -> int:
    """How often beat looks for repositories that are due or asked to sync."""
    return setting("GITSYNC_TICK_SECONDS", 30)


def command_timeout() -> int:
    """Seconds a quick git call (ls-remote, ls-tree, cat-file) may take."""
    return setting("GITSYNC_COMMAND_TIMEOUT", 30)


def fetch_timeout() -> int:
    """Seconds a fetch may take."""
    return setting("GITSYNC_FETCH_TIMEOUT", 120)


def connect_timeout() -> int:
    """Seconds ssh waits for the server to answer."""
    return setting("GITSYNC_CONNECT_TIMEOUT", 10)


def lock_seconds() -> int:
    """A sync's lease on its repository; renewed while it runs, so a killed worker frees it this fast."""
    return setting("GITSYNC_LOCK_SECONDS", 300)


def max_files() -> int:
    """Most runbook files one repository may hold (more is refused: a mis-set path, not runbooks)."""
    return setting("GITSYNC_MAX_FILES", 5000)


def max_file_bytes() -> int:
    """Largest runbook file read (bigger files are reported, not parsed)."""
    return setting("GITSYNC_MAX_FILE_BYTES", 512 * 1024)


def max_repository_bytes() -> int:
    """Most bytes of runbook files read in one sync."""
    return setting("GITSYNC_MAX_REPOSITORY_BYTES", 64 * 1024 * 1024)


def max_output_bytes() -> int:
    """Most bytes any other git call may print."""
    return setting("GITSYNC_MAX_OUTPUT_BYTES", 16 * 1024 * 1024)


def allow_http() -> bool:
    """Allow plain http:// remotes (a local mirror); off by default: tokens would travel in clear."""
    return setting("GITSYNC_ALLOW_HTTP", False)


def work_dir() -> str | None:
    """Where sync workspaces are made (removed after each sync); empty = the system temp dir."""
    path = setting("GITSYNC_WORK_DIR", "")
    if path:
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path or None


def max_body_bytes() -> int:
    """Largest push-webhook body accepted (GitHub sends up to 25 MB; pushes are usually small)."""
    return setting("GITSYNC_MAX_BODY_BYTES", 5 * 1024 * 1024)


def hook_rate_limit() -> int:
    """Push-webhook requests per minute per repository (0 = unlimited)."""
    return setting("GITSYNC_HOOK_RATE_LIMIT", 120)


def base_url() -> str:
    from aiops.links import base_url as public_base_url

    return public_base_url()


def failure_channel() -> str:
    """Notification channel (name, else type) told when a repository's syncs start failing."""
    return setting("GITSYNC_FAILURE_CHANNEL", "email")

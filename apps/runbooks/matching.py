"""Which runbooks an alert triggers, and which host an alert label points at. Pure functions."""

from __future__ import annotations

from fnmatch import fnmatchcase
from urllib.parse import urlsplit


def trigger_matches(trigger: dict, *, name: str, severity: str, labels: dict) -> bool:
    """Alert-name glob, severity list (empty = any) and label globs must all hold."""
    if not fnmatchcase(name or "", trigger["alert_pattern"]):
        return False
    if trigger.get("severity") and severity not in trigger["severity"]:
        return False
    for key, pattern in (trigger.get("labels") or {}).items():
        if key not in labels or not fnmatchcase(str(labels[key]), pattern):
            return False
    return True


def matching_trigger(definition: dict, *, name: str, severity: str, labels: dict) -> dict | None:
    """The matching trigger that fires soonest (smallest minimum duration), or None."""
    matches = [
        t
        for t in definition.get("triggers", [])
        if trigger_matches(t, name=name, severity=severity, labels=labels)
    ]
    return min(matches, key=lambda t: t.get("min_duration_seconds") or 0) if matches else None


def host_of(value: str) -> str:
    """The host part of an `instance`-style label: "web-1:9100" → "web-1", "[::1]:22" → "::1"."""
    value = (value or "").strip()
    if "://" in value:
        return urlsplit(value).hostname or ""
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value  # a bare name, IPv4 address or IPv6 address without port

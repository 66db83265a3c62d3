"""Who else owns a runbook's definition: apps register a lookup, the runbooks app asks before edits.

Git sync registers one: a runbook synced from a repository is read-only in the portal, admin and
API (its source of truth is the file), and pages show where to change it instead. The registry
keeps the import direction (gitsync → runbooks) one way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ManagedBy:
    label: str  # "Git: runbooks-prod"
    path: str  # file in the source
    revision: str  # commit id
    url: str = ""  # the file at that revision in the source's web UI, if known
    source: str = "git"  # the RunbookVersion.source whose saves are the owner's own


_lookups: list[Callable] = []


def register_owner_lookup(lookup: Callable) -> None:
    """`lookup(runbook) -> ManagedBy | None`; called on edits and on the runbook's page."""
    if lookup not in _lookups:
        _lookups.append(lookup)


def managed_by(runbook) -> ManagedBy | None:
    if runbook is None or runbook.pk is None:
        return None
    for lookup in _lookups:
        owner = lookup(runbook)
        if owner is not None:
            return owner
    return None

"""The runbook-suggestion registry: how the runbooks app turns "a runbook named X fits" into a link.

The analyser (LLM or offline) may name a runbook; only the runbooks app knows which runbooks exist
in the organisation. It registers a suggester in its `ready()`:

    register_runbook_suggester(fn)   # fn(*, subject, analysis: dict) -> dict | None

`analysis` holds the validated sections (including `suggested_runbook`, a name or None). A
suggester returns {"name", "id", "url", "reason"} for a runbook that exists, or None. The first
answer wins; without any suggester the analyser's name is kept as an unmatched hint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_suggesters: list[Callable] = []


def register_runbook_suggester(fn: Callable) -> None:
    if fn not in _suggesters:
        _suggesters.append(fn)


def unregister_runbook_suggester(fn: Callable) -> None:
    if fn in _suggesters:
        _suggesters.remove(fn)


def suggest_runbook(*, subject, analysis: dict) -> dict:
    """The stored `suggested_runbook`: a matched runbook, the analyser's unmatched hint, or {}."""
    for fn in list(_suggesters):
        try:
            found = fn(subject=subject, analysis=analysis)
        except Exception:
            logger.exception(
                "runbook suggester failed", extra={"suggester": getattr(fn, "__name__", repr(fn))}
            )
            continue
        if found and found.get("name"):
            return {
                "name": str(found["name"]),
                "id": found.get("id"),
                "url": found.get("url") or "",
                "reason": found.get("reason") or "",
                "matched": True,
            }
    name = analysis.get("suggested_runbook")
    return {"name": name, "id": None, "url": "", "reason": "", "matched": False} if name else {}

"""A few sentences on what an alert's logs show: shown atop the logs panel and the AI's log block.

The built-in summary is made from the mined patterns when the context is stored (no network, so
every context has one at once). When the organisation's analysis policy names an LLM provider and
the window holds more than `LLM_MIN_ENTRIES` entries, a Celery task then asks that provider —
through the analysis app's provider abstraction, with its rate limit, token budget and call
ledger — to summarise the structured block, and replaces the built-in text. Alerts sharing one
fetch (a storm) share one LLM call. A failing provider keeps the built-in summary.
"""

from __future__ import annotations

from .mining.patterns import LEVEL_RANK

LLM_MIN_ENTRIES = 50
BUILTIN = "built-in"
MAX_CHARS = 1200
SYSTEM_PROMPT = (
    "You summarise application logs for an on-call engineer who is looking at an alert. "
    "In at most three short sentences of plain text (no markdown, no lists), say what the logs show: "
    "the main error, whether it is new in this window, the exception and code location when given, "
    "and how often it occurred. Use only what the log block below shows; never invent causes."
)


def _name(p: dict) -> str:
    return (p.get("exception") or p.get("template") or "").strip()[:160]


def builtin(outcome: dict) -> str:
    """From a stored context's fields (entries, level_counts, patterns): the offline summary."""
    entries = outcome.get("entries") or 0
    if not entries:
        return ""
    levels = outcome.get("level_counts") or {}
    errors = sum(levels.get(lvl, 0) for lvl in ("critical", "error"))
    warnings = levels.get("warning", 0)
    patterns = outcome.get("patterns") or []
    parts = [f"{entries} log entr{'y' if entries == 1 else 'ies'} in the window, {errors} error"
             f"{'' if errors == 1 else 's'} and {warnings} warning{'' if warnings == 1 else 's'}, "
             f"in {len(patterns)} pattern{'' if len(patterns) == 1 else 's'}."]
    worst = [p for p in patterns if LEVEL_RANK.get(p.get("level"), 9) <= 2][:2]
    for i, p in enumerate(worst):
        where = f" at {p['top_frame']}" if p.get("top_frame") else ""
        badge = " (new in this window)" if p.get("new") else " (elevated against the previous hour)" if p.get(
            "elevated") else ""
        lead = "Top" if i == 0 else "Next"
        parts.append(f"{lead}: {_name(p)}{where}, {p.get('count', 0)}×{badge}.")
    new = sum(1 for p in patterns if p.get("new"))
    if new and patterns:
        parts.append(f"{new} of {len(patterns)} patterns did not occur in the previous hour.")
    return " ".join(parts)[:MAX_CHARS]


def clean(text: str) -> str:
    """An LLM's answer as plain text: whitespace folded, bounded."""
    return " ".join((text or "").split())[:MAX_CHARS]

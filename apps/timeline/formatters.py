"""Summary formatters: turn a domain event into the sentence a responder reads on the timeline.

One formatter per event name, registered here or by any app (`register_formatter`) — and a
generic fallback that reads the conventional keys (`title`, `name`, `summary`, `status`), so an
event this module knows nothing about still renders a readable line. A formatter that raises is
logged and replaced by the fallback: a bad sentence must never lose an event.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from aiops.events import CATALOGUE

logger = logging.getLogger(__name__)

Text = Callable[[dict], str]


@dataclass(frozen=True)
class Formatter:
    summary: Text
    details: Text | None = None
    # The moment the thing happened, when the event knows it better than its publish time
    # (an alert fires at its startsAt, not when Alertmanager got round to sending it).
    event_time: Callable[[dict], datetime | None] | None = None


@dataclass(frozen=True)
class Rendered:
    summary: str
    details: str
    occurred_at: datetime


_formatters: dict[str, Formatter] = {}


def register_formatter(name: str, summary: Text, *, details: Text | None = None, event_time=None) -> None:
    """Register (or replace) the formatter of one catalogued event name."""
    if name not in CATALOGUE:
        raise ValueError(f"unknown event {name!r}; see aiops.events.CATALOGUE")
    _formatters[name] = Formatter(summary, details, event_time)


def formatter_for(name: str) -> Formatter:
    return _formatters.get(name, GENERIC)


def render(event: dict) -> Rendered:
    """Summary, details and event time of one event, falling back to the generic formatter."""
    published = parse_time(event.get("occurred_at")) or timezone.now()
    formatter = formatter_for(event["name"])
    try:
        summary = formatter.summary(event)
        details = formatter.details(event) if formatter.details else GENERIC.details(event)
        occurred_at = (formatter.event_time(event) if formatter.event_time else None) or published
    except Exception:
        logger.exception("timeline formatter failed; using the generic one", extra={"event": event["name"]})
        summary, details, occurred_at = GENERIC.summary(event), GENERIC.details(event), published
    return Rendered(summary=summary.strip() or humanise(event["name"]), details=details.strip(),
                    occurred_at=occurred_at)


# --- helpers ---------------------------------------------------------------------------------

def parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            return None
    else:
        return None
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def humanise(name: str) -> str:
    return name.replace(".", " ").replace("_", " ").capitalize()


def first(data: dict, *keys: str, default="") -> str:
    """The first non-empty value among `keys`, as text (producers name things differently)."""
    for key in keys:
        value = data.get(key)
        if value not in (None, "", [], {}):
            return str(value)
    return default


def when(value) -> str:
    moment = parse_time(value)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else str(value or "")


def join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def clip(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _data(event: dict) -> dict:
    return event.get("data") or {}


def title_of(data: dict) -> str:
    return first(data, "title", "name", "summary", "description")


def _generic_summary(event: dict) -> str:
    title = title_of(_data(event))
    return f"{humanise(event['name'])}: {clip(title)}" if title else humanise(event["name"])


def _generic_details(event: dict) -> str:
    data = _data(event)
    status = first(data, "status")
    return join(_("Status: %(status)s") % {"status": status} if status else "",
                clip(first(data, "reason", "description", "message"), 300))


GENERIC = Formatter(_generic_summary, _generic_details)

"""The timeline as Markdown for post-mortems: facts, key moments with offsets, then every event."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

# (label, test) in the order a post-mortem reads them; the first (or last) matching entry counts.
KEY_MOMENTS = (
    (lambda: _("First alert fired"), "first", lambda e: e.kind == "alert.received"),
    (lambda: _("Incident opened"), "first", lambda e: e.kind == "incident.created"),
    (lambda: _("First acknowledgment"), "first", lambda e: e.kind == "alert.acknowledged"),
    (lambda: _("First runbook execution"), "first", lambda e: e.kind == "runbook.execution_started"),
    (lambda: _("Resolved"), "last", lambda e: e.kind == "alert.resolved"
     or (e.kind == "incident.status_changed" and (e.data or {}).get("new_status") == "resolved")),
)


def timeline_markdown(*, title: str, facts: dict, entries: Sequence) -> str:
    """A self-contained Markdown document; `entries` in time order."""
    now = timezone.localtime()
    lines = [f"# {_cell(title)}", ""]
    for label, value in ((_("Status"), facts.get("status")), (_("Severity"), facts.get("severity")),
                         (_("Link"), facts.get("url"))):
        if value:
            lines.append(f"- **{label}:** {value}")
    zone = _("times in %(tz)s") % {"tz": now.tzname()}
    lines.append(f"- **{_('Exported')}:** {now:%Y-%m-%d %H:%M:%S} ({zone})")
    lines.append("")
    if not entries:
        lines.append(_("No events recorded."))
        return "\n".join(lines) + "\n"
    origin = entries[0].occurred_at
    moments = _key_moments(entries)
    if moments:
        lines += [f"## {_('Key moments')}", ""]
        lines += [f"- **{label}:** {_time(at)} (T+{_offset(at, origin)})" for label, at in moments]
        lines.append("")
    lines += [f"## {_('Events')}", ""]
    lines.append(f"| # | {_('Time')} | T+ | {_('Event')} | {_('Summary')} | {_('By')} |")
    lines.append("|---|---|---|---|---|---|")
    for number, entry in enumerate(entries, start=1):
        summary = _cell(entry.summary)
        if entry.details:
            summary += "<br>" + _cell(entry.details)
        if entry.source_url:
            summary += f" ([{_('source')}]({entry.source_url}))"
        lines.append(f"| {number} | {_time(entry.occurred_at)} | {_offset(entry.occurred_at, origin)} | "
                     f"`{entry.kind}` | {summary} | {_cell(entry.actor_label)} |")
    return "\n".join(lines) + "\n"


def _key_moments(entries: Sequence) -> list[tuple[str, datetime]]:
    found = []
    for label, which, test in KEY_MOMENTS:
        matching = [e for e in entries if test(e)]
        if matching:
            found.append((label(), (matching[0] if which == "first" else matching[-1]).occurred_at))
    return found


def _time(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


def _offset(moment: datetime, origin: datetime) -> str:
    hours, rest = divmod(int((moment - origin).total_seconds()), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks as <br>, no raw HTML."""
    text = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(part.strip() for part in text.replace("|", "\\|").splitlines() if part.strip())

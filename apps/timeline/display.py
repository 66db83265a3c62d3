"""What a timeline is about (an incident or an alert) and the context its templates draw from.

The panel, the standalone page, the Markdown download and the API all go through a
`TimelineSubject`, so "who may see it" and "which entries belong to it" live in one place each.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors
from .chart import timeline_chart


@dataclass(frozen=True)
class TimelineSubject:
    name: str  # "incident" or "alert": also the portal URL names timeline:<name>, timeline:<name>-markdown
    visible: Callable[..., bool]  # (user, organization, pk)
    entries: Callable[..., QuerySet]  # (user, organization, pk)
    facts: Callable[..., dict]  # (entries, pk)
    heading: Callable[[dict], str]  # (facts)

    def title(self, facts: dict) -> str:
        heading = self.heading(facts)
        return f"{heading}: {facts['title']}" if facts.get("title") else heading

    def page_url(self, pk: int) -> str:
        return reverse(f"timeline:{self.name}", args=[pk])

    def markdown_url(self, pk: int) -> str:
        return reverse(f"timeline:{self.name}-markdown", args=[pk])


INCIDENT = TimelineSubject(
    name="incident",
    visible=lambda user, org, pk: selectors.incident_visible(user=user, organization=org, incident_id=pk),
    entries=lambda user, org, pk: selectors.incident_timeline(user=user, organization=org, incident_id=pk),
    facts=lambda entries, pk: selectors.incident_facts(entries, incident_id=pk),
    heading=lambda facts: _("Incident #%(id)s") % {"id": facts.get("number") or facts["id"]},
)
ALERT = TimelineSubject(
    name="alert",
    visible=lambda user, org, pk: selectors.alert_visible(user=user, organization=org, alert_id=pk),
    entries=lambda user, org, pk: selectors.alert_timeline(user=user, organization=org, alert_id=pk),
    facts=lambda entries, pk: selectors.alert_facts(entries, alert_id=pk),
    heading=lambda facts: _("Alert #%(id)s") % {"id": facts["id"]},
)


def latest_window(entries: QuerySet, *, limit: int) -> tuple[list, bool]:
    """The newest `limit` entries in time order, and whether older ones were left out."""
    rows = list(entries.order_by("-occurred_at", "-id")[: limit + 1])
    return rows[:limit][::-1], len(rows) > limit


def timeline_context(subject: TimelineSubject, pk: int, entries: QuerySet, *, limit: int) -> dict:
    shown, truncated = latest_window(entries, limit=limit)
    return {
        "subject": subject.name,
        "entries": shown,
        "chart": timeline_chart(shown),
        "truncated": truncated,
        "limit": limit,
        "page_url": subject.page_url(pk),
        "markdown_url": subject.markdown_url(pk),
    }

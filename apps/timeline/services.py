"""The one write path of the timeline: record a domain event as an entry, exactly once.

There is deliberately no update or delete service: the timeline is an append-only record that a
post-mortem can trust. Rows disappear only with their organisation.
"""
from __future__ import annotations

import logging

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import translation

from aiops.events import CATALOGUE
from apps.alerts.choices import ActionSource
from apps.tenancy.models import Organization, Team

from .formatters import first, render
from .models import TimelineEntry

logger = logging.getLogger(__name__)

ALERT_SUBJECT = "alerts.alert"
INCIDENT_SUBJECT = "incidents.incident"


class TimelineEventError(ValueError):
    """The event lacks what every catalogued event has (id, name, organisation)."""


def timeline_entry_record(*, event: dict) -> TimelineEntry | None:
    """Write the entry for one domain event and return it.

    Idempotent: Celery may deliver an event twice (acks_late, a worker lost mid-task), and the
    second delivery returns the row the first one wrote. Returns None when the organisation no
    longer exists (an event that outlived its tenant has nothing to be shown to).
    """
    event_id, name, org_id = event.get("id"), event.get("name"), event.get("organization_id")
    if not event_id or name not in CATALOGUE or not org_id:
        raise TimelineEventError(f"not a catalogued domain event: id={event_id!r} name={name!r} "
                                 f"org={org_id!r}")
    if not Organization.objects.filter(pk=org_id).exists():
        logger.warning("timeline event for a missing organisation dropped",
                       extra={"event": name, "org": org_id})
        return None

    data = event.get("data") or {}
    subject = event.get("subject") or {}
    actor = _actor(event.get("actor_id"))
    with translation.override(settings.LANGUAGE_CODE):
        rendered = render(event)
        actor_label = _actor_label(actor, data)
    entry = TimelineEntry(
        organization_id=org_id,
        team_id=_team_id(org_id, data, subject),
        event_id=event_id,
        kind=name,
        occurred_at=rendered.occurred_at,
        incident_id=_id(data.get("incident_id")) or _subject_id(subject, INCIDENT_SUBJECT),
        alert_id=_id(data.get("alert_id")) or _subject_id(subject, ALERT_SUBJECT),
        subject_type=str(subject.get("type") or "")[:100],
        subject_id=_id(subject.get("id")),
        actor=actor,
        actor_label=actor_label[:200],
        summary=rendered.summary,
        details=rendered.details,
        source_url=_url(data.get("url")),
        data=data,
    )
    try:
        with transaction.atomic():  # a savepoint: losing the race must not break the caller's transaction
            entry.save(force_insert=True)
    except IntegrityError:
        # A redelivery, or two workers holding the same message at once: the first write stands.
        existing = TimelineEntry.objects.filter(event_id=event_id).first()
        if existing is None:
            raise
        return existing
    return entry


def _id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _subject_id(subject: dict, type_: str) -> int | None:
    return _id(subject.get("id")) if subject.get("type") == type_ else None


def _actor(actor_id):
    return get_user_model().objects.filter(pk=_id(actor_id)).first() if _id(actor_id) else None


def _actor_label(actor, data: dict) -> str:
    if actor is not None:
        return actor.get_full_name() or actor.get_username()
    named = first(data, "actor_label", "author")
    if named:
        return named
    source = first(data, "source")
    return str(ActionSource(source).label) if source in ActionSource.values else source


def _team_id(org_id: int, data: dict, subject: dict) -> int | None:
    """The subject's team, so team-scoped alerts stay visible only to their team.

    Producers that carry `team_id` in data are trusted (alert summaries do); otherwise the
    subject row is asked, through the app registry rather than an import.
    """
    team_id = _id(data.get("team_id")) if "team_id" in data else _subject_team_id(subject)
    if team_id is None or not Team.objects.filter(pk=team_id, organization_id=org_id).exists():
        return None
    return team_id


def _subject_team_id(subject: dict) -> int | None:
    label, pk = subject.get("type"), _id(subject.get("id"))
    if not label or pk is None or "." not in label:
        return None
    try:
        model = django_apps.get_model(label)
    except (LookupError, ValueError):
        return None
    if not any(f.name == "team" for f in model._meta.concrete_fields):
        return None
    return model._base_manager.filter(pk=pk).values_list("team_id", flat=True).first()


def _url(value) -> str:
    url = str(value or "")
    return url if url.startswith(("http://", "https://")) and len(url) <= 2000 else ""

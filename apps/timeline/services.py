"""The one write path of the timeline: record a domain event as an entry, exactly once.

There is deliberately no update or delete service: the timeline is an append-only record that a
post-mortem can trust. Rows disappear only with their organisation.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
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
    """Write the entry for one domain event and return it (see timeline_entries_record).

    Idempotent: Celery may deliver an event twice (acks_late, a worker lost mid-task), and the
    second delivery returns the row the first one wrote. Returns None when the organisation no
    longer exists (an event that outlived its tenant has nothing to be shown to).
    """
    _check(event)
    return timeline_entries_record(events=[event]).get(str(event["id"]))


def timeline_entries_record(*, events: list[dict]) -> dict[str, TimelineEntry]:
    """Write the entries of a batch of domain events (one committed transaction's) at once.

    One query per lookup (organisations, users, teams, rows already written) and one bulk insert,
    instead of a handful of queries and a savepoint per event. Idempotent per event id, as one at
    a time: an id already stored (a redelivered batch, or another worker holding the same message)
    keeps its first row, and `ON CONFLICT DO NOTHING` settles a race with a concurrent writer.

    Returns {event id: entry} for every event that is stored, whether now or before; events of a
    deleted organisation are dropped with a warning. An event that cannot be recorded (malformed,
    or its row cannot be built) does not cost the others theirs: they are written, then its error
    is raised, so the task fails visibly and a retry (idempotent) writes only what is missing.
    """
    problems: list[Exception] = []
    wanted: dict[str, dict] = {}
    for event in events:
        try:
            _check(event)
        except TimelineEventError as exc:
            logger.error("malformed domain event not recorded: %s", exc)
            problems.append(exc)
            continue
        wanted.setdefault(str(event["id"]), event)  # the same event twice in a batch: one row

    stored = {e.event_id: e for e in TimelineEntry.objects.filter(event_id__in=list(wanted))}
    todo = [event for event_id, event in wanted.items() if event_id not in stored]
    live_orgs = set(Organization.objects.filter(pk__in={e["organization_id"] for e in todo})
                    .values_list("pk", flat=True))
    for event in todo:
        if event["organization_id"] not in live_orgs:
            logger.warning("timeline event for a missing organisation dropped",
                           extra={"event": event["name"], "org": event["organization_id"]})
    todo = [event for event in todo if event["organization_id"] in live_orgs]

    lookups = _Lookups.load(todo)
    entries = []
    with translation.override(settings.LANGUAGE_CODE):
        for event in todo:
            try:
                entries.append(_build_entry(event, lookups))
            except Exception as exc:  # one unrenderable event must not lose the batch's others
                logger.exception("timeline entry could not be built", extra={"event": event.get("name")})
                problems.append(exc)
    if entries:
        TimelineEntry.objects.bulk_create(entries, ignore_conflicts=True)
        # Re-read: the insert sets no ids when it skips conflicts, and a concurrent writer's row wins.
        stored.update((e.event_id, e) for e in TimelineEntry.objects.filter(
            event_id__in=[entry.event_id for entry in entries]))
    if problems:
        raise problems[0]
    return stored


def _check(event: dict) -> None:
    event_id, name, org_id = event.get("id"), event.get("name"), event.get("organization_id")
    if not event_id or name not in CATALOGUE or not org_id:
        raise TimelineEventError(f"not a catalogued domain event: id={event_id!r} name={name!r} "
                                 f"org={org_id!r}")


def _build_entry(event: dict, lookups: _Lookups) -> TimelineEntry:
    org_id = event["organization_id"]
    data = event.get("data") or {}
    subject = event.get("subject") or {}
    actor = lookups.users.get(_id(event.get("actor_id")))
    rendered = render(event)
    return TimelineEntry(
        organization_id=org_id,
        team_id=lookups.team_id(org_id, data, subject),
        event_id=event["id"],
        kind=event["name"],
        occurred_at=rendered.occurred_at,
        incident_id=_id(data.get("incident_id")) or _subject_id(subject, INCIDENT_SUBJECT),
        alert_id=_id(data.get("alert_id")) or _subject_id(subject, ALERT_SUBJECT),
        subject_type=str(subject.get("type") or "")[:100],
        subject_id=_id(subject.get("id")),
        actor=actor,
        actor_label=_actor_label(actor, data)[:200],
        summary=rendered.summary,
        details=rendered.details,
        source_url=_url(data.get("url")),
        data=data,
    )


@dataclass
class _Lookups:
    """What a batch's entries need from other tables, each fetched with one query."""

    users: dict[int, object]
    subject_teams: dict[tuple[str, int], int | None]  # (model label, pk) -> team id
    team_orgs: dict[int, int]  # team id -> its organisation

    @classmethod
    def load(cls, events: list[dict]) -> _Lookups:
        actor_ids = {_id(e.get("actor_id")) for e in events} - {None}
        users = {u.pk: u for u in get_user_model().objects.filter(pk__in=actor_ids)} if actor_ids else {}
        wanted_subjects: dict[str, set[int]] = defaultdict(set)
        for event in events:
            if "team_id" not in (event.get("data") or {}):
                label, pk = _subject_key(event.get("subject") or {})
                if label:
                    wanted_subjects[label].add(pk)
        subject_teams = {}
        for label, pks in wanted_subjects.items():
            subject_teams.update(((label, pk), team) for pk, team in _subject_team_ids(label, pks).items())
        lookups = cls(users, subject_teams, {})
        team_ids = {lookups._claimed_team(e.get("data") or {}, e.get("subject") or {}) for e in events} - {None}
        if team_ids:
            lookups.team_orgs = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "organization_id"))
        return lookups

    def _claimed_team(self, data: dict, subject: dict) -> int | None:
        if "team_id" in data:
            return _id(data.get("team_id"))
        return self.subject_teams.get(_subject_key(subject))

    def team_id(self, org_id: int, data: dict, subject: dict) -> int | None:
        """The subject's team, so team-scoped alerts stay visible only to their team.

        Producers that carry `team_id` in data are trusted (alert summaries do) when the team is
        of the event's organisation; otherwise the subject row is asked, through the app
        registry rather than an import.
        """
        team_id = self._claimed_team(data, subject)
        return team_id if team_id is not None and self.team_orgs.get(team_id) == org_id else None


def _id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _subject_id(subject: dict, type_: str) -> int | None:
    return _id(subject.get("id")) if subject.get("type") == type_ else None


def _actor_label(actor, data: dict) -> str:
    if actor is not None:
        return actor.get_full_name() or actor.get_username()
    named = first(data, "actor_label", "author")
    if named:
        return named
    source = first(data, "source")
    return str(ActionSource(source).label) if source in ActionSource.values else source


def _subject_key(subject: dict) -> tuple[str, int] | tuple[None, None]:
    label, pk = subject.get("type"), _id(subject.get("id"))
    if not label or pk is None or "." not in str(label):
        return None, None
    return str(label), pk


def _subject_team_ids(label: str, pks: set[int]) -> dict[int, int | None]:
    """{pk: team id} of the subject rows of one model, if that model has a team."""
    try:
        model = django_apps.get_model(label)
    except (LookupError, ValueError):
        return {}
    if not any(f.name == "team" for f in model._meta.concrete_fields):
        return {}
    return dict(model._base_manager.filter(pk__in=pks).values_list("pk", "team_id"))


def _url(value) -> str:
    url = str(value or "")
    return url if url.startswith(("http://", "https://")) and len(url) <= 2000 else ""

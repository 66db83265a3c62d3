"""Read side: who is on call, shifts, gaps; the rotation maths fed from the schedule's rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from . import rotation
from .choices import EscalationTarget, LayerKind
from .models import ContactMethod, Layer, Override, QuietHours, Schedule
from .rotation import LayerSpec, Restriction, Shift


def zone(schedule: Schedule) -> ZoneInfo:
    return ZoneInfo(schedule.time_zone or "UTC")


def layer_spec(layer: Layer, tz: ZoneInfo, fixed: tuple[Shift, ...] = ()) -> LayerSpec:
    restriction = None
    if layer.restriction_start is not None and layer.restriction_end is not None:
        restriction = Restriction(frozenset(layer.restriction_weekdays or range(7)),
                                  layer.restriction_start, layer.restriction_end)
    elif layer.restriction_weekdays:
        # Whole days only: midnight to midnight on the chosen weekdays.
        restriction = Restriction(frozenset(layer.restriction_weekdays), datetime.min.time(), datetime.min.time())
    until = None
    if layer.end_date:
        until = rotation.localize(datetime.combine(layer.end_date, layer.handoff_time), tz)
    return LayerSpec(
        key=f"layer:{layer.pk}", priority=layer.position, tz=tz,
        start_local=rotation.first_handoff(layer.start_date, layer.handoff_time, layer.shift_unit,
                                           layer.handoff_weekday),
        unit=layer.shift_unit, length=layer.shift_length,
        participants=tuple(int(p) for p in layer.participants or ()),
        restriction=restriction, until=until, fixed=fixed,
    )


def _override_shift(o: Override, priority: int) -> Shift:
    return Shift(o.start, o.end, o.user_id, f"override:{o.pk}", priority)


@dataclass
class ScheduleData:
    """What the maths needs for one schedule and window: loaded in two queries, reusable."""

    schedule: Schedule
    specs: list[LayerSpec]
    overrides: list[Shift]

    def candidates(self, start: datetime, end: datetime) -> list[Shift]:
        out = [s for s in self.overrides if s.end > start and s.start < end]
        for spec in self.specs:
            out.extend(rotation.layer_shifts(spec, start, end))
        return out


def schedule_data(schedule: Schedule, start: datetime, end: datetime) -> ScheduleData:
    tz = zone(schedule)
    rows = list(Override.objects.filter(schedule=schedule, end__gt=start, start__lt=end).order_by("pk"))
    fixed: dict[int, list[Shift]] = {}
    overrides = []
    for o in rows:
        if o.layer_id:
            fixed.setdefault(o.layer_id, []).append(_override_shift(o, 0))
        else:
            overrides.append(_override_shift(o, rotation.OVERRIDE_PRIORITY + o.pk))
    specs = []
    for layer in Layer.objects.filter(schedule=schedule):
        shifts = tuple(Shift(s.start, s.end, s.user_id, f"layer:{layer.pk}", layer.position)
                       for s in fixed.get(layer.pk, ()))
        if layer.kind == LayerKind.CALENDAR and not shifts:
            continue
        specs.append(layer_spec(layer, tz, shifts))
    return ScheduleData(schedule, specs, overrides)


def timeline(schedule: Schedule, start: datetime, end: datetime, *, gaps: bool = False) -> list[Shift]:
    data = schedule_data(schedule, start, end)
    return rotation.final(data.candidates(start, end), start, end, gaps=gaps)


def oncall_at(schedule: Schedule, at: datetime | None = None) -> list[Shift]:
    """[primary, backup, ...] at `at` (the backup is the best other person of a lower layer)."""
    at = at or timezone.now()
    end = at + timedelta(microseconds=1)
    return rotation.on_call(schedule_data(schedule, at, end).candidates(at, end), at)


@dataclass(frozen=True)
class OnCallNow:
    schedule: Schedule
    primary: str  # display names; "" when nobody covers the instant
    backup: str


def oncall_now(schedules, at: datetime | None = None) -> list[OnCallNow]:
    """Who is on call now (and the backup) on each of `schedules`, in their order, names resolved at once."""
    at = at or timezone.now()
    found = [(schedule, oncall_at(schedule, at)) for schedule in schedules]
    names = users_by_id(s.user_id for _, people in found for s in people[:2])
    return [OnCallNow(schedule, *(display_name(names.get(people[i].user_id)) if len(people) > i else ""
                                  for i in (0, 1)))
            for schedule, people in found]


def next_shifts(schedule: Schedule, *, count: int = 10, after: datetime | None = None,
                horizon_days: int = 90) -> list[Shift]:
    """The next `count` final shifts from `after` (the current one first), within `horizon_days`."""
    after = after or timezone.now()
    return timeline(schedule, after, after + timedelta(days=horizon_days))[:count]


def coverage_gaps(schedule: Schedule, *, start: datetime | None = None, days: int = 14) -> list[Shift]:
    start = start or timezone.now()
    return rotation.gaps_of(timeline(schedule, start, start + timedelta(days=days), gaps=True))


def user_shifts(user, organization, start: datetime, end: datetime, schedules=None) -> list[tuple[Schedule, Shift]]:
    """A person's final shifts on every schedule of the organisation (or of `schedules`)."""
    pk = getattr(user, "pk", user)
    qs = schedules if schedules is not None else Schedule.objects.for_org(organization)
    out = []
    for schedule in qs:
        out.extend((schedule, s) for s in timeline(schedule, start, end) if s.user_id == pk)
    out.sort(key=lambda pair: pair[1].start)
    return out


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """What a calendar feed lists: whole UTC days, so a shift cut at the window's edge keeps its UID."""
    from . import conf

    midnight = now.astimezone(rotation.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=conf.feed_past_days()), midnight + timedelta(days=conf.feed_future_days())


def users_by_id(ids) -> dict:
    ids = {i for i in ids if i}
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)} if ids else {}


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def escalation_target(*, organization_id: int, schedule_id: int, target: str,
                      at: datetime | None = None) -> dict | None:
    """Whom an escalation level targeting this schedule pages now: name, e-mail and why.

    Resolved when the level fires, not when the escalation starts, so a handoff in between pages
    the person on call then. None when the schedule is gone or nobody covers the instant.
    """
    schedule = Schedule.objects.for_org(organization_id).filter(pk=schedule_id).select_related("lead").first()
    if schedule is None:
        return None
    if target == EscalationTarget.LEAD:
        user, why = schedule.lead, f"team lead of {schedule.name}"
    else:
        people = oncall_at(schedule, at)
        index = 1 if target == EscalationTarget.BACKUP else 0
        if len(people) <= index:
            return None
        user = users_by_id([people[index].user_id]).get(people[index].user_id)
        why = ("backup for %s" if index else "on call for %s") % schedule.name
    if user is None:
        return None
    return {"user_id": user.pk, "username": user.get_username(), "name": display_name(user),
            "email": user.email, "why": why, "schedule": schedule.name, "schedule_id": schedule.pk}


def named_target(*, organization_id: int, user_id: int) -> dict | None:
    """A person named by an escalation level, if still a member of the organisation (else nobody)."""
    from apps.tenancy.models import Membership

    if not Membership.objects.filter(organization_id=organization_id, user_id=user_id).exists():
        return None
    user = users_by_id([user_id]).get(user_id)
    if user is None:
        return None
    return {"user_id": user.pk, "username": user.get_username(), "name": display_name(user),
            "email": user.email, "why": "named in the policy", "schedule": "", "schedule_id": None}


def contact_methods(*, organization_id: int, user_id: int, severity: str | None = None) -> list[dict]:
    """A person's enabled notification methods in order; with a page's `severity`, quiet rules apply
    (a "critical alerts only" method skips anything else). Targets are secrets: for sending only."""
    rows = ContactMethod.objects.filter(organization_id=organization_id, user_id=user_id, enabled=True)
    out = []
    for method in rows.order_by("position", "pk"):
        if severity is not None and method.critical_only and severity != "critical":
            continue
        out.append({"id": method.pk, "kind": method.kind, "target": method.target, "label": method.label})
    return out


def contact_method(*, organization_id: int, method_id: int) -> dict | None:
    method = ContactMethod.objects.filter(organization_id=organization_id, pk=method_id, enabled=True).first()
    return {"id": method.pk, "kind": method.kind, "target": method.target} if method else None


def in_quiet_hours(*, organization_id: int, user_id: int, at: datetime) -> bool:
    """Whether `at` falls in the person's quiet hours (in their time zone; a window crossing midnight
    belongs to the weekday it starts on)."""
    quiet = QuietHours.objects.filter(organization_id=organization_id, user_id=user_id, enabled=True).first()
    if quiet is None:
        return False
    local = at.astimezone(ZoneInfo(quiet.time_zone or "UTC"))
    clock, day = local.time(), local.weekday()
    if quiet.start < quiet.end:
        inside, starts_on = quiet.start <= clock < quiet.end, day
    elif clock >= quiet.start:
        inside, starts_on = True, day
    else:
        inside, starts_on = clock < quiet.end, (day - 1) % 7
    return inside and (not quiet.weekdays or starts_on in quiet.weekdays)

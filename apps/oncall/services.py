"""Write paths for on-call: schedules, layers, overrides, feeds, .ics import, and the beat checks.

Every rule lives here; the portal forms, the API and the admin call these functions.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aiops import events

from . import conf, selectors
from .choices import ContactKind, LayerKind, ShiftUnit
from .models import CalendarFeed, ContactMethod, Layer, Override, QuietHours, Schedule


def _member_ids(organization_id: int) -> set[int]:
    from apps.tenancy.models import Membership

    return set(Membership.objects.filter(organization_id=organization_id).values_list("user_id", flat=True))


def validate_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": _("Unknown time zone %(tz)s.") % {"tz": name}}) from None
    return name


def validate_participants(organization_id: int, ids) -> list[int]:
    try:
        ids = [int(i) for i in ids or []]
    except (TypeError, ValueError):
        raise ValidationError({"participants": _("Give user ids.")}) from None
    outsiders = [i for i in ids if i not in _member_ids(organization_id)]
    if outsiders:
        raise ValidationError({"participants": _("Not members of this organisation: %(ids)s.") % {
            "ids": ", ".join(map(str, outsiders))}})
    return ids


def _check_member(organization_id: int, user, field: str = "user") -> None:
    if user is not None and getattr(user, "pk", user) not in _member_ids(organization_id):
        raise ValidationError({field: _("Not a member of this organisation.")})


@transaction.atomic
def schedule_create(*, organization, name: str, time_zone: str = "UTC", created_by=None, **fields) -> Schedule:
    """A new schedule (empty until it gets a layer)."""
    validate_time_zone(time_zone)
    _check_member(organization.pk, fields.get("lead"), "lead")
    return Schedule.objects.create(organization=organization, name=name, time_zone=time_zone,
                                   created_by=created_by, **fields)


@transaction.atomic
def schedule_update(*, schedule: Schedule, **fields) -> Schedule:
    if "time_zone" in fields:
        validate_time_zone(fields["time_zone"])
    if "lead" in fields:
        _check_member(schedule.organization_id, fields["lead"], "lead")
    for key, value in fields.items():
        setattr(schedule, key, value)
    schedule.save()
    return schedule


def _clean_layer(layer: Layer) -> None:
    errors = {}
    if layer.kind == LayerKind.ROTATION:
        if layer.shift_length < 1:
            errors["shift_length"] = _("A shift lasts at least one unit.")
        if layer.shift_unit not in ShiftUnit.values:
            errors["shift_unit"] = _("Choose hours, days or weeks.")
    if (layer.restriction_start is None) != (layer.restriction_end is None):
        errors["restriction_end"] = _("Give both ends of the restriction, or neither.")
    elif layer.restriction_start is not None and layer.restriction_start == layer.restriction_end:
        errors["restriction_end"] = _("The restriction's window is empty.")
    bad_days = [d for d in layer.restriction_weekdays or [] if d not in range(7)]
    if bad_days:
        errors["restriction_weekdays"] = _("Weekdays are 0 (Monday) to 6 (Sunday).")
    if layer.end_date and layer.end_date <= layer.start_date:
        errors["end_date"] = _("The end date is after the start date.")
    if errors:
        raise ValidationError(errors)
    layer.participants = validate_participants(layer.organization_id, layer.participants)


@transaction.atomic
def layer_save(*, layer: Layer) -> Layer:
    """Create or update a layer after checking its rotation and participants."""
    layer.organization_id = layer.schedule.organization_id
    _clean_layer(layer)
    layer.save()
    return layer


@transaction.atomic
def layer_create(*, schedule: Schedule, **fields) -> Layer:
    return layer_save(layer=Layer(schedule=schedule, organization_id=schedule.organization_id, **fields))


@transaction.atomic
def layer_delete(*, layer: Layer) -> None:
    layer.delete()


@transaction.atomic
def override_create(*, schedule: Schedule, user, start: datetime, end: datetime, reason: str = "",
                    created_by=None, layer: Layer | None = None, source_uid: str = "") -> Override:
    """Put `user` on call from `start` to `end`, above every layer (cover, swap, holiday)."""
    if start is None or end is None or end <= start:
        raise ValidationError({"end": _("The override ends after it starts.")})
    _check_member(schedule.organization_id, user)
    return Override.objects.create(organization_id=schedule.organization_id, schedule=schedule, user=user,
                                   start=start, end=end, reason=reason[:300], created_by=created_by,
                                   layer=layer, source_uid=source_uid[:300])


@transaction.atomic
def override_delete(*, override: Override) -> None:
    override.delete()


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_create(*, organization, schedule: Schedule | None = None, user=None, created_by=None,
                name: str = "") -> tuple[CalendarFeed, str]:
    """A secret feed URL token (returned once; only its hash is kept) for a schedule or a person."""
    if (schedule is None) == (user is None):
        raise ValidationError(_("A feed is for one schedule or one person."))
    if user is not None:
        _check_member(organization.pk, user)
    token = secrets.token_urlsafe(24)
    feed = CalendarFeed.objects.create(organization=organization, schedule=schedule, user=user, name=name[:200],
                                       prefix=token[:12], token_hash=feed_token_hash(token), created_by=created_by)
    return feed, token


@transaction.atomic
def feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    """The feed's URL stops working at once (calendar apps then show nothing new)."""
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
    return feed


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed of a URL token, compared in constant time; None when unknown or revoked."""
    if not token or len(token) < 12:
        return None
    feed = CalendarFeed.objects.filter(prefix=token[:12], revoked_at__isnull=True).first()
    if feed is None or not secrets.compare_digest(feed.token_hash, feed_token_hash(token)):
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed


@transaction.atomic
def ics_import(*, schedule: Schedule, data: bytes, as_layer: bool = False, layer_name: str = "",
               created_by=None, now: datetime | None = None) -> dict:
    """Import an .ics file as overrides (default) or as a new calendar layer.

    Each event (recurring ones expanded over the feed horizon) becomes a shift of the person its
    summary, attendee or organiser names (username or e-mail of a member). Events naming nobody
    are reported, not guessed. Re-importing the same file changes nothing (events keyed by UID
    and start).
    """
    from .ical import parse_shifts

    now = now or timezone.now()
    if len(data) > conf.import_max_bytes():
        raise ValidationError({"file": _("The file is larger than %(n)d bytes.") % {"n": conf.import_max_bytes()}})
    parsed, skipped = parse_shifts(data, organization_id=schedule.organization_id, start=now - timedelta(days=1),
                                   end=now + timedelta(days=conf.feed_future_days()), limit=conf.import_max_shifts(),
                                   tz=selectors.zone(schedule))
    layer = None
    if as_layer:
        top = max(schedule.layers.values_list("position", flat=True), default=0)
        layer = Layer.objects.create(organization_id=schedule.organization_id, schedule=schedule,
                                     kind=LayerKind.CALENDAR, name=(layer_name or _("Imported calendar"))[:200],
                                     position=top + 1, start_date=now.date())
    existing = set(Override.objects.filter(schedule=schedule, layer=layer).exclude(source_uid="")
                   .values_list("source_uid", "start"))
    created = 0
    for shift in parsed:
        if (shift.uid, shift.start) in existing:
            continue
        Override.objects.create(organization_id=schedule.organization_id, schedule=schedule, layer=layer,
                                user_id=shift.user_id, start=shift.start, end=shift.end,
                                reason=shift.summary[:300] or _("Imported from a calendar"),
                                source_uid=shift.uid[:300], created_by=created_by)
        created += 1
    return {"created": created, "skipped": skipped, "layer_id": layer.pk if layer else None}


def _team_payload(schedule: Schedule) -> dict:
    return {"schedule_id": schedule.pk, "schedule": schedule.name, "team_id": schedule.team_id,
            "time_zone": schedule.time_zone}


@transaction.atomic
def schedule_check(*, schedule: Schedule, now: datetime | None = None) -> list[str]:
    """Announce a change of the person on call, and a coverage gap in the horizon once per gap.

    Runs from beat; the row lock makes two concurrent checks announce a handoff once.
    """
    now = now or timezone.now()
    schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
    published = []
    people = selectors.oncall_at(schedule, now)
    current = people[0].user_id if people else None
    if schedule.checked_at is not None and current != schedule.current_user_id:
        users = selectors.users_by_id([current, schedule.current_user_id])
        if schedule.announce_shift_changes:
            shift = selectors.next_shifts(schedule, count=1, after=now)
            events.publish(
                "oncall.shift_changed", org=schedule.organization_id, subject=schedule,
                **_team_payload(schedule), user_id=current,
                user=selectors.display_name(users.get(current)),
                previous_user_id=schedule.current_user_id,
                previous_user=selectors.display_name(users.get(schedule.current_user_id)),
                until=shift[0].end.isoformat() if shift and shift[0].user_id == current else None,
                title=_("%(who)s is now on call for %(schedule)s") % {
                    "who": selectors.display_name(users.get(current)) or _("nobody"), "schedule": schedule.name},
            )
            published.append("oncall.shift_changed")
    schedule.current_user_id, schedule.checked_at = current, now
    gaps = selectors.coverage_gaps(schedule, start=now, days=conf.gap_horizon_days())
    first = gaps[0] if gaps else None
    notified = schedule.gap_notified_until
    if first is not None and notified is not None and first.start < notified:
        # The gap already announced (still open, or its end moved with the horizon): no repeat.
        schedule.gap_notified_until = max(notified, first.end)
    elif first is not None:
        events.publish(
            "oncall.coverage_gap", org=schedule.organization_id, subject=schedule, **_team_payload(schedule),
            gap_start=first.start.isoformat(), gap_end=first.end.isoformat(), gaps=len(gaps),
            title=_("%(schedule)s has nobody on call from %(start)s") % {
                "schedule": schedule.name,
                "start": first.start.astimezone(selectors.zone(schedule)).strftime("%Y-%m-%d %H:%M %Z")},
        )
        schedule.gap_notified_until = first.end
        published.append("oncall.coverage_gap")
    published += _shift_notices(schedule, now)
    schedule.save(update_fields=["current_user", "checked_at", "gap_notified_until", "shift_notice_until",
                                 "updated_at"])
    return published


def _shift_notices(schedule: Schedule, now: datetime) -> list[str]:
    """Publish "You are on call from 09:00" for each final shift starting in the notice window.

    The window runs from the end of the last one (`shift_notice_until`) to now + the notice, so
    every shift start is covered once; the marker moves in the transaction that publishes the
    events (the schedule row is locked), so a worker dying before the commit publishes nothing
    and the next check does it, and one dying after it has published them once. The event's
    subscriber (notifications) records its receipt with its deliveries, so a redelivered
    event sends nothing twice. A shift continuing the previous person's is no new shift.
    """
    minutes = conf.shift_notice_minutes()
    if minutes <= 0:
        return []
    horizon = now + timedelta(minutes=minutes)
    since = max(schedule.shift_notice_until or now, now)
    if horizon <= since:
        return []
    tz = selectors.zone(schedule)
    pieces = selectors.timeline(schedule, now, horizon + timedelta(microseconds=1), gaps=True)
    users = selectors.users_by_id(s.user_id for s in pieces)
    published = []
    for i, shift in enumerate(pieces):
        if not (since < shift.start <= horizon) or shift.user_id is None:
            continue
        if i and pieces[i - 1].user_id == shift.user_id:
            continue
        local = shift.start.astimezone(tz)
        whom = selectors.display_name(users.get(shift.user_id))
        events.publish(
            "oncall.shift_starting", org=schedule.organization_id, subject=schedule, **_team_payload(schedule),
            user_id=shift.user_id, user=whom, start=shift.start.isoformat(), end=shift.end.isoformat(),
            starts_local=local.strftime("%H:%M"), role="primary",
            title=_("You are on call from %(time)s (%(schedule)s, primary)") % {
                "time": local.strftime("%H:%M"), "schedule": schedule.name},
        )
        published.append("oncall.shift_starting")
    schedule.shift_notice_until = horizon
    return published


SLACK_MEMBER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
# An Events API v2 integration key ("routing key") is 32 characters.
PAGERDUTY_KEY = re.compile(r"^[A-Za-z0-9]{32}$")


def _clean_target(kind: str, target: str) -> str:
    from django.core.validators import URLValidator, validate_email

    target = (target or "").strip()
    try:
        if kind == ContactKind.EMAIL:
            validate_email(target)
        elif kind == ContactKind.SLACK:
            if not SLACK_MEMBER.match(target):
                raise ValidationError("")
        elif kind == ContactKind.WEBHOOK:
            URLValidator(schemes=["http", "https"])(target)
        elif kind == ContactKind.PAGERDUTY:
            if not PAGERDUTY_KEY.match(target):
                raise ValidationError("")
        else:
            raise ValidationError({"kind": _("Choose e-mail, Slack, webhook or PagerDuty.")})
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        messages = {ContactKind.EMAIL: _("Enter a valid e-mail address."),
                    ContactKind.SLACK: _("Enter a Slack member ID (U… or W…, from the profile's ⋮ menu)."),
                    ContactKind.WEBHOOK: _("Enter an http:// or https:// URL."),
                    ContactKind.PAGERDUTY: _("Enter a PagerDuty Events API v2 routing key (32 characters).")}
        raise ValidationError({"target": messages[kind]}) from None
    return target


@transaction.atomic
def contact_method_create(*, organization, user, kind: str, target: str, position: int | None = None,
                          label: str = "", critical_only: bool = False) -> ContactMethod:
    """Add a way to reach `user` (a member) when they are paged or their shift starts."""
    _check_member(organization.pk, user)
    target = _clean_target(kind, target)
    if position is None:
        position = 1 + max(ContactMethod.objects.filter(organization=organization, user=user)
                           .values_list("position", flat=True), default=0)
    return ContactMethod.objects.create(organization=organization, user=user, kind=kind, target=target,
                                        position=position, label=label[:100], critical_only=critical_only)


@transaction.atomic
def contact_method_update(*, method: ContactMethod, **fields) -> ContactMethod:
    """Change a method; an empty `target` keeps the stored one (it is write-only)."""
    if fields.get("target"):
        fields["target"] = _clean_target(fields.get("kind", method.kind), fields["target"])
    else:
        fields.pop("target", None)
        if "kind" in fields and fields["kind"] != method.kind:
            raise ValidationError({"target": _("A new kind needs a new address.")})
    for key, value in fields.items():
        setattr(method, key, value)
    method.save()
    return method


@transaction.atomic
def contact_method_delete(*, method: ContactMethod) -> None:
    method.delete()


def schedules_check(*, now: datetime | None = None) -> int:
    """Check every schedule that has a layer or an override (beat, every ONCALL_CHECK_SECONDS)."""
    count = 0
    for schedule in Schedule.objects.filter(layers__isnull=False).distinct().iterator():
        count += len(schedule_check(schedule=schedule, now=now))
    return count


@transaction.atomic
def quiet_hours_set(*, organization, user, start, end, time_zone: str = "UTC", weekdays=(),
                    enabled: bool = True) -> QuietHours:
    """Set (or replace) a member's quiet hours for non-critical pages."""
    _check_member(organization.pk, user)
    validate_time_zone(time_zone)
    if start == end:
        raise ValidationError({"end": _("Quiet hours need a window: start and end differ.")})
    try:
        days = sorted({int(d) for d in weekdays or ()})
    except (TypeError, ValueError):
        raise ValidationError({"weekdays": _("Weekdays are 0 (Monday) to 6 (Sunday).")}) from None
    if any(d < 0 or d > 6 for d in days):
        raise ValidationError({"weekdays": _("Weekdays are 0 (Monday) to 6 (Sunday).")})
    quiet, _created = QuietHours.objects.update_or_create(
        organization=organization, user=user,
        defaults={"start": start, "end": end, "time_zone": time_zone, "weekdays": days, "enabled": enabled})
    return quiet

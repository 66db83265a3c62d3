"""iCalendar (RFC 5545) in and out, with the `icalendar` library; RRULE expansion with dateutil.

Out: a feed of final shifts (one VEVENT per shift, UTC times, a stable UID per shift start), so
Google Calendar and Outlook show who is on call. In: an .ics exported from another tool, each
event (recurring ones expanded) a shift of the member it names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rruleset, rrulestr
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .rotation import UTC, Shift

PRODID = "-//AIOps Remediation Engine//On-call//EN"


def feed_calendar(*, name: str, shifts: list[tuple[str, Shift]], names: dict[int, str], host: str = "aiops",
                  now: datetime | None = None) -> bytes:
    """A VCALENDAR of `shifts` ((schedule name, shift) pairs); `names` maps user ids to names."""
    now = now or timezone.now()
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for schedule_name, shift in shifts:
        who = names.get(shift.user_id, "?")
        event = icalendar.Event()
        event.add("uid", f"{shift.source}-{shift.user_id}-{shift.start:%Y%m%dT%H%M%SZ}@{host}")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", shift.start.astimezone(UTC))
        event.add("dtend", shift.end.astimezone(UTC))
        event.add("summary", f"{who} on call ({schedule_name})")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


@dataclass(frozen=True)
class ParsedShift:
    uid: str
    user_id: int
    start: datetime
    end: datetime
    summary: str


def _members(organization_id: int) -> list[tuple[int, list[str]]]:
    from django.contrib.auth import get_user_model

    rows = get_user_model().objects.filter(memberships__organization_id=organization_id).values(
        "pk", "username", "email", "first_name", "last_name")
    out = []
    for r in rows:
        keys = [r["username"], r["email"], f"{r['first_name']} {r['last_name']}".strip()]
        out.append((r["pk"], [k.lower() for k in keys if k]))
    return out


def _who(event, members) -> int | None:
    addresses = []
    for key in ("ATTENDEE", "ORGANIZER"):
        values = event.get(key)
        values = values if isinstance(values, list) else [values] if values else []
        addresses += [str(v).lower().removeprefix("mailto:") for v in values]
    for address in addresses:
        for pk, keys in members:
            if address in keys:
                return pk
    summary = str(event.get("SUMMARY", "")).lower()
    for pk, keys in sorted(members, key=lambda m: -max((len(k) for k in m[1]), default=0)):
        for key in keys:
            if re.search(rf"(?<!\w){re.escape(key)}(?!\w)", summary):
                return pk
    return None


def _aware(value, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    if isinstance(value, date):  # an all-day event: local midnight
        return datetime.combine(value, time.min).replace(tzinfo=tz).astimezone(UTC)
    raise ValueError("not a date")


def _exdates(event) -> list:
    values = event.get("EXDATE")
    values = values if isinstance(values, list) else [values] if values else []
    return [d.dt for v in values for d in v.dts]


def parse_shifts(data: bytes, *, organization_id: int, start: datetime, end: datetime, limit: int,
                 tz: ZoneInfo | None = None) -> tuple[list[ParsedShift], list[str]]:
    """Shifts of the events in `data` overlapping [start, end), and why others were skipped."""
    tz = tz or UTC
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # the library raises ValueError and friends on malformed input
        raise ValidationError({"file": _("Not an iCalendar file: %(e)s") % {"e": str(exc)[:200]}}) from None
    members = _members(organization_id)
    events = list(cal.walk("VEVENT"))
    # Modified occurrences of a recurring event (RECURRENCE-ID) replace the master's occurrence.
    moved = {(str(e.get("UID")), _aware(e.decoded("RECURRENCE-ID"), tz)) for e in events if e.get("RECURRENCE-ID")}
    out: list[ParsedShift] = []
    skipped: list[str] = []
    for event in events:
        uid, summary = str(event.get("UID", "")), str(event.get("SUMMARY", ""))
        try:
            first = _aware(event.decoded("DTSTART"), tz)
            if event.get("DTEND") is not None:
                length = _aware(event.decoded("DTEND"), tz) - first
            elif event.get("DURATION") is not None:
                length = event.decoded("DURATION")
            else:
                length = timedelta(days=1) if not isinstance(event.decoded("DTSTART"), datetime) else timedelta(0)
        except (KeyError, ValueError, TypeError):
            skipped.append(_("%(s)s: no usable start") % {"s": summary or uid})
            continue
        if length <= timedelta(0):
            skipped.append(_("%(s)s: no duration") % {"s": summary or uid})
            continue
        user_id = _who(event, members)
        if user_id is None:
            skipped.append(_("%(s)s: names no member") % {"s": summary or uid})
            continue
        starts = [first]
        if event.get("RRULE") and not event.get("RECURRENCE-ID"):
            starts = _occurrences(event, first, length, start, end, tz, limit)
        for at in starts:
            if not event.get("RECURRENCE-ID") and (uid, at) in moved and event.get("RRULE"):
                continue
            if at + length <= start or at >= end:
                continue
            out.append(ParsedShift(uid, user_id, at, at + length, summary))
            if len(out) > limit:
                raise ValidationError({"file": _("More than %(n)d shifts: import a shorter calendar.") % {"n": limit}})
    return out, skipped


def _occurrences(event, first: datetime, length: timedelta, start: datetime, end: datetime, tz: ZoneInfo,
                 limit: int) -> list[datetime]:
    """Occurrence starts of a recurring event, in its own time zone (so 09:00 stays 09:00 over DST)."""
    raw = event.decoded("DTSTART")
    local_tz = raw.tzinfo if isinstance(raw, datetime) and raw.tzinfo else tz
    dtstart = first.astimezone(local_tz).replace(tzinfo=None)
    rules = event.get("RRULE")
    rules = rules if isinstance(rules, list) else [rules]
    rset = rruleset()
    for rule in rules:
        rset.rrule(rrulestr(rule.to_ical().decode(), dtstart=dtstart, ignoretz=True, forceset=False)
                   if "UNTIL" not in rule else _until_naive(rule, dtstart, local_tz))
    for ex in _exdates(event):
        rset.exdate(_aware(ex, local_tz).astimezone(local_tz).replace(tzinfo=None))
    lo = (start - length).astimezone(local_tz).replace(tzinfo=None)
    hi = end.astimezone(local_tz).replace(tzinfo=None)
    out = []
    for naive in rset.between(lo, hi, inc=True):
        out.append(naive.replace(tzinfo=local_tz).astimezone(UTC))
        if len(out) > limit:
            break
    return out


def _until_naive(rule, dtstart: datetime, local_tz):
    """An RRULE whose UNTIL is in UTC (as RFC 5545 requires with a zoned DTSTART), made local and naive."""
    rule = rule.copy()
    until = rule["UNTIL"][0]
    if isinstance(until, datetime) and until.tzinfo:
        rule["UNTIL"] = [until.astimezone(local_tz).replace(tzinfo=None)]
    return rrulestr(rule.to_ical().decode(), dtstart=dtstart, ignoretz=True)

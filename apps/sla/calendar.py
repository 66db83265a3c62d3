"""Business-hours arithmetic: which instants count towards an SLA clock.

A calendar is 24/7, or working hours (start–end, on working days, minus holidays) in a time zone.
Working windows are built in local time with zoneinfo, so a DST change makes that day's window an
hour shorter or longer in UTC exactly as the wall clock says. Pauses (silences, maintenance, a
third party) are subtracted from the windows; what remains is the time the clock runs.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[datetime, datetime | None]  # end None: open-ended
MAX_DAYS = 800  # a deadline further out than this is treated as "none" (e.g. no working day at all)


@dataclass(frozen=True)
class Calendar:
    always: bool = True
    zone: str = "UTC"
    start: time = time(9)
    end: time = time(17)
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, sla) -> Calendar:
        from .choices import CalendarKind

        if sla.calendar != CalendarKind.BUSINESS:
            return cls()
        return cls(always=False, zone=sla.time_zone or "UTC", start=_time(sla.work_start), end=_time(sla.work_end),
                   days=frozenset(int(d) for d in sla.work_days or ()),
                   holidays=frozenset(date.fromisoformat(str(h)) for h in sla.holidays or ()))

    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def windows(self, start: datetime) -> Iterator[Interval]:
        """Working windows from `start` on, in order (one open-ended window for 24/7)."""
        if self.always:
            yield (start, None)
            return
        if not self.days or self.end <= self.start:
            return
        tz = self.tz()
        day = start.astimezone(tz).date()
        for _ in range(MAX_DAYS):
            if day.weekday() in self.days and day not in self.holidays:
                opens = datetime.combine(day, self.start, tzinfo=tz)
                closes = datetime.combine(day, self.end, tzinfo=tz)
                if closes > start:
                    yield (max(opens, start), closes)
            day += timedelta(days=1)


def _time(value) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals (an open end swallows everything after it)."""
    out: list[list] = []
    for start, end in sorted(intervals, key=lambda i: i[0]):
        if end is not None and end <= start:
            continue
        if out and (out[-1][1] is None or start <= out[-1][1]):
            if out[-1][1] is not None and (end is None or end > out[-1][1]):
                out[-1][1] = end
            continue
        out.append([start, end])
    return [(s, e) for s, e in out]


def running(calendar: Calendar, start: datetime, pauses: list[Interval]) -> Iterator[Interval]:
    """The intervals from `start` on in which the clock runs: working windows minus pauses."""
    pauses = merge(pauses)
    for w_start, w_end in calendar.windows(start):
        cursor = w_start
        for p_start, p_end in pauses:
            if p_end is not None and p_end <= cursor:
                continue
            if w_end is not None and p_start >= w_end:
                break
            if p_start > cursor:
                yield (cursor, p_start)
            if p_end is None:
                return  # paused with no known end: nothing runs after it
            cursor = max(cursor, p_end)
            if w_end is not None and cursor >= w_end:
                break
        if w_end is None or cursor < w_end:
            yield (cursor, w_end)


def elapsed(calendar: Calendar, start: datetime, until: datetime, pauses: list[Interval]) -> float:
    """Seconds the clock ran between `start` and `until`."""
    total = 0.0
    for r_start, r_end in running(calendar, start, pauses):
        if r_start >= until:
            break
        total += ((until if r_end is None else min(r_end, until)) - r_start).total_seconds()
    return total


def instant_after(calendar: Calendar, start: datetime, seconds: float, pauses: list[Interval]) -> datetime | None:
    """When the clock will have run `seconds`, or None if it never will (paused with no end)."""
    left = seconds
    for r_start, r_end in running(calendar, start, pauses):
        if r_end is None or (r_end - r_start).total_seconds() >= left:
            return r_start + timedelta(seconds=left)
        left -= (r_end - r_start).total_seconds()
    return None


def is_running(calendar: Calendar, at: datetime, start: datetime, pauses: list[Interval]) -> bool:
    for r_start, r_end in running(calendar, start, pauses):
        if r_start > at:
            return False
        if r_end is None or at < r_end:
            return True
    return False

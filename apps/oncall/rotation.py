"""Rotation maths, pure and exact: layers and overrides in, the final on-call timeline out.

Shift boundaries of day and week rotations are wall-clock times in the schedule's time zone
("handoff Monday 09:00" stays 09:00 across DST, so such a shift lasts 167 or 169 hours), while an
hour rotation counts elapsed hours (a 12-hour shift is always 12 real hours). A wall-clock time
that does not exist (spring forward) is read with the offset before the change, so 02:30 becomes
03:30; one that happens twice (fall back) is its first occurrence. Boundaries are strictly
increasing either way, so consecutive shifts never overlap and never leave a hole.

Nothing here touches the database: selectors build `LayerSpec`s from rows once per schedule and
window (`selectors.ScheduleData`), and many lookups reuse them.
"""
from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOURS, DAYS, WEEKS = "hours", "days", "weeks"
OVERRIDE_PRIORITY = 1_000_000  # above every layer position


@dataclass(frozen=True)
class Restriction:
    """On these local weekdays (Monday = 0), from `start` to `end`; `end <= start` runs past midnight."""

    weekdays: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    user_id: int | None
    source: str  # "layer:<id>", "override:<id>" or "" for a gap
    priority: int = 0


@dataclass(frozen=True)
class LayerSpec:
    """One rotation layer; `fixed` holds the shifts of a calendar (imported) layer instead."""

    key: str
    priority: int
    tz: ZoneInfo
    start_local: datetime  # naive, wall-clock time of the first handoff
    unit: str = WEEKS
    length: int = 1
    participants: tuple[int, ...] = ()
    restriction: Restriction | None = None
    until: datetime | None = None  # aware; the layer ends here
    fixed: tuple[Shift, ...] = field(default=())


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time as an aware UTC instant (see the module docstring for gaps and folds)."""
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def first_handoff(start_date: date, handoff: time, unit: str, weekday: int | None) -> datetime:
    """The first handoff on or after `start_date`: on `weekday` for week rotations when given."""
    if unit == WEEKS and weekday is not None:
        start_date += timedelta(days=(weekday - start_date.weekday()) % 7)
    return datetime.combine(start_date, handoff)


def boundary(spec: LayerSpec, k: int) -> datetime:
    """Start of shift number `k` (k may be negative: the rotation extends backwards in maths only)."""
    if spec.unit == HOURS:
        return localize(spec.start_local, spec.tz) + timedelta(hours=k * spec.length)
    days = k * spec.length * (7 if spec.unit == WEEKS else 1)
    return localize(spec.start_local + timedelta(days=days), spec.tz)


def shift_index(spec: LayerSpec, at: datetime) -> int:
    """The k with boundary(k) <= at < boundary(k+1)."""
    origin = localize(spec.start_local, spec.tz)
    step_hours = spec.length * {HOURS: 1, DAYS: 24, WEEKS: 168}[spec.unit]
    k = int((at - origin) // timedelta(hours=step_hours))
    # Wall-clock steps differ from elapsed time by at most the DST shifts in between: adjust.
    while boundary(spec, k) > at:
        k -= 1
    while boundary(spec, k + 1) <= at:
        k += 1
    return k


def _rotation(spec: LayerSpec, start: datetime, end: datetime) -> list[Shift]:
    if not spec.participants or spec.length < 1:
        return []
    origin = localize(spec.start_local, spec.tz)
    start = max(start, origin)
    if spec.until is not None:
        end = min(end, spec.until)
    if start >= end:
        return []
    k = shift_index(spec, start)
    out = []
    while (lo := boundary(spec, k)) < end:
        hi = boundary(spec, k + 1)
        if spec.until is not None:
            hi = min(hi, spec.until)
        user = spec.participants[k % len(spec.participants)]
        out.append(Shift(lo, hi, user, spec.key, spec.priority))
        k += 1
    return out


def restrict(shifts: list[Shift], restriction: Restriction | None, tz: ZoneInfo) -> list[Shift]:
    """Each shift cut to the restriction's windows (a business-hours layer covers 09:00-17:00 only)."""
    if restriction is None:
        return shifts
    out = []
    for shift in shifts:
        day = shift.start.astimezone(tz).date() - timedelta(days=1)
        last = shift.end.astimezone(tz).date()
        while day <= last:
            if day.weekday() in restriction.weekdays:
                lo = localize(datetime.combine(day, restriction.start), tz)
                end_day = day if restriction.end > restriction.start else day + timedelta(days=1)
                hi = localize(datetime.combine(end_day, restriction.end), tz)
                lo, hi = max(lo, shift.start), min(hi, shift.end)
                if lo < hi:
                    out.append(Shift(lo, hi, shift.user_id, shift.source, shift.priority))
            day += timedelta(days=1)
    return out


def layer_shifts(spec: LayerSpec, start: datetime, end: datetime) -> list[Shift]:
    """The layer's shifts that overlap [start, end), restricted, not clipped."""
    shifts = [s for s in spec.fixed if s.end > start and s.start < end] if spec.fixed else _rotation(spec, start, end)
    return [s for s in restrict(shifts, spec.restriction, spec.tz) if s.end > start and s.start < end]


def final(candidates: list[Shift], start: datetime, end: datetime, *, gaps: bool = False) -> list[Shift]:
    """The final timeline of [start, end): at every instant the highest-priority shift wins.

    Candidates are layer shifts (priority = layer position) and overrides (above every layer;
    among overlapping overrides the later one wins through its higher priority). Adjacent pieces of
    one shift are merged; with `gaps`, uncovered stretches are returned as shifts without a user.
    """
    points = {start, end}
    for s in candidates:
        if s.start < end and s.end > start:
            points.add(max(s.start, start))
            points.add(min(s.end, end))
    ordered = sorted(points)
    by_start = sorted((s for s in candidates if s.start < end and s.end > start), key=lambda s: s.start)
    active: list[tuple[int, int, Shift]] = []  # max-heap on priority via negation
    out: list[Shift] = []
    i = 0
    for lo, hi in zip(ordered, ordered[1:], strict=False):
        while i < len(by_start) and by_start[i].start <= lo:
            s = by_start[i]
            heapq.heappush(active, (-s.priority, -i, s))
            i += 1
        while active and active[0][2].end <= lo:
            heapq.heappop(active)
        # Lazily drop ended shifts that are below the top: only the top matters.
        winner = active[0][2] if active else None
        if winner is None and not gaps:
            continue
        piece = (Shift(lo, hi, winner.user_id, winner.source, winner.priority) if winner
                 else Shift(lo, hi, None, "", -1))
        prev = out[-1] if out else None
        if prev and prev.end == lo and prev.user_id == piece.user_id and prev.source == piece.source:
            out[-1] = Shift(prev.start, hi, prev.user_id, prev.source, prev.priority)
        else:
            out.append(piece)
    return out


def at(timeline: list[Shift], moment: datetime, starts: list[datetime] | None = None) -> Shift | None:
    """The final shift covering `moment` in a computed timeline (binary search; pass `starts` to reuse)."""
    starts = starts if starts is not None else [s.start for s in timeline]
    i = bisect.bisect_right(starts, moment) - 1
    if i >= 0 and moment < timeline[i].end:
        return timeline[i]
    return None


def gaps_of(timeline: list[Shift]) -> list[Shift]:
    return [s for s in timeline if s.user_id is None]


def on_call(candidates: list[Shift], at: datetime) -> list[Shift]:
    """Every shift covering `at`, best first: [primary, backup (next layer), ...], one per user."""
    covering = sorted((s for s in candidates if s.start <= at < s.end), key=lambda s: -s.priority)
    seen, out = set(), []
    for s in covering:
        if s.user_id not in seen:
            seen.add(s.user_id)
            out.append(s)
    return out

"""A clock's state as a pure function of the item's events, the SLA's calendar and the time.

Nothing here reads the database: `clock_state(...)` replays the item's lifecycle facts in event
time. That is what makes clocks exact after an outage (recompute, same answer) and what the beat
tick checks before it fires a timer (a stale timer, say one whose item was acknowledged a second
before the deadline, finds the clock met and fires nothing).

Rules: the clock starts when the item opens. MTTA stops at the first acknowledgment (or the
resolution, whichever comes first); a withdrawn acknowledgment lets it run on. MTTR stops at the
resolution; a re-open resumes it (the resolved gap does not count) or restarts it from the
re-opening, as the SLA's policy says. Silences, maintenance and third-party waits pause it when
the SLA says so, and outside business hours it does not run.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import calendar as cal
from .choices import ClockState, PauseReason, ReopenPolicy, Target
from .choices import ItemEventKind as K


@dataclass(frozen=True)
class Fact:
    kind: str
    at: datetime
    until: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Policy:
    calendar: cal.Calendar
    pause_silenced: bool = True
    pause_maintenance: bool = True
    pause_third_party: bool = True
    reopen: str = ReopenPolicy.RESUME

    @classmethod
    def of(cls, sla) -> Policy:
        return cls(cal.Calendar.of(sla), sla.pause_when_silenced, sla.pause_in_maintenance,
                   sla.pause_waiting_third_party, sla.reopen_policy)

    def pauses_for(self, reason: str) -> bool:
        return {PauseReason.SILENCED: self.pause_silenced, PauseReason.MAINTENANCE: self.pause_maintenance,
                PauseReason.THIRD_PARTY: self.pause_third_party}.get(reason, False)


@dataclass
class State:
    state: str
    started_at: datetime
    elapsed_seconds: float
    paused_seconds: float
    deadline_at: datetime | None
    warning_at: datetime | None
    stopped_at: datetime | None

    @property
    def breached(self) -> bool:
        return self.state == ClockState.BREACHED


def clock_state(*, facts: list[Fact], target: str, target_seconds: float, warning_percent: float,
                policy: Policy, now: datetime) -> State | None:
    """The clock of `target` as of `now`; None if the item never opened."""
    facts = sorted(facts, key=lambda f: f.at)
    opened = next((f for f in facts if f.kind == K.OPENED), None)
    if opened is None:
        return None
    start, stop = opened.at, None
    pauses: list[cal.Interval] = []
    silence: tuple[datetime, datetime] | None = None
    manual: dict[str, datetime] = {}
    for f in facts:
        if f.at < opened.at or f.kind == K.OPENED:
            continue
        if target == Target.MTTA and f.kind in (K.ACKNOWLEDGED, K.RESOLVED) and stop is None:
            stop = f.at
        elif target == Target.MTTA and f.kind == K.UNACKNOWLEDGED and stop is not None:
            pauses.append((stop, f.at))  # the acknowledged spell does not count
            stop = None
        elif target == Target.MTTR and f.kind == K.RESOLVED and stop is None:
            stop = f.at
        elif target == Target.MTTR and f.kind == K.REOPENED and stop is not None:
            if policy.reopen == ReopenPolicy.RESTART:
                start, pauses = f.at, []
            else:
                pauses.append((stop, f.at))
            stop = None
        elif f.kind == K.SILENCED and policy.pause_silenced:
            if silence is not None:  # a new silence (or its lifting) ends the previous one
                pauses.append((silence[0], min(silence[1], f.at)))
            silence = (f.at, f.until) if f.until is not None and f.until > f.at else None
        elif f.kind == K.PAUSED and policy.pauses_for(f.reason) and f.reason not in manual:
            manual[f.reason] = f.at
            if f.until is not None:
                pauses.append((manual.pop(f.reason), f.until))
        elif f.kind == K.RESUMED and f.reason in manual:
            pauses.append((manual.pop(f.reason), f.at))
    pauses.extend((since, None) for since in manual.values())
    if silence is not None:
        pauses.append(silence)
    end = stop or now
    elapsed = cal.elapsed(policy.calendar, start, end, pauses)
    deadline = cal.instant_after(policy.calendar, start, target_seconds, pauses)
    warning = cal.instant_after(policy.calendar, start, target_seconds * warning_percent / 100.0, pauses)
    paused = sum(((min(e or end, end) - max(s, start)).total_seconds() for s, e in cal.merge(pauses)
                  if s < end and (e is None or e > start)), 0.0)
    if deadline is not None and deadline < end and not (stop is not None and deadline >= stop):
        state = ClockState.BREACHED
    elif stop is not None:
        state = ClockState.MET
    elif cal.is_running(policy.calendar, now, start, pauses):
        state = ClockState.RUNNING
    else:
        state = ClockState.PAUSED
    return State(state, start, elapsed, max(paused, 0.0), deadline, warning, stop)

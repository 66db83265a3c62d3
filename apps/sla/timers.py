"""Beat's tick: claim due warning and breach timers with SKIP LOCKED and fire each exactly once.

A timer is a row, never a sleeping task, so a killed worker loses nothing: the next tick (any
worker) claims what is due. Before firing, the clock is recomputed from the item's facts as of
now; a stale timer (an acknowledgment a second before the deadline, a silence that moved it) is
moved or retired instead. Firing marks the timer, writes the breach (one per clock: a unique
key) and publishes the event, all in the claiming transaction, so a crash either does all of it
or none of it, and two workers never fire one timer twice.

A tick works in batches: one claim of SLA_TIMER_BATCH rows, one query for all their items' facts,
the clocks computed in memory, then bulk updates of timers and clocks, one bulk insert of
breaches and one of the outbox events, the whole batch one transaction. No query per clock.
"""
from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from aiops import events

from . import conf
from .breaches import suggest
from .choices import OPEN_STATES, ClockState, SubjectKind, TimerKind
from .clocks import clock_compute
from .compute import Fact, Policy
from .models import ItemEvent, SLABreach, SLAClock, SLATimer


def event_data(clock, **extra) -> dict:
    """What sla.* events carry: ids and a compact summary, so consumers import nothing of ours."""
    alert_id = clock.subject_id if clock.subject_kind == SubjectKind.ALERT else None
    incident_id = clock.subject_id if clock.subject_kind == SubjectKind.INCIDENT else None
    return {
        "id": clock.pk, "clock_id": clock.pk, "sla_id": clock.sla_id, "sla_name": clock.sla.name,
        "target": clock.target, "target_minutes": round(clock.target_seconds / 60, 2),
        "subject_kind": clock.subject_kind, "subject_id": clock.subject_id,
        "alert_id": alert_id, "incident_id": incident_id, "team_id": clock.team_id,
        "title": clock.title, "severity": clock.severity, "service": clock.service, "url": clock.url,
        "due_at": clock.deadline_at.isoformat() if clock.deadline_at else None,
        "notifications": [{"channel": c} for c in clock.sla.breach_notify_channels or []],
        **extra,
    }


def timers_fire(*, now: datetime | None = None, limit: int | None = None,
                budget_seconds: float | None = None) -> dict[str, int]:
    """Fire the timers due by `now`, a batch (SLA_TIMER_BATCH timers) per transaction.

    Batches follow each other until nothing is due or the tick's budget (SLA_TICK_BUDGET_SECONDS)
    is spent; rows locked by another tick are skipped, and a timer one batch kept (due, not passed)
    is not claimed again by the same tick.
    """
    now = now or timezone.now()
    size = limit or conf.timer_batch()
    budget = conf.tick_budget_seconds() if budget_seconds is None else budget_seconds
    counts = {"warned": 0, "breached": 0, "moved": 0, "retired": 0}
    seen: set[int] = set()
    began = time.monotonic()
    while True:
        with transaction.atomic():
            claim = (SLATimer.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(fired_at__isnull=True, due_at__lte=now).select_related("clock", "clock__sla")
                     .order_by("due_at", "id"))
            if seen:
                claim = claim.exclude(pk__in=seen)
            due = list(claim[:size])
            if due:
                seen.update(t.pk for t in due)
                for outcome, n in _fire_batch(due, now).items():
                    counts[outcome] += n
        if len(due) < size or time.monotonic() - began >= budget:
            return counts


def _facts_of(clocks) -> dict[tuple, list[Fact]]:
    """The facts of every item of these clocks, in one query per (organisation, item kind)."""
    groups: dict[tuple[int, str], set[int]] = defaultdict(set)
    for clock in clocks:
        groups[(clock.organization_id, clock.subject_kind)].add(clock.subject_id)
    condition = Q()
    for (org_id, kind), ids in groups.items():
        condition |= Q(organization_id=org_id, subject_kind=kind, subject_id__in=ids)
    facts: dict[tuple, list[Fact]] = defaultdict(list)
    rows = ItemEvent.objects.filter(condition).order_by("at", "id").values_list(
        "organization_id", "subject_kind", "subject_id", "kind", "at", "until", "data")
    for org_id, kind, subject_id, fact_kind, at, until, data in rows:
        facts[(org_id, kind, subject_id)].append(Fact(fact_kind, at, until, (data or {}).get("reason", "")))
    return facts


class _Batch:
    """What one batch writes: collected while deciding, then a handful of bulk statements."""

    def __init__(self, now: datetime):
        self.now, self.stamp = now, timezone.now()
        self.timers: list[SLATimer] = []
        self.warned: dict[int, object] = {}
        self.breached: dict[int, object] = {}
        self.breaches: list[tuple[SLABreach, object, str]] = []  # (breach, clock, reason)
        self.warnings: list[dict] = []

    def timer(self, timer: SLATimer, outcome: str, **fields) -> str:
        timer.outcome, timer.updated_at = fields.pop("why", outcome), self.stamp
        for name, value in fields.items():
            setattr(timer, name, value)
        self.timers.append(timer)
        return outcome


def _fire_batch(due: list[SLATimer], now: datetime) -> dict[str, int]:
    facts_of = _facts_of([t.clock for t in due])
    policies: dict[int, Policy] = {}
    batch = _Batch(now)
    counts = {"warned": 0, "breached": 0, "moved": 0, "retired": 0}
    for timer in due:
        clock = timer.clock
        facts = facts_of.get((clock.organization_id, clock.subject_kind, clock.subject_id), [])
        policy = policies.get(clock.sla_id) or policies.setdefault(clock.sla_id, Policy.of(clock.sla))
        state = clock_compute(clock, facts=facts, now=now, policy=policy)
        counts[_decide(batch, timer, clock, state, facts, now)] += 1
    _write(batch)
    return counts


def _decide(batch: _Batch, timer: SLATimer, clock, state, facts, now: datetime) -> str:
    if state is None:
        return batch.timer(timer, "retired", due_at=None, why="item never opened")
    if timer.kind == TimerKind.BREACH:
        if state.breached:
            _breach(batch, timer, clock, state, facts, now)
            return "breached"
        if state.state in OPEN_STATES and state.deadline_at and state.deadline_at >= now:
            return batch.timer(timer, "moved", due_at=state.deadline_at)  # at the deadline it is not passed yet
        # Not fired: a re-open or a resumed pause recomputes the clock and sets the timer due again.
        return batch.timer(timer, "retired", due_at=None, why="met" if state.state == ClockState.MET else "paused")
    if state.state in OPEN_STATES and state.warning_at and state.warning_at <= now:
        batch.timer(timer, "warned", fired_at=now)
        clock.warned_at, clock.updated_at = now, batch.stamp
        batch.warned[clock.pk] = clock
        remaining = max(0.0, (state.deadline_at - now).total_seconds()) if state.deadline_at else None
        batch.warnings.append(events.build_event(
            "sla.warning", org=clock.organization_id, subject=clock,
            **event_data(clock, threshold_percent=clock.warning_threshold_percent,
                         elapsed_seconds=round(state.elapsed_seconds), remaining_seconds=remaining)))
        return "warned"
    if state.state in OPEN_STATES and state.warning_at and state.warning_at > now:
        return batch.timer(timer, "moved", due_at=state.warning_at)
    return batch.timer(timer, "retired", due_at=None, why="breached first" if state.breached else "met")


def _breach(batch: _Batch, timer: SLATimer, clock, state, facts, now: datetime) -> None:
    reason, evidence = suggest(facts, clock)
    actual = state.elapsed_seconds if state.stopped_at else clock.target_seconds
    batch.timer(timer, "breached", fired_at=now)
    clock.breached_at, clock.state, clock.updated_at = state.deadline_at, ClockState.BREACHED, batch.stamp
    batch.breached[clock.pk] = clock
    batch.breaches.append((SLABreach(
        organization_id=clock.organization_id, team_id=clock.team_id, sla_id=clock.sla_id, clock=clock,
        alert_id=clock.subject_id if clock.subject_kind == SubjectKind.ALERT else None,
        incident_id=clock.subject_id if clock.subject_kind == SubjectKind.INCIDENT else None,
        breach_type=clock.target, target_value=round(clock.target_seconds / 60, 2),
        actual_value=round(actual / 60, 2), breached_at=state.deadline_at, notified=True,
        suggested_reason=reason, suggestion_evidence=evidence), clock, reason))


def _write(batch: _Batch) -> None:
    """The batch's writes: timers, clocks, breaches (one per clock) and events, in bulk."""
    SLATimer.objects.bulk_update(batch.timers, ["due_at", "fired_at", "outcome", "updated_at"])
    SLAClock.objects.bulk_update(list(batch.warned.values()), ["warned_at", "updated_at"])
    SLAClock.objects.bulk_update(list(batch.breached.values()), ["breached_at", "state", "updated_at"])
    # One breach per clock: a clock's breach timer is ours (locked), so only an earlier firing
    # (a timer re-armed after a re-open) can have written it; that one is kept and not announced.
    existing = set(SLABreach.objects.filter(clock_id__in=[c.pk for _, c, _ in batch.breaches])
                   .values_list("clock_id", flat=True))
    fresh = [(b, c, r) for b, c, r in batch.breaches if c.pk not in existing]
    SLABreach.objects.bulk_create([b for b, _, _ in fresh])
    built = list(batch.warnings)
    for breach, clock, reason in fresh:
        built.append(events.build_event(
            "sla.breached", org=clock.organization_id, subject=clock,
            **event_data(clock, breach_id=breach.pk, breached_at=breach.breached_at.isoformat(),
                         late_seconds=round((batch.now - breach.breached_at).total_seconds()),
                         suggested_reason=reason)))
    events.publish_events(built)

"""Beat's tick: claim due warning and breach timers with SKIP LOCKED and fire each exactly once.

A timer is a row, never a sleeping task, so a killed worker loses nothing: the next tick (any
worker) claims what is due. Before firing, the clock is recomputed from the item's facts as of
now; a stale timer (an acknowledgment a second before the deadline, a silence that moved it) is
moved or retired instead. Firing marks the timer, writes the breach (one per clock: a unique
key) and publishes the event, all in the claiming transaction, so a crash either does all of it
or none of it, and two workers never fire one timer twice.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aiops import events

from . import conf
from .breaches import suggest
from .choices import OPEN_STATES, ClockState, SubjectKind, TimerKind
from .clocks import clock_compute, item_facts
from .models import SLABreach, SLATimer


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


def timers_fire(*, now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Fire the timers due by `now` (one transaction; rows locked by another tick are skipped)."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0, "moved": 0, "retired": 0}
    with transaction.atomic():
        due = list(SLATimer.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(fired_at__isnull=True, due_at__lte=now)
                   .select_related("clock", "clock__sla").order_by("due_at")[: limit or conf.timer_batch()])
        for timer in due:
            counts[_fire(timer, now)] += 1
    return counts


def _fire(timer: SLATimer, now: datetime) -> str:
    clock = timer.clock
    facts = item_facts(clock.organization_id, clock.subject_kind, clock.subject_id)
    state = clock_compute(clock, facts=facts, now=now)
    if state is None:
        return _retire(timer, "item never opened")
    if timer.kind == TimerKind.BREACH:
        if state.breached:
            return _breach(timer, clock, state, facts, now)
        if state.state in OPEN_STATES and state.deadline_at and state.deadline_at >= now:
            return _move(timer, state.deadline_at)  # at the deadline itself it is not passed yet
        return _retire(timer, "met" if state.state == ClockState.MET else "paused")
    if state.state in OPEN_STATES and state.warning_at and state.warning_at <= now:
        timer.fired_at, timer.outcome = now, "warned"
        timer.save(update_fields=["fired_at", "outcome", "updated_at"])
        clock.warned_at = now
        clock.save(update_fields=["warned_at", "updated_at"])
        remaining = max(0.0, (state.deadline_at - now).total_seconds()) if state.deadline_at else None
        events.publish("sla.warning", org=clock.organization_id, subject=clock,
                       **event_data(clock, threshold_percent=clock.warning_threshold_percent,
                                    elapsed_seconds=round(state.elapsed_seconds), remaining_seconds=remaining))
        return "warned"
    if state.state in OPEN_STATES and state.warning_at and state.warning_at > now:
        return _move(timer, state.warning_at)
    return _retire(timer, "breached first" if state.breached else "met")


def _move(timer: SLATimer, due_at: datetime) -> str:
    timer.due_at, timer.outcome = due_at, "moved"
    timer.save(update_fields=["due_at", "outcome", "updated_at"])
    return "moved"


def _retire(timer: SLATimer, why: str) -> str:
    # Not fired: a re-open or a resumed pause recomputes the clock and sets the timer due again.
    timer.due_at, timer.outcome = None, why
    timer.save(update_fields=["due_at", "outcome", "updated_at"])
    return "retired"


def _breach(timer: SLATimer, clock, state, facts, now: datetime) -> str:
    reason, evidence = suggest(facts, clock)
    actual = state.elapsed_seconds if state.stopped_at else clock.target_seconds
    breach, created = SLABreach.objects.get_or_create(clock=clock, defaults=dict(
        organization_id=clock.organization_id, team_id=clock.team_id, sla=clock.sla,
        alert_id=clock.subject_id if clock.subject_kind == SubjectKind.ALERT else None,
        incident_id=clock.subject_id if clock.subject_kind == SubjectKind.INCIDENT else None,
        breach_type=clock.target, target_value=round(clock.target_seconds / 60, 2),
        actual_value=round(actual / 60, 2), breached_at=state.deadline_at, notified=True,
        suggested_reason=reason, suggestion_evidence=evidence))
    timer.fired_at, timer.outcome = now, "breached"
    timer.save(update_fields=["fired_at", "outcome", "updated_at"])
    clock.breached_at, clock.state = state.deadline_at, ClockState.BREACHED
    clock.save(update_fields=["breached_at", "state", "updated_at"])
    if created:
        events.publish("sla.breached", org=clock.organization_id, subject=clock,
                       **event_data(clock, breach_id=breach.pk, breached_at=state.deadline_at.isoformat(),
                                    late_seconds=round((now - state.deadline_at).total_seconds()),
                                    suggested_reason=reason))
    return "breached"

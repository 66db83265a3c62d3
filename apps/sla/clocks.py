"""The write path of clocks: record an item's facts, open its clocks, recompute them, fix timers.

`events_record` is the event subscriber's one call. `clocks_recompute` is the after-an-outage
tool (management command, admin action): it rebuilds every open clock from the stored facts.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from .choices import OPEN_STATES, ClockState, ItemEventKind, SubjectKind, TimerKind
from .compute import Fact, Policy, clock_state
from .models import ItemEvent, SLABreach, SLAClock, SLADefinition, SLATimer
from .records import facts_of
from .scope import ItemFacts, strictest

Item = tuple[int, str, int]  # (organization id, subject kind, subject id)


def _measured_kinds(org_ids: set[int]) -> dict[int, set[str]]:
    """Per organisation, which item kinds an active SLA measures (no SLA: nothing is recorded)."""
    kinds: dict[int, set[str]] = defaultdict(set)
    for org_id, measures in SLADefinition.objects.filter(organization_id__in=org_ids, is_active=True).values_list(
            "organization_id", "measures"):
        kinds[org_id] |= {"alert", "incident"} if measures == "both" else {measures[:-1]}
    return kinds


def events_record(*, events: list[dict], now: datetime | None = None) -> int:
    """Store the item facts of a batch of domain events and bring the items' clocks up to date.

    Returns the number of facts stored. Idempotent (one fact per event id, kind and item), though
    the subscriber's receipts already make a redelivered batch a no-op.
    """
    now = now or timezone.now()
    measured = _measured_kinds({e.get("organization_id") for e in events if e.get("organization_id")})
    rows = []
    for event in events:
        org_id = event.get("organization_id")
        for fact in facts_of(event):
            if fact["subject_kind"] in measured.get(org_id, ()):
                rows.append(ItemEvent(organization_id=org_id, event_id=str(event["id"]), **fact))
    if not rows:
        return 0
    ItemEvent.objects.bulk_create(rows, ignore_conflicts=True)
    items = {(r.organization_id, r.subject_kind, r.subject_id) for r in rows}
    opened = {(r.organization_id, r.subject_kind, r.subject_id): r for r in rows if r.kind == ItemEventKind.OPENED}
    for item in sorted(items):
        if item in opened:
            clocks_open(item=item, opened=opened[item])
        items_refresh(items=[item], now=now)
    return len(rows)


def _slas(org_id: int):
    slas = list(SLADefinition.objects.filter(organization_id=org_id, is_active=True)
                .prefetch_related("applies_to_teams"))
    return slas, {s.pk: {t.pk for t in s.applies_to_teams.all()} for s in slas}


def clocks_open(*, item: Item, opened: ItemEvent) -> list[SLAClock]:
    """Open one clock per target under the strictest covering SLA (no-op for an item that has them)."""
    org_id, kind, subject_id = item
    if SLAClock.objects.filter(organization_id=org_id, subject_kind=kind, subject_id=subject_id).exists():
        return []
    data = opened.data or {}
    facts = ItemFacts(kind=kind, severity=data.get("severity", ""), services=list(data.get("services") or []),
                      team_id=data.get("team_id"), labels=data.get("labels") or {})
    slas, teams_of = _slas(org_id)
    clocks = []
    for target, choice in strictest(slas, facts, teams_of).items():
        clocks.append(SLAClock(
            organization_id=org_id, team_id=data.get("team_id"), sla=choice.sla, subject_kind=kind,
            subject_id=subject_id, target=target, target_seconds=choice.minutes * 60,
            warning_threshold_percent=choice.sla.warning_threshold_percent, title=str(data.get("title", ""))[:300],
            severity=facts.severity, service=", ".join(s for s in facts.services if s)[:255],
            url=str(data.get("url", ""))[:2000], started_at=opened.at, choice=choice.snapshot()))
    SLAClock.objects.bulk_create(clocks, ignore_conflicts=True)
    clocks = list(SLAClock.objects.filter(organization_id=org_id, subject_kind=kind, subject_id=subject_id))
    SLATimer.objects.bulk_create(
        [SLATimer(organization_id=org_id, clock=c, kind=k) for c in clocks for k in TimerKind.values],
        ignore_conflicts=True)
    return clocks


def item_facts(organization_id: int, subject_kind: str, subject_id: int) -> list[Fact]:
    return [Fact(e.kind, e.at, e.until, (e.data or {}).get("reason", "")) for e in ItemEvent.objects.filter(
        organization_id=organization_id, subject_kind=subject_kind, subject_id=subject_id)]


def clock_compute(clock: SLAClock, *, facts: list[Fact] | None = None, now: datetime | None = None,
                  policy: Policy | None = None):
    now = now or timezone.now()
    if facts is None:
        facts = item_facts(clock.organization_id, clock.subject_kind, clock.subject_id)
    return clock_state(facts=facts, target=clock.target, target_seconds=clock.target_seconds,
                       warning_percent=clock.warning_threshold_percent, policy=policy or Policy.of(clock.sla), now=now)


def clock_apply(clock: SLAClock, state, now: datetime) -> None:
    """Write a computed state onto the clock row (the cache lists and reports read)."""
    clock.started_at, clock.state = state.started_at, state.state
    clock.elapsed_seconds, clock.paused_seconds = state.elapsed_seconds, state.paused_seconds
    clock.deadline_at, clock.stopped_at, clock.computed_at = state.deadline_at, state.stopped_at, now
    clock.save(update_fields=["started_at", "state", "elapsed_seconds", "paused_seconds", "deadline_at",
                              "stopped_at", "computed_at", "updated_at"])


def items_refresh(*, items: list[Item], now: datetime | None = None) -> int:
    """Recompute the clocks of these items from their facts and move their unfired timers."""
    now = now or timezone.now()
    count = 0
    for org_id, kind, subject_id in items:
        clocks = list(SLAClock.objects.filter(organization_id=org_id, subject_kind=kind, subject_id=subject_id)
                      .select_related("sla"))
        if not clocks:
            continue
        facts = item_facts(org_id, kind, subject_id)
        for clock in clocks:
            state = clock_compute(clock, facts=facts, now=now)
            if state is None:
                continue
            clock_apply(clock, state, now)
            _timers_follow(clock, state)
            if state.stopped_at is not None:
                _breach_settle(clock, state, facts)
            count += 1
    return count


def _timers_follow(clock: SLAClock, state) -> None:
    """Unfired timers due when the state says (none once the clock stopped in time)."""
    open_ = state.state in OPEN_STATES or (state.breached and clock.breached_at is None)
    due = {TimerKind.BREACH: state.deadline_at if open_ else None,
           TimerKind.WARNING: state.warning_at if open_ and state.state in OPEN_STATES else None}
    for kind, due_at in due.items():
        SLATimer.objects.filter(clock=clock, kind=kind, fired_at__isnull=True).exclude(due_at=due_at).update(
            due_at=due_at, outcome="" if due_at else "stopped", updated_at=timezone.now())


def _breach_settle(clock: SLAClock, state, facts: list[Fact]) -> None:
    """A breached clock that stopped: the final actual time, and the suggestion from everything."""
    from .breaches import suggest

    breach = SLABreach.objects.filter(clock=clock).first()
    if breach is None:
        return
    breach.actual_value = round(state.elapsed_seconds / 60, 2)
    breach.suggested_reason, breach.suggestion_evidence = suggest(facts, clock)
    breach.save(update_fields=["actual_value", "suggested_reason", "suggestion_evidence", "updated_at"])


def clocks_recompute(*, organization_id: int | None = None, now: datetime | None = None) -> int:
    """Rebuild every open clock (and its timers) from the stored facts; returns clocks recomputed."""
    qs = SLAClock.objects.filter(state__in=[*OPEN_STATES, ClockState.BREACHED], stopped_at__isnull=True)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    items = sorted(set(qs.values_list("organization_id", "subject_kind", "subject_id")))
    return items_refresh(items=items, now=now)


__all__ = ["events_record", "clocks_open", "items_refresh", "clocks_recompute", "clock_compute", "SubjectKind"]

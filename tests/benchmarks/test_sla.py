"""SLA benchmark: open items under clocks, one beat tick, breach latency; a monthly report.

1. BENCH_SLA_ITEMS (100,000) open alerts, each with an MTTA clock and its breach timer,
   deadlines spread over the next hour, except BENCH_SLA_DUE (2,000) that breached together in
   the last tick interval (1-5 s ago). Timed: the beat ticks until every due breach has fired; the
   breach latency of each is its firing time minus its deadline, with ticks every SLA_TICK_SECONDS
   (5 s) as beat runs them: p95 is printed (target < 30 s). Run first with the pre-batching tick
   (a query per clock, 500 a tick; BENCH_SLA_BEFORE=0 skips it), then, on the same rows re-armed,
   with `timers_fire` (batches of SLA_TIMER_BATCH, one transaction each).
2. A monthly report over BENCH_SLA_REPORT_ITEMS (1,000,000) alerts' clocks, MTTA and MTTR
   (target < 10 s on PostgreSQL).

Rows are bulk-inserted as the subscriber would leave them; the events' consumers are detached
(they run on other workers). Prints figures, never asserts on time.
"""
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.sla import services
from apps.sla.models import ItemEvent, SLABreach, SLAClock, SLATimer
from tests.sla.factories import SLADefinitionFactory
from tests.tenancy.factories import OrganizationFactory

ITEMS = int(os.environ.get("BENCH_SLA_ITEMS", "100000"))
DUE = int(os.environ.get("BENCH_SLA_DUE", "2000"))
REPORT_ITEMS = int(os.environ.get("BENCH_SLA_REPORT_ITEMS", "1000000"))
BEFORE = os.environ.get("BENCH_SLA_BEFORE", "1") == "1"  # also time the pre-batching tick, same rows
TICK = 5.0
CHUNK = 5000


def _bulk(model, rows):
    for start in range(0, len(rows), CHUNK):
        model.objects.bulk_create(rows[start:start + CHUNK])


@pytest.fixture
def no_subscribers(monkeypatch):
    """The tick's own cost: sla.breached's consumers (timeline, notifications) run on other workers."""
    from collections import defaultdict

    from aiops import events

    monkeypatch.setattr(events, "_subscribers", defaultdict(list))


def _legacy_tick(now, limit=500):
    """The tick before batching (kept here for the comparison only): per timer, a query for the
    item's facts, get_or_create of the breach, a save of the timer and of the clock."""
    from django.db import transaction

    from aiops import events
    from apps.sla.breaches import suggest
    from apps.sla.clocks import clock_compute, item_facts
    from apps.sla.timers import event_data

    with transaction.atomic():
        due = list(SLATimer.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(fired_at__isnull=True, due_at__lte=now)
                   .select_related("clock", "clock__sla").order_by("due_at")[:limit])
        for timer in due:
            clock = timer.clock
            facts = item_facts(clock.organization_id, clock.subject_kind, clock.subject_id)
            state = clock_compute(clock, facts=facts, now=now)
            reason, evidence = suggest(facts, clock)
            breach, created = SLABreach.objects.get_or_create(clock=clock, defaults=dict(
                organization_id=clock.organization_id, team_id=clock.team_id, sla=clock.sla,
                alert_id=clock.subject_id, breach_type=clock.target, target_value=5, actual_value=5,
                breached_at=state.deadline_at, notified=True, suggested_reason=reason, suggestion_evidence=evidence))
            timer.fired_at, timer.outcome = now, "breached"
            timer.save(update_fields=["fired_at", "outcome", "updated_at"])
            clock.breached_at, clock.state = state.deadline_at, "breached"
            clock.save(update_fields=["breached_at", "state", "updated_at"])
            if created:
                events.publish("sla.breached", org=clock.organization_id, subject=clock,
                               **event_data(clock, breach_id=breach.pk, suggested_reason=reason))


def _run_ticks(org, now, tick):
    """Beat's ticks, simulated: one every TICK seconds plus the time the tick took, until every due
    breach fired (at most a bounded number of ticks: a tick that fires nothing ends the run)."""
    ticks, latencies, tick_times = 0, [], []
    clock = now
    max_ticks = 4 * (DUE // 500 + 1) + 4
    while len(latencies) < DUE and ticks < max_ticks:
        began = time.perf_counter()
        tick(now)
        took = time.perf_counter() - began
        tick_times.append(took)
        ticks += 1
        clock += timedelta(seconds=TICK + took)
        fired = SLABreach.objects.filter(organization=org, notified=True).count()
        if fired == len(latencies):
            break
        latencies += [(clock - now).total_seconds()] * (fired - len(latencies))
    # A due timer waited for its tick: add how overdue it already was (its deadline vs "now").
    overdue = sorted((now - d).total_seconds() for d in SLABreach.objects.filter(organization=org)
                     .values_list("breached_at", flat=True))
    total = sorted(a + b for a, b in zip(latencies, overdue, strict=False))
    p95 = total[int(0.95 * (len(total) - 1))] if total else 0
    tick_p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))] if latencies else 0
    return {"ticks": ticks, "fired": len(latencies), "p95": p95, "tick_p95": tick_p95,
            "tick_min": min(tick_times), "tick_max": max(tick_times), "sum": sum(tick_times)}


def _rearm(org):
    """Undo a run: the breaches go, the timers are due again, the clocks running."""
    SLABreach.objects.filter(organization=org).delete()
    SLATimer.objects.filter(organization=org, fired_at__isnull=False).update(fired_at=None, outcome="")
    SLAClock.objects.filter(organization=org, state="breached").update(state="running", breached_at=None)


@pytest.mark.django_db(transaction=True)
def test_beat_tick_and_breach_latency(no_subscribers):
    org = OrganizationFactory()
    sla = SLADefinitionFactory(organization=org, name="Bench", target_mtta_minutes=5, target_mttr_minutes=None)
    now = timezone.now()
    opened, clocks = [], []
    for i in range(ITEMS):
        # The due ones breached together, in the last tick interval (as beat would find them).
        started = now - timedelta(minutes=5, seconds=(1 + i % int(TICK)) if i < DUE else -(1 + i % 3600))
        opened.append(ItemEvent(organization=org, event_id=f"bench-{i}", subject_kind="alert", subject_id=i + 1,
                                kind="opened", at=started))
        clocks.append(SLAClock(organization=org, sla=sla, subject_kind="alert", subject_id=i + 1, target="mtta",
                               target_seconds=300, started_at=started, deadline_at=started + timedelta(minutes=5)))
    _bulk(ItemEvent, opened)
    _bulk(SLAClock, clocks)
    stored = SLAClock.objects.filter(organization=org).values_list("pk", "deadline_at")
    _bulk(SLATimer, [SLATimer(organization=org, clock_id=pk, kind="breach", due_at=due) for pk, due in stored])
    figures = {}
    if BEFORE:
        figures["before (a query per clock)"] = _run_ticks(org, now, _legacy_tick)
        _rearm(org)
    figures["after (batched)"] = _run_ticks(org, now, lambda at: services.timers_fire(now=at))
    for name, f in figures.items():
        print(f"\n{name}: {ITEMS} open clocks, {f['fired']} due breaches fired in {f['ticks']} ticks "
              f"({f['sum']:.1f} s of ticks, each {f['tick_min']:.2f}-{f['tick_max']:.2f} s); breach latency "
              f"p95 {f['p95']:.1f} s (of which up to 5 s is how overdue the seeded timers were; "
              f"tick-caused p95 {f['tick_p95']:.1f} s)")
    assert SLABreach.objects.filter(organization=org).count() == DUE
    assert SLATimer.objects.filter(organization=org, outcome="breached").count() == DUE


@pytest.mark.django_db(transaction=True)
def test_monthly_report():
    org = OrganizationFactory()
    sla = SLADefinitionFactory(organization=org, name="Bench", target_mtta_minutes=5, target_mttr_minutes=30)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = []
    for i in range(REPORT_ITEMS):
        started = start + timedelta(seconds=i * 2.5)
        for target, seconds in (("mtta", 60 + i % 400), ("mttr", 600 + i % 2400)):
            rows.append(SLAClock(organization=org, sla=sla, subject_kind="alert", subject_id=i + 1, target=target,
                                 target_seconds=300 if target == "mtta" else 1800, started_at=started,
                                 elapsed_seconds=seconds, stopped_at=started + timedelta(seconds=seconds),
                                 state="met"))
        if len(rows) >= CHUNK:
            SLAClock.objects.bulk_create(rows)
            rows = []
    SLAClock.objects.bulk_create(rows)
    began = time.perf_counter()
    report = services.report_generate(organization_id=org.pk, period_start=start,
                                      period_end=datetime(2026, 12, 1, tzinfo=UTC))
    took = time.perf_counter() - began
    print(f"\nmonthly report over {REPORT_ITEMS} alerts ({2 * REPORT_ITEMS} clocks): {took:.1f} s; "
          f"MTTA mean {report.slas.get().actual_mtta_minutes} min")
    assert report.total_items == REPORT_ITEMS

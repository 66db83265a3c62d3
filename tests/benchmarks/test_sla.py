"""SLA benchmark: open items under clocks, one beat tick, breach latency; a monthly report.

1. BENCH_SLA_ITEMS (100,000) open alerts, each with an MTTA clock and its warning and breach
   timers, deadlines spread over the next hour, except BENCH_SLA_DUE (2,000) already due. Timed:
   the beat ticks (`timers_fire`, SLA_TIMER_BATCH a tick) until every due breach has fired; the
   breach latency of each is its firing time minus its deadline, with ticks every SLA_TICK_SECONDS
   (5 s) as beat runs them: p95 is printed (target < 30 s).
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


@pytest.mark.django_db(transaction=True)
def test_beat_tick_and_breach_latency(no_subscribers):
    org = OrganizationFactory()
    sla = SLADefinitionFactory(organization=org, name="Bench", target_mtta_minutes=5, target_mttr_minutes=None)
    now = timezone.now()
    opened, clocks = [], []
    for i in range(ITEMS):
        started = now - timedelta(minutes=5, seconds=(i % 60) if i < DUE else -(1 + i % 3600))
        opened.append(ItemEvent(organization=org, event_id=f"bench-{i}", subject_kind="alert", subject_id=i + 1,
                                kind="opened", at=started))
        clocks.append(SLAClock(organization=org, sla=sla, subject_kind="alert", subject_id=i + 1, target="mtta",
                               target_seconds=300, started_at=started, deadline_at=started + timedelta(minutes=5)))
    _bulk(ItemEvent, opened)
    _bulk(SLAClock, clocks)
    stored = SLAClock.objects.filter(organization=org).values_list("pk", "deadline_at")
    _bulk(SLATimer, [SLATimer(organization=org, clock_id=pk, kind="breach", due_at=due) for pk, due in stored])
    ticks, latencies, tick_times = 0, [], []
    clock = now  # simulated beat time: one tick every TICK seconds plus the time the tick took
    while SLATimer.objects.filter(fired_at__isnull=True, due_at__lte=now).exists():
        began = time.perf_counter()
        services.timers_fire(now=now)
        took = time.perf_counter() - began
        tick_times.append(took)
        ticks += 1
        clock += timedelta(seconds=TICK + took)
        fired = SLABreach.objects.filter(organization=org, notified=True).count()
        latencies += [(clock - now).total_seconds()] * (fired - len(latencies))
    breaches = SLABreach.objects.filter(organization=org).count()
    # A due timer waited for its tick: add how overdue it already was (its deadline vs "now").
    overdue = sorted((now - d).total_seconds() for d in SLABreach.objects.filter(organization=org)
                     .values_list("breached_at", flat=True))
    total = sorted(a + b for a, b in zip(latencies, overdue, strict=False))
    p95 = total[int(0.95 * (len(total) - 1))] if total else 0
    print(f"\n{ITEMS} open clocks, {breaches} due breaches fired in {ticks} ticks; "
          f"tick {min(tick_times):.2f}-{max(tick_times):.2f} s; breach latency p95 {p95:.1f} s "
          f"(of which up to 60 s is how overdue the seeded timers were; tick-caused p95 "
          f"{sorted(latencies)[int(0.95 * (len(latencies) - 1))]:.1f} s)")
    assert breaches == DUE


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

"""The event outbox: what it costs ingestion, and what it saves when workers die.

1. Ingestion with and without the outbox, side by side in one run: webhooks of 50 new alerts
   through the real view and ingestion service, the events' broker messages left out in both
   modes (the request path alone). "Without" publishes as the bus did before the outbox (events
   queued for after commit, no row written). Rounds alternate the modes so machine noise hits
   both alike; the median round of each is printed.
2. A chaos run with a real worker, a real beat and a private Redis: a storm while the worker is
   SIGKILLed at random moments and Redis restarted once; prints events lost and doubled (target
   0 and 0) and the time from the last worker restart to the backlog drained.

Tune with BENCH_OUTBOX_ROUNDS (default 7), BENCH_OUTBOX_WEBHOOKS (per round, default 40),
BENCH_CHAOS_WEBHOOKS (default 120), BENCH_CHAOS_KILLS (default 12). Never fails on time.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from aiops import events
from tests.alerts.factories import IntegrationFactory
from tests.support import chaos

ROUNDS = int(os.environ.get("BENCH_OUTBOX_ROUNDS", "7"))
WEBHOOKS = int(os.environ.get("BENCH_OUTBOX_WEBHOOKS", "40"))
CHAOS_WEBHOOKS = int(os.environ.get("BENCH_CHAOS_WEBHOOKS", "120"))
CHAOS_KILLS = int(os.environ.get("BENCH_CHAOS_KILLS", "12"))


def _publish_without_outbox(built):
    """The bus before the outbox: no row, the events only queued for after commit."""
    if not built:
        return
    if not connection.in_atomic_block:
        return
    events._current_batch().events.extend(built)


@pytest.mark.django_db(transaction=True)
def test_outbox_cost_on_ingestion(client, org_a, monkeypatch, settings):
    settings.ALERTS_INTEGRATION_RATE_LIMIT = 0
    settings.ALERTS_ORGANIZATION_RATE_LIMIT = 0
    integration = IntegrationFactory(organization=org_a, rate_limit_per_minute=0)
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    monkeypatch.setattr(events, "dispatch_many", lambda batch: None)  # the request path alone
    with_outbox = events.publish_events
    rng = random.Random(11)
    base = datetime.now(UTC) - timedelta(hours=1)
    counter = iter(range(10**9))
    rates: dict[str, list[float]] = {"with outbox": [], "without outbox": []}
    for round_ in range(ROUNDS + 1):
        order = ["with outbox", "without outbox"] if round_ % 2 else ["without outbox", "with outbox"]
        for mode in order:
            monkeypatch.setattr(events, "publish_events",
                                with_outbox if mode == "with outbox" else _publish_without_outbox)
            bodies = [json.dumps(chaos.alertmanager_body(rng, next(counter), 50, base)) for _ in range(WEBHOOKS)]
            started = time.perf_counter()
            for body in bodies:
                assert client.post(url, data=body, content_type="application/json").status_code == 202
            elapsed = time.perf_counter() - started
            if round_:  # round 0 warms caches and connections
                rates[mode].append(WEBHOOKS * 50 / elapsed)
    with_rate, without_rate = (statistics.median(rates[m]) for m in ("with outbox", "without outbox"))
    print(f"\nOutbox cost on ingestion ({connection.vendor}, in-process view + service, {ROUNDS} rounds of "
          f"{WEBHOOKS} webhooks x 50 alerts, median round):")
    print(f"  without outbox: {without_rate:,.0f} alerts/s")
    print(f"  with outbox:    {with_rate:,.0f} alerts/s  ({(with_rate / without_rate - 1) * 100:+.1f} %)")


@pytest.mark.parametrize("chaos_broker", ["redis", "embedded"], indirect=True)
def test_chaos_storm_figures(chaos_broker, transactional_db, tmp_path, client, org_a, http_stub, settings):
    env, restart_broker = chaos_broker
    settings.AIOPS_EVENT_GRACE_SECONDS = 2
    integration = chaos.paged_integration(org_a, http_stub)
    processes = chaos.Processes(tmp_path, env)
    try:
        processes.start_beat()
        report = processes.storm(client=client, integration=integration, restart_broker=restart_broker,
                                 webhooks=CHAOS_WEBHOOKS, alerts_per_webhook=5, kills=CHAOS_KILLS,
                                 seconds=CHAOS_WEBHOOKS / 2, seed=int(time.time()))
    finally:
        processes.stop()
    print(f"\nChaos ({connection.vendor} + {chaos_broker[0]['CELERY_BROKER_URL'].split(':')[0]}, grace 2 s, "
          f"sweep every 1 s): {report.summary()}")
    drained = "never" if report.drain_seconds is None else f"{report.drain_seconds:.1f} s"
    print(f"  events lost: {report.total_lost}   events doubled: {report.total_doubled}   "
          f"last worker restart -> backlog drained: {drained}")
    if report.drain_seconds is None:
        print(f"  outbox: {report.outbox_state}")
        print("  worker log tail:\n" + report.log_tail[-1500:])
        print("  beat log tail:\n" + processes.beat.log()[-1500:])

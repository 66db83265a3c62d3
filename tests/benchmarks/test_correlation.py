"""Correlation benchmark: 10,000 alerts from 50 simultaneous failures through the engine.

The storm comes from tests/incidents/scenarios.py: 80 application stacks (web → api → db/cache/
queue, worker → queue/db) behind a shared auth service, 50 of them failing within 20 seconds of
each other, ~196 alerts per failure from many replicas and alert names, 2% noise on random
services, arrival shuffled by up to 90 s of delivery delay, and Alertmanager group keys by
alertname (shared by unrelated failures). Alerts are inserted beforehand as ingestion would, then
fed in arrival order to `correlation.correlate_alerts` in batches of BENCH_BATCH (default 50, one
Alertmanager webhook: the batch subscriber gets one webhook's alert.received events together),
one committed transaction per batch, exactly as the Celery subscriber runs it. Subscribers of
incident.* events are detached for the timed run so the figure is the engine's, not the
timeline's or the notifiers'.

Prints incidents vs ground truth, pairwise precision/recall/F1, root-cause top-1 accuracy, noise
reduction and alerts/s. Targets: F1 ≥ 0.95, top-1 ≥ 90 %, ≥ 500 alerts/s. Never asserts on time.
Tune with BENCH_ALERTS (10000), BENCH_FAILURES (50), BENCH_SEED (42), BENCH_BATCH (50; 1 = every
alert in its own webhook, the worst case).
"""

import os
import time

import pytest
from django.db import connection

from aiops import events
from apps.incidents import correlation
from apps.incidents.models import Incident
from apps.topology.models import Service
from tests.alerts.factories import IntegrationFactory
from tests.incidents import scenarios
from tests.tenancy.factories import OrganizationFactory

ALERTS = int(os.environ.get("BENCH_ALERTS", "10000"))
FAILURES = int(os.environ.get("BENCH_FAILURES", "50"))
SEED = int(os.environ.get("BENCH_SEED", "42"))
BATCH = max(1, int(os.environ.get("BENCH_BATCH", "50")))
NOISE_SHARE = 0.02


@pytest.fixture
def quiet_incident_subscribers():
    saved = {name: list(subs) for name, subs in events._subscribers.items() if name.startswith("incident.")}
    for name in saved:
        events._subscribers[name] = []
    yield
    events._subscribers.update(saved)


@pytest.mark.django_db(transaction=True)
def test_correlation_storm(quiet_incident_subscribers):
    org = OrganizationFactory(slug="bench-correlation")
    integration = IntegrationFactory(organization=org)
    noise = int(ALERTS * NOISE_SHARE)
    scenario = scenarios.generate(
        seed=SEED, stacks=80, failures=FAILURES, alerts_per_failure=(ALERTS - noise) // FAILURES, noise=noise
    )
    scenarios.install_topology(org, scenario.edges)
    alerts = scenarios.install_alerts(org, integration, scenario)

    started = time.perf_counter()
    ids = [alert.pk for alert in alerts]
    for start in range(0, len(ids), BATCH):
        correlation.correlate_alerts(organization_id=org.pk, alert_ids=ids[start : start + BATCH])
    elapsed = time.perf_counter() - started

    result = scenarios.score(scenario, alerts)
    created = Incident.objects.for_org(org).count()
    merged = Incident.objects.for_org(org).filter(merged_into__isnull=False).count()
    print()
    print(
        f"correlation benchmark ({connection.vendor}): {len(alerts)} alerts, "
        f"{FAILURES} simultaneous failures, "
        f"{noise} noise alerts, {Service.objects.for_org(org).count()} services, seed {SEED}, "
        f"{BATCH} alerts per webhook"
    )
    print(
        f"  incidents holding alerts : {result.incidents} (ground truth: {result.true_groups} groups = "
        f"{FAILURES} failures + {noise} noise singletons)"
    )
    print(
        f"  incidents with failure alerts: {result.failure_incidents} (ground truth {FAILURES}); "
        f"created {created}, of which {merged} merged away"
    )
    print(
        f"  pairwise precision {result.precision:.4f}  recall {result.recall:.4f}  F1 {result.f1:.4f}"
        f"   (target F1 ≥ 0.95)"
    )
    print(
        f"  root-cause top-1 {result.root_top1:.1%}   (target ≥ 90%)"
        + (f"; misses: {result.root_misses[:5]}" if result.root_misses else "")
    )
    print(f"  noise reduction {result.noise_reduction:.2%} (1 − incidents/alerts)")
    print(f"  throughput {len(alerts) / elapsed:,.0f} alerts/s ({elapsed:.1f} s; target ≥ 500 alerts/s)")
    assert result.alerts == len(alerts)

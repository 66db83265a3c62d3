"""Correlation on storms the engine was not written against (issue 14), beside a naive baseline.

Storms come from tests/benchmarks/storms.py: moderate (12 failures + 40 noise alerts in 3 h) and
hard (50 failures + 100 noise) suites, on the tuning variant and on held-out variants and seeds
that were never looked at while choosing the engine's defaults; each set is reported on its own.
Each storm's alerts are inserted as ingestion writes them, then placed one alert per call in
arrival order (one alert per webhook, Alertmanager `group_by: [alertname, service]`), each call a
committed transaction as the subscriber runs it. In the same run a naive 5-minute event-time
window groups the same alerts. Printed per suite: pairwise precision/recall/F1, root-cause top-1,
noise reduction, and the engine's alerts/s.

`test_storm_throughput_through_the_webhook` then posts a hard storm through the real Alertmanager
webhook view, one alert per request (and again 50 per request), with the topology and incident
subscribers of alert.received attached (eager Celery, events.consume with receipts), and prints
the correlation subscriber's alerts/s and the end-to-end alerts/s. Never asserts on time.
BENCH_STORM_SETS=tuning,held-out chooses the sets; BENCH_STORM_SUITES=moderate,hard the suites.
"""

import hashlib
import os
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aiops import events
from apps.alerts.ingest import integration_create
from apps.alerts.models import Alert
from apps.incidents import correlation
from apps.incidents.models import Incident, IncidentAlert
from tests.alerts.factories import IntegrationFactory
from tests.benchmarks import storms
from tests.tenancy.factories import OrganizationFactory

SETS = os.environ.get("BENCH_STORM_SETS", "tuning,held-out").split(",")
SUITES = os.environ.get("BENCH_STORM_SUITES", "moderate,hard").split(",")


@pytest.fixture
def quiet_subscribers():
    """Only correlation (and topology discovery) listen: the figures are the engine's."""
    saved = {name: list(subs) for name, subs in events._subscribers.items()}
    for name, subs in saved.items():
        if name.startswith("incident."):
            events._subscribers[name] = []
        elif name.startswith("alert."):
            events._subscribers[name] = [s for s in subs if s.task.name.startswith(("incidents.", "topology."))]
    yield
    events._subscribers.update(saved)


def run_engine(storm: storms.Storm, n: int):
    org = OrganizationFactory(slug=f"storm-{n}")
    integration = IntegrationFactory(organization=org)
    storms.install_topology(org, storm)
    alerts = storms.install_alerts(org, integration, storm)
    started = time.perf_counter()
    for alert in alerts:
        correlation.correlate_alerts(organization_id=org.pk, alert_ids=[alert.pk])
    elapsed = time.perf_counter() - started
    incident_of = dict(IncidentAlert.objects.filter(organization=org).values_list("alert_id", "incident_id"))
    predicted = [incident_of.get(a.pk, f"none-{a.pk}") for a in alerts]
    roots = dict(Incident.objects.for_org(org).values_list("pk", "root_cause_service_name"))
    groups: dict = {}
    for i, p in enumerate(predicted):
        groups.setdefault(p, []).append(i)
    canonical = sorted((members, roots.get(p, "")) for p, members in groups.items())
    digest = hashlib.sha1(repr(canonical).encode()).hexdigest()[:12]
    return storms.score(storm, predicted, roots), len(alerts) / elapsed, digest


def _line(label, scores):
    mean = lambda attr: statistics.mean(getattr(s, attr) for s in scores)  # noqa: E731
    return (
        f"    {label:<7} P {mean('precision'):.3f}  R {mean('recall'):.3f}  F1 {mean('f1'):.3f}  "
        f"root top-1 {mean('root_top1'):.3f}  noise reduction {mean('noise_reduction'):.3f}"
    )


@pytest.mark.django_db(transaction=True)
def test_storm_suites_engine_vs_naive_window(quiet_subscribers):
    n = 0
    print()
    for which in SETS:
        for suite in SUITES:
            failures, noise = storms.SUITES[suite]
            engine, naive, rates, alerts, worst, digests = [], [], [], 0, [], []
            for variant, seed in storms.suites(which):
                storm = storms.generate(variant, seed, failures, noise)
                n += 1
                result, rate, digest = run_engine(storm, n)
                digests.append(digest)
                engine.append(result)
                rates.append(rate)
                alerts += result.alerts
                naive.append(storms.score(storm, *storms.naive_window(storm)))
                worst.append((round(result.f1, 3), variant.name, seed))
            print(
                f"[{which}] {suite} ({connection.vendor}): {len(engine)} storms "
                f"({', '.join(sorted({v.name for v, _ in storms.suites(which)}))}), "
                f"{failures} failures + {noise} noise each, {alerts} alerts, one alert per webhook"
            )
            print(_line("engine", engine) + f"  {statistics.mean(rates):,.0f} alerts/s")
            print(_line("naive5m", naive))
            print(f"    lowest engine F1: {sorted(worst)[:3]}")
            print(f"    decisions: {hashlib.sha1(' '.join(digests).encode()).hexdigest()[:12]} ({' '.join(digests)})")


def _post_storm(client, token, storm, per_request):
    url = reverse("hooks:alertmanager-hook", args=[token]) if _named("hooks:alertmanager-hook") else None
    url = url or f"/hooks/alertmanager/{token}/"
    bodies = []
    for start in range(0, len(storm.alerts), per_request):
        chunk = [storms.webhook(spec, start + i) for i, spec in enumerate(storm.alerts[start : start + per_request])]
        body = chunk[0]
        body["alerts"] = [c["alerts"][0] for c in chunk]
        bodies.append(body)
    for body in bodies:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code in (200, 202), response.content[:300]


def _named(name):
    try:
        reverse(name, args=["x"])
        return True
    except Exception:
        return False


def decisions(org, storm):
    """What the engine decided, independent of ids: the partition of the storm's alerts (by their
    index, the fingerprint the webhook carried) and each incident's root cause, with a digest to
    compare two runs (before/after an optimisation) at a glance."""
    index = {a.pk: int(a.fingerprint, 16) for a in Alert.objects.filter(organization=org).only("fingerprint")}
    groups: dict = {}
    for alert_id, incident_id in IncidentAlert.objects.filter(organization=org).values_list("alert_id", "incident_id"):
        groups.setdefault(incident_id, []).append(index[alert_id])
    roots = dict(Incident.objects.for_org(org).values_list("pk", "root_cause_service_name"))
    canonical = sorted((sorted(members), roots.get(pk, "")) for pk, members in groups.items())
    digest = hashlib.sha1(repr(canonical).encode()).hexdigest()[:12]
    predicted = [None] * len(storm.alerts)
    for pk, members in groups.items():
        for i in members:
            predicted[i] = pk
    predicted = [p if p is not None else f"none-{i}" for i, p in enumerate(predicted)]
    return digest, len(groups), storms.score(storm, predicted, roots)


# The storms posted through the webhook: fixed seeds, so two runs can be compared by digest.
WEBHOOK_STORMS = [("hard", "layered48", 7), ("moderate", "layered48", 8)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("suite,variant,seed", WEBHOOK_STORMS)
@pytest.mark.parametrize("per_request", [1, 50])
def test_storm_throughput_through_the_webhook(
    client, quiet_subscribers, monkeypatch, settings, per_request, suite, variant, seed
):
    """webhook view -> ingest -> outbox event -> fan-out -> incidents.correlate_alerts (eager), on
    the test database (PostgreSQL in `make bench`). Prints the subscriber's alerts/s and queries
    per alert, the end-to-end rate, and the decisions' digest."""
    settings.ALERTS_INTEGRATION_RATE_LIMIT = 0
    settings.ALERTS_ORGANIZATION_RATE_LIMIT = 0
    storm = storms.generate(storms.TUNING.get(variant) or storms.HELD_OUT[variant], seed, *storms.SUITES[suite])
    org = OrganizationFactory(slug="storm-webhook")
    integration = integration_create(organization=org, name="storm")
    storms.install_topology(org, storm)
    spent = {"correlation": 0.0, "queries": 0, "calls": 0}
    original = events.send

    def timed(sub, payload):
        if sub.task.name != "incidents.correlate_alerts":
            return original(sub, payload)
        started = time.perf_counter()
        try:
            with CaptureQueriesContext(connection) as queries:
                return original(sub, payload)
        finally:
            spent["correlation"] += time.perf_counter() - started
            spent["queries"] += len(queries.captured_queries)
            spent["calls"] += 1

    monkeypatch.setattr(events, "send", timed)
    started = time.perf_counter()
    _post_storm(client, integration.token, storm, per_request)
    elapsed = time.perf_counter() - started
    placed = IncidentAlert.objects.filter(organization=org).count()
    digest, incidents, result = decisions(org, storm)
    print()
    print(
        f"webhook storm {suite} {variant} seed {seed} ({connection.vendor}): {len(storm.alerts)} alerts, "
        f"{per_request} per webhook; {placed} placed in {incidents} incidents; decisions {digest} "
        f"(F1 {result.f1:.3f}, root top-1 {result.root_top1:.3f})"
    )
    print(
        f"    correlation subscriber (events.consume + engine): {placed / spent['correlation']:,.0f} alerts/s, "
        f"{spent['queries'] / placed:.2f} queries/alert ({spent['calls']} deliveries); "
        f"end to end (webhook view + ingest + correlation): {len(storm.alerts) / elapsed:,.0f} alerts/s"
    )
    assert placed == len(storm.alerts)

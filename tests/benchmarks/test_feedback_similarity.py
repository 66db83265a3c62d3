"""Similarity benchmark: similar past cases for an alert among BENCH_ALERTS stored alerts.

An organisation holds BENCH_ALERTS alerts (default 50,000) from 300 problem families — each a
(alert name, service, summary wording) with labels — spread over 90 days, plus feedback on 3,000
of them and 300 fix-library entries. Another organisation holds a copy of some families.
For 200 fresh alerts (one of a known family each) the benchmark times `similar_cases` (the API's
and the panel's work) and `learning_blocks` (the analysis context), counts SQL queries per call,
and scores precision@5: the share of the top five alert cases that belong to the query's family
(same name *and* service; a same-name alert of another service counts as a miss).

Prints latency percentiles, queries per call and precision. Never asserts on time.
Tune with BENCH_ALERTS (50000), BENCH_QUERIES (200), BENCH_SEED (7).
"""

import os
import random
import statistics
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.alerts.models import Alert
from apps.analysis.subjects import Subject
from apps.feedback.learning import learning_blocks
from apps.feedback.models import RemediationFeedback, SuccessfulRemediation
from apps.feedback.similarity import similar_cases
from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import OrganizationFactory

ALERTS = int(os.environ.get("BENCH_ALERTS", "50000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "200"))
SEED = int(os.environ.get("BENCH_SEED", "7"))

NAMES = [
    "DatabaseConnectionTimeout",
    "HighErrorRate",
    "HighLatency",
    "KubePodCrashLooping",
    "NodeFilesystemAlmostFull",
    "PostgresqlTooManyConnections",
    "RedisMemoryHigh",
    "TargetDown",
    "JvmHeapHigh",
    "NginxHigh5xx",
]
WORDS = [
    "timeout",
    "connection",
    "refused",
    "latency",
    "errors",
    "disk",
    "memory",
    "queue",
    "pool",
    "replica",
    "cache",
    "heap",
    "probe",
    "certificate",
    "throttling",
    "backlog",
]


def families(rng, count):
    out = []
    for i in range(count):
        service = f"svc-{i % 150}"
        words = " ".join(rng.sample(WORDS, 3))
        out.append(
            {
                "name": NAMES[i % len(NAMES)],
                "service": service,
                "namespace": f"ns-{i % 20}",
                "summary": f"{service} reports {words} on its {rng.choice(['primary', 'replica', 'edge'])} path",
            }
        )
    return out


def build(org, integration, fams, rng, count, now, first=0):
    rows = []
    for n in range(count):
        fam = fams[n % len(fams)]
        starts = now - timedelta(minutes=rng.randint(60, 90 * 24 * 60))
        instance = f"{fam['service']}-{rng.randint(0, 9)}:8080"
        rows.append(
            Alert(
                organization=org,
                integration=integration,
                fingerprint=f"{first + n:016x}",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                status="resolved",
                name=fam["name"],
                severity="critical",
                service=fam["service"],
                instance=instance,
                environment="production",
                summary=fam["summary"],
                labels={
                    "alertname": fam["name"],
                    "service": fam["service"],
                    "namespace": fam["namespace"],
                    "instance": instance,
                    "env": "production",
                    "severity": "critical",
                },
                annotations={"summary": fam["summary"]},
                last_received_at=starts,
            )
        )
    Alert.objects.bulk_create(rows, batch_size=2000)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)]


@pytest.mark.django_db(transaction=True)
def test_similarity_at_scale():
    rng = random.Random(SEED)
    now = timezone.now()
    org, other = OrganizationFactory(slug="bench-feedback"), OrganizationFactory(slug="bench-feedback-b")
    integration, other_integration = IntegrationFactory(organization=org), IntegrationFactory(organization=other)
    fams = families(rng, 300)
    started = time.perf_counter()
    build(org, integration, fams, rng, ALERTS, now)
    build(other, other_integration, fams[:50], rng, ALERTS // 10, now)
    rated = list(Alert.objects.filter(organization=org).values_list("pk", "name", "service")[:3000])
    RemediationFeedback.objects.bulk_create(
        RemediationFeedback(
            organization=org,
            alert_id=pk,
            feedback_type=rng.choice(["helpful", "not_helpful"]),
            rating=rng.randint(1, 5),
            alert_pattern=name,
            service=service,
            suggestion=f"Restart {service}",
            correct_action=f"Scaled out {service}",
        )
        for pk, name, service in rated
    )
    SuccessfulRemediation.objects.bulk_create(
        SuccessfulRemediation(
            organization=org,
            alert_pattern=f["name"],
            service=f["service"],
            alert_labels={"service": f["service"]},
            problem_summary=f["summary"],
            solution_summary=f"Fix for {f['service']}",
            verified_at=now,
        )
        for f in fams
    )
    print(f"\nsetup: {ALERTS} alerts (+{ALERTS // 10} in another org) in {time.perf_counter() - started:.1f} s")

    sim_ms, learn_ms, sim_queries, learn_queries, precision, leaks = [], [], [], [], [], 0
    for q in range(QUERIES):
        fam = fams[rng.randrange(len(fams))]
        build(org, integration, [fam], rng, 1, now, first=ALERTS + q)  # the fresh alert
        alert = Alert.objects.filter(organization=org).order_by("-pk").first()
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            cases = similar_cases(alert=alert, limit=10)
            sim_ms.append((time.perf_counter() - t) * 1000)
        sim_queries.append(len(ctx.captured_queries))
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            learning_blocks(Subject.for_alert(alert))
            learn_ms.append((time.perf_counter() - t) * 1000)
        learn_queries.append(len(ctx.captured_queries))
        top = [c.obj for c in cases if c.kind == "alert"][:5]
        if top:
            precision.append(sum(1 for a in top if (a.name, a.service) == (fam["name"], fam["service"])) / len(top))
        leaks += sum(1 for c in cases if c.obj.organization_id != org.pk)

    print(
        f"similar_cases   p50 {statistics.median(sim_ms):7.1f} ms  p95 {percentile(sim_ms, 0.95):7.1f} ms  "
        f"max {max(sim_ms):7.1f} ms  queries/call {statistics.mean(sim_queries):.1f}"
    )
    print(
        f"learning_blocks p50 {statistics.median(learn_ms):7.1f} ms  p95 {percentile(learn_ms, 0.95):7.1f} ms  "
        f"max {max(learn_ms):7.1f} ms  queries/call {statistics.mean(learn_queries):.1f}"
    )
    print(
        f"precision@5 (same family): {statistics.mean(precision):.1%} over {len(precision)} queries; "
        f"rows from the other organisation: {leaks}"
    )

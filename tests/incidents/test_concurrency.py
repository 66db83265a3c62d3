"""A storm delivered to several workers at once must end in one incident (PostgreSQL, real threads).

Each thread is a worker with its own database connection running the Celery subscriber on its
share of the storm; a barrier releases them together. Without the per-organisation lock, two
workers would both find "no incident yet" and open two.
"""

import threading

import pytest
from celery.result import _set_task_join_will_block
from django.conf import settings
from django.db import connection

from aiops import events
from apps.alerts.summary import alert_summary
from apps.incidents import tasks
from apps.incidents.models import CorrelationKey, Incident, IncidentAlert

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL (row locks across connections); run with "
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/aiops_incidents",
    ),
    pytest.mark.django_db(transaction=True),
]
WORKERS = 8


def _run_workers(batches):
    barrier = threading.Barrier(len(batches))
    errors = []

    def work(batch):
        try:
            barrier.wait(timeout=30)
            # a mix of lone alerts and small webhooks, as Alertmanager delivers them
            start, size = 0, 1
            while start < len(batch):
                tasks.correlate_alerts.apply(args=[batch[start : start + size]], throw=True)
                start, size = start + size, 4 - size  # 1, 3, 1, 3, ...
        except Exception as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # Celery's eager apply() flips a process-wide "a task is running" flag without a lock; threads
    # running tasks at once can leave it set, and every later result.get() would then refuse.
    _set_task_join_will_block(False)
    assert not errors, errors


def _events(alerts):
    return [
        events.build_event("alert.received", org=a.organization_id, subject=a, is_new=True, **alert_summary(a))
        for a in alerts
    ]


def test_simultaneous_storm_on_many_workers_makes_one_incident(org_a, make_alert, topology):
    topology({"web": ["api"], "api": ["database", "cache"]})
    alerts = [
        make_alert(
            svc,
            f"Alert{i}",
            at=i % 30,
            severity="critical" if svc == "database" else "warning",
            instance=f"{svc}-{i}:9100",
        )
        for i, svc in enumerate(["web", "api", "cache", "database"] * 12)
    ]
    stream = _events(alerts)
    _run_workers([stream[w::WORKERS] for w in range(WORKERS)])

    incident = Incident.objects.get(merged_into__isnull=True)
    assert IncidentAlert.objects.count() == len(alerts) == incident.alert_count
    assert incident.firing_count == len(alerts)
    assert sum(s["alerts"] for s in incident.service_stats.values()) == len(alerts)
    assert incident.root_cause_service_name == "database"
    assert IncidentAlert.objects.filter(is_root_cause=True).count() == 1
    assert not CorrelationKey.objects.exclude(incident=incident).exists()


def test_simultaneous_storm_without_topology_makes_one_incident(org_a, make_alert):
    alerts = [make_alert("checkout", "HighLatency", at=i, instance=f"checkout-{i}:8080") for i in range(40)]
    _run_workers([_events(alerts)[w::WORKERS] for w in range(WORKERS)])
    assert Incident.objects.count() == 1 and Incident.objects.get().alert_count == 40
    numbers = list(Incident.objects.values_list("number", flat=True))
    assert numbers == [1]

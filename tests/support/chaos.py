"""A storm of Alertmanager webhooks while the Celery worker is SIGKILLed (and the broker restarted).

Used by the chaos test (tests/aiops/test_chaos.py) and the outbox benchmark. The webhooks go
through the real view and ingestion service in this process; the events go through the real
broker to a real worker and a real beat (which runs the outbox sweeper). Afterwards the report
counts, per subscriber's effect, what was lost and what was doubled.
"""
from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from tests.support.worker import _purge_broker, kill_worker, start_beat, start_worker

SERVICES = ["api-gateway", "payment", "checkout", "database", "cache", "search", "auth", "orders"]
NAMES = ["HighErrorRate", "HighLatency", "PodCrashLooping", "ConnectionsExhausted"]

# Short grace and sweep periods, so a lost message is re-sent within seconds in a test.
FAST_ENV = {"AIOPS_EVENT_GRACE_SECONDS": "2", "NOTIFICATIONS_OUTBOX_GRACE_SECONDS": "1",
            "NOTIFICATIONS_LEASE_SECONDS": "4", "NOTIFICATIONS_RETRY_BASE_SECONDS": "1"}


@dataclass
class ChaosReport:
    webhooks: int = 0
    alerts: int = 0
    events: int = 0
    kills: int = 0
    broker_restarts: int = 0
    lost: dict = field(default_factory=dict)  # effect -> how many are missing
    doubled: dict = field(default_factory=dict)  # effect -> how many exist more than once
    unprocessed: dict = field(default_factory=dict)  # subscriber -> events never receipted
    drain_seconds: float | None = None  # last worker restart -> backlog empty
    storm_seconds: float = 0.0
    log_tail: str = ""
    outbox_state: str = ""  # when the backlog never drained: where the open events stand

    @property
    def total_lost(self) -> int:
        return sum(self.lost.values()) + sum(self.unprocessed.values())

    @property
    def total_doubled(self) -> int:
        return sum(self.doubled.values())

    def summary(self) -> str:
        return (f"{self.webhooks} webhooks, {self.alerts} alerts, {self.events} events, {self.kills} worker kills, "
                f"{self.broker_restarts} broker restarts: lost {self.total_lost} {self.lost or ''}"
                f"{self.unprocessed or ''}, doubled {self.total_doubled} {self.doubled or ''}, "
                f"backlog drained {'never' if self.drain_seconds is None else round(self.drain_seconds, 1)} s "
                f"after the last restart")


def alertmanager_body(rng: random.Random, n: int, alerts: int, base: datetime) -> dict:
    body = json.loads((Path(__file__).parents[1] / "alerts" / "contracts" / "firing.json").read_text())
    template = body["alerts"][0]
    items = []
    for i in range(alerts):
        service = rng.choice(SERVICES)
        labels = {"alertname": rng.choice(NAMES), "service": service, "severity": rng.choice(["critical", "warning"]),
                  "instance": f"{service}-{n}-{i}:8080", "env": "production"}
        items.append({**template, "labels": labels, "fingerprint": f"{n:06x}{i:04x}chaos",
                      "startsAt": (base + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")})
    body.update({"alerts": items, "commonLabels": {}, "groupKey": f"{{}}:{{chaos=\"{n}\"}}"})
    return body


def run_storm(*, client, integration, start_worker, kill_worker, restart_broker=None, webhooks: int = 60,
              alerts_per_webhook: int = 5, kills: int = 10, seconds: float = 45.0, seed: int = 7,
              drain_timeout: float | None = None) -> ChaosReport:
    """Send `webhooks` webhooks over about `seconds`, killing the worker `kills` times at random
    moments (and restarting the broker once, half-way, if given); then wait for the backlog."""
    from aiops import outbox

    rng = random.Random(seed)
    report = ChaosReport()
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    base = datetime.now(UTC) - timedelta(minutes=30)
    kill_at = sorted(rng.uniform(0.05, 0.95) * seconds for _ in range(kills))
    restart_at = seconds / 2 if restart_broker else None
    worker = start_worker()
    started = time.monotonic()
    last_restart = started
    for n in range(webhooks):
        target = started + seconds * n / webhooks
        while time.monotonic() < target:
            time.sleep(0.02)
        response = client.post(url, data=json.dumps(alertmanager_body(rng, n, alerts_per_webhook, base)),
                               content_type="application/json")
        assert response.status_code == 202, response.content
        report.webhooks += 1
        report.alerts += alerts_per_webhook
        elapsed = time.monotonic() - started
        while kill_at and kill_at[0] <= elapsed:
            kill_at.pop(0)
            time.sleep(rng.uniform(0, 0.3))  # mid-batch, not just between webhooks
            kill_worker(worker)
            report.kills += 1
            worker = start_worker()
            last_restart = time.monotonic()
        if restart_at is not None and elapsed >= restart_at:
            restart_at = None
            restart_broker()
            report.broker_restarts += 1
    while kill_at:  # kills the storm was too short for
        kill_at.pop(0)
        kill_worker(worker)
        report.kills += 1
        worker = start_worker()
        last_restart = time.monotonic()
    report.storm_seconds = time.monotonic() - started
    print(f"chaos: storm sent in {report.storm_seconds:.0f} s with {report.kills} kills; waiting for the backlog")

    deadline = time.monotonic() + (drain_timeout or float(os.environ.get("AIOPS_CHAOS_DRAIN_SECONDS", "180")))
    while time.monotonic() < deadline:
        if _drained(outbox):
            report.drain_seconds = time.monotonic() - last_restart
            break
        time.sleep(0.5)
    _count(report)
    if report.drain_seconds is None:
        report.outbox_state = _outbox_state()
    report.log_tail = worker.log()[-3000:]
    return report


def _outbox_state() -> str:
    """Open events by sweep count, given-up events, and when the next sweep is due."""
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from aiops.models import Event

    open_rows = Event.objects.filter(next_sweep_at__isnull=False)
    by_sweeps = dict(open_rows.values_list("sweeps").annotate(n=Count("pk")).order_by("sweeps"))
    due = open_rows.aggregate(first=Min("next_sweep_at"), last=Max("next_sweep_at"))
    now = timezone.now()
    rel = {k: None if v is None else round((v - now).total_seconds()) for k, v in due.items()}
    return (f"open events by sweeps {by_sweeps}, given up {Event.objects.filter(given_up_at__isnull=False).count()}, "
            f"next sweeps due in {rel['first']}..{rel['last']} s")


def missing_receipts(*, open_only: bool = False) -> Counter:
    """Per subscriber, the events it has no receipt for (two queries, whatever the storm's size)."""
    from aiops import events
    from aiops.models import Event, EventReceipt

    rows = Event.objects.filter(next_sweep_at__isnull=False) if open_only else Event.objects.all()
    rows = list(rows.values_list("id", "name"))
    receipts = set(EventReceipt.objects.filter(event_id__in=[i for i, _ in rows]).values_list(
        "event_id", "subscriber"))
    missing: Counter = Counter()
    for event_id, name in rows:
        for sub in events.subscribers(name):
            if (event_id, sub.task.name) not in receipts:
                missing[sub.task.name] += 1
    return missing


def _drained(outbox) -> bool:
    backlog = outbox.backlog()
    if backlog.by_subscriber or backlog.given_up:
        return False
    # Events still inside the grace period are not "unprocessed" yet: check their receipts too.
    return not missing_receipts(open_only=True)


def _count(report: ChaosReport) -> None:
    from aiops.models import Event
    from apps.alerts.models import Alert
    from apps.analysis.models import Analysis
    from apps.incidents.models import IncidentAlert
    from apps.timeline.models import TimelineEntry

    report.events = Event.objects.count()
    alerts = set(Alert.objects.values_list("pk", flat=True))
    linked = Counter(IncidentAlert.objects.values_list("alert_id", flat=True))
    analysed = Counter(Analysis.objects.filter(subject_type="alert").values_list(
        "alert_id", flat=True))
    recorded = Counter(TimelineEntry.objects.values_list("event_id", flat=True))
    event_ids = {str(e) for e in Event.objects.values_list("id", flat=True)}
    report.lost = {k: v for k, v in {
        "alerts not in an incident": len(alerts - set(linked)),
        "alerts without an analysis": len(alerts - set(analysed)),
        "events without a timeline entry": len(event_ids - {str(e) for e in recorded}),
        "alerts stored": max(0, report.alerts - len(alerts)),
    }.items() if v}
    report.doubled = {k: v for k, v in {
        "incident links": sum(1 for c in linked.values() if c > 1),
        "analyses": sum(1 for c in analysed.values() if c > 1),
        "timeline entries": sum(1 for c in recorded.values() if c > 1),
    }.items() if v}
    report.unprocessed = dict(missing_receipts())


@pytest.fixture
def chaos_broker(request, tmp_path, monkeypatch):
    """Point this process's Celery app at the broker under test (parametrised "redis": a private
    redis-server that may be restarted; "embedded": the filesystem transport in tmp_path); yields
    (environment for worker processes, restart function or None)."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.broker_transport, app.conf.broker_transport_options,
             app.conf.task_always_eager)

    def use(url, transport, options):
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url, app.conf.broker_transport, app.conf.broker_transport_options = url, transport, options
        app.conf.task_always_eager = False
        app._pool = None
        app.amqp._producer_pool = None

    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        use(server.url, None, {"visibility_timeout": 600})
        env, restart = {"CELERY_BROKER_URL": server.url}, server.restart
    else:
        folder = tmp_path / "broker"
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True)
        use("filesystem://", "aiops.broker:Transport", {
            "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
            "store_processed": False, "polling_interval": 0.2})
        env, restart = {"CELERY_BROKER_URL": "filesystem://", "AIOPS_TEST_BROKER_DIR": str(folder)}, None
    _purge_broker(app)
    yield env, restart
    monkeypatch.undo()
    (app.conf.broker_url, app.conf.broker_transport, app.conf.broker_transport_options,
     app.conf.task_always_eager) = saved
    app._pool = None
    app.amqp._producer_pool = None


def fast_beat():
    """The sweeper every second (its default is 5 s); the other beat tasks keep their defaults, so
    on a slow machine the worker's time goes to the storm, not to ticks."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from aiops import schedules

    schedules.ensure_periodic_tasks()
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task="aiops.sweep_events").update(interval=every_second)


class Processes:
    """The worker processes of a chaos run (each in its own folder) and one beat; `stop()` kills all."""

    def __init__(self, tmp_path: Path, env: dict):
        self.tmp_path, self.env = tmp_path, {**FAST_ENV, **env}
        self.workers: list = []
        self.beat = None

    def start_beat(self):
        folder = self.tmp_path / "beat"
        folder.mkdir(exist_ok=True)
        fast_beat()
        self.beat = start_beat(folder, extra_env=self.env)
        return self.beat

    def new_worker(self):
        folder = self.tmp_path / f"worker-{len(self.workers)}"
        folder.mkdir()
        self.workers.append(start_worker(folder, extra_env=self.env, name=f"chaos-{folder.name}@%h"))
        return self.workers[-1]

    def storm(self, *, client, integration, restart_broker=None, **options) -> ChaosReport:
        return run_storm(client=client, integration=integration, start_worker=self.new_worker,
                         kill_worker=kill_worker, restart_broker=restart_broker, **options)

    def stop(self) -> None:
        for worker in self.workers:
            kill_worker(worker)
        if self.beat is not None:
            self.beat.stop()


def paged_integration(org, http_stub):
    """An Alertmanager integration whose every new alert pages a webhook stub (a per-alert rule)."""
    from tests.alerts.factories import IntegrationFactory
    from tests.notifications.factories import NotificationChannelFactory, NotificationRuleFactory

    hook = http_stub(name="pager")
    channel = NotificationChannelFactory(organization=org, kind="webhook", config={"url": hook.url + "/page"})
    NotificationRuleFactory(organization=org, grouping="per_alert", rate_limit_count=None, channels=[channel])
    return IntegrationFactory(organization=org)

"""Notification benchmark: an alert storm through the real pipeline to a Slack loopback server.

Alertmanager-shaped webhooks go to gunicorn at BENCH_NOTIFY_RATE alerts/s (default 100, in
batches of 10 every 0.1 s) for BENCH_NOTIFY_SECONDS (default 20; the issue's storm is 60). Each
new alert publishes `alert.received`; real Celery workers (queues `ingest` and `notify`) decide
with a per-alert rule for critical alerts and post to a Slack `chat.postMessage` stub in this
process. Printed: alerts ingested, messages received, lost (an alert without a message) and
duplicated (an alert with two), and latency from `alert.received` (the event's `occurred_at`) to
the stub receiving the message, p50/p95/p99/max — target p95 under 2 s — split into event →
decision committed (queueing and deciding) and decision → provider answered (queueing and
sending), and the sustained rate of messages at the stub. Draining waits as long as
messages keep arriving, so a backlog shows as latency, not as loss. Never asserts on time; does
assert that nothing was lost or doubled.

Only the notification pipeline's queues are consumed: the events of the other subscribers
(incidents, analysis, timeline, ...) wait in their queues, so the figure is the notifier's on a
shared 2-core machine. Tune with BENCH_NOTIFY_WORKERS (worker processes' concurrency, default 4),
BENCH_DATABASE_URL (default PostgreSQL database aiops_bench_notify on 127.0.0.1, else SQLite) and
BENCH_BROKER_URL (default Redis db 12 on 127.0.0.1, else the filesystem transport).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.notifications.payloads import alertmanager_storm
from tests.support.http_stub import StubServer
from tests.support.net import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("BENCH_NOTIFY_SECONDS", "20"))
RATE = int(os.environ.get("BENCH_NOTIFY_RATE", "100"))
CONCURRENCY = int(os.environ.get("BENCH_NOTIFY_WORKERS", "4"))
BATCHES_PER_SECOND = 10
DRAIN_QUIET_SECONDS = 60
ALERT_URL = re.compile(r"/alerts/(\d+)/")


def _answers(port: int) -> bool:
    try:
        wait_for_port("127.0.0.1", port, timeout=0.5)
        return True
    except TimeoutError:
        return False


def _environment(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    database = os.environ.get("BENCH_DATABASE_URL") or (
        "postgres://postgres@127.0.0.1:5432/aiops_bench_notify"
        if _answers(5432)
        else f"sqlite:///{tmp / 'bench.sqlite3'}"
    )
    broker = os.environ.get("BENCH_BROKER_URL") or (
        "redis://127.0.0.1:6379/12" if _answers(6379) else "filesystem://"
    )
    env.update(
        {
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": broker,
            "AIOPS_VAR_DIR": str(tmp / "var"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            "ALERTS_INTEGRATION_RATE_LIMIT": "0",
            "ALERTS_ORGANIZATION_RATE_LIMIT": "0",
        }
    )
    return env


def _manage(env: dict, script: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _prepare(env: dict, slack_url: str) -> str:
    database = env["DATABASE_URL"]
    if database.startswith("postgres"):
        name, admin = database.rsplit("/", 1)[1], database.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(
            ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True
        )
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    _flush_broker(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return _manage(
        env,
        (
            "from apps.tenancy import services as t; from apps.alerts.ingest import integration_create;"
            "from apps.notifications import services as n;"
            "org = t.organization_create(name='Bench', slug='bench');"
            "ch = n.channel_create(organization=org, name='slack', kind='slack', "
            f"config={{'token': 'xoxb-bench', "
            f"'channel': '#storm', 'api_url': '{slack_url}/api/'}});"
            "n.rule_create(organization=org, name='critical', trigger_on=['alert_received'],"
            " grouping='per_alert',"
            " severity_filter=['critical'], rate_limit_count=None, channels=[ch]);"
            "print(integration_create(organization=org, name='bench').token)"
        ),
    )


def _flush_broker(env: dict) -> None:
    broker = env["CELERY_BROKER_URL"]
    if broker.startswith("redis"):
        subprocess.run(["redis-cli", "-u", broker, "flushdb"], capture_output=True)


def _storm(url: str) -> tuple[int, list[float], int]:
    """POST batches at a fixed rate; returns (alerts accepted, POST times, failed requests)."""
    per_batch = max(1, RATE // BATCHES_PER_SECOND)
    batches = int(SECONDS * BATCHES_PER_SECOND)
    accepted, posted, failed = [0], [], [0]
    lock = threading.Lock()
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64))
    started = time.monotonic()

    def send():
        moment = time.time()
        try:
            ok = (
                session.post(
                    url, data=alertmanager_storm(per_batch), headers={"Content-Type": "application/json"}, timeout=30
                ).status_code
                == 202
            )
        except requests.RequestException:
            ok = False
        with lock:
            if ok:
                accepted[0] += per_batch
                posted.append(moment)
            else:
                failed[0] += 1

    threads = []
    for i in range(batches):
        delay = started + i / BATCHES_PER_SECOND - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=send)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return accepted[0], posted, failed[0]


def _percentiles(values: list[float]) -> str:
    if not values:
        return "no data"
    ordered = sorted(values)

    def pick(q):
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000

    return (
        f"p50={pick(0.5):.0f} ms p95={pick(0.95):.0f} ms p99={pick(0.99):.0f} ms "
        f"max={ordered[-1] * 1000:.0f} ms "
        f"mean={statistics.fmean(ordered) * 1000:.0f} ms"
    )


def test_notification_storm(tmp_path):
    arrivals: dict[int, list[float]] = {}
    lock = threading.Lock()

    def record(req):
        moment = time.time()
        for button in json.dumps(req.json or {}).split('"url": ')[1:]:
            match = ALERT_URL.search(button)
            if match:
                with lock:
                    arrivals.setdefault(int(match.group(1)), []).append(moment)
                return

    slack = StubServer("slack")
    slack.validate(record)
    slack.set_default(200, json={"ok": True, "channel": "C0STORM", "ts": "1700000000.000100"})
    env = _environment(tmp_path)
    token = _prepare(env, slack.url)
    port = free_port()
    bindir = Path(sys.executable).parent
    web = subprocess.Popen(
        [
            str(bindir / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker_log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in finally
    worker = subprocess.Popen(
        [
            str(bindir / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "ingest,notify",
            "--concurrency",
            str(CONCURRENCY),
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        time.sleep(3)  # the worker connects to the broker
        url = f"http://127.0.0.1:{port}/hooks/alertmanager/{token}/"
        print(
            f"\nNotification benchmark: {RATE} alerts/s for {SECONDS:.0f} s (BENCH_NOTIFY_SECONDS; "
            f"the issue's storm is 60 s), database={env['DATABASE_URL'].split('@')[-1]} "
            f"broker={env['CELERY_BROKER_URL']}, worker -Q ingest,notify concurrency {CONCURRENCY}, "
            f"{os.cpu_count()} CPUs, Slack bot → loopback stub"
        )
        storm_started = time.monotonic()
        accepted, posted, failed = _storm(url)
        storm_seconds = time.monotonic() - storm_started
        # Drain: wait while messages keep arriving (a backlog is slow, not lost), then a quiet minute.
        seen, quiet_since = -1, time.monotonic()
        while len(arrivals) < accepted and time.monotonic() - quiet_since < DRAIN_QUIET_SECONDS:
            if len(arrivals) != seen:
                seen, quiet_since = len(arrivals), time.monotonic()
            time.sleep(0.5)
        time.sleep(2)  # a duplicate would land now
        drained = time.monotonic() - storm_started
        rows = json.loads(
            _manage(
                env,
                (
                    "import json; from apps.notifications.models import NotificationDelivery as D;"
                    "print(json.dumps([[d.alert_id, d.event_at.timestamp(), d.status, d.attempts, "
            "d.created_at.timestamp(), d.sent_at.timestamp() if d.sent_at else None] "
                    "for d in D.objects.filter(kind='new')]))"
                ),
            )
        )
        alerts = int(_manage(env, "from apps.alerts.models import Alert; print(Alert.objects.count())"))
    finally:
        for proc in (web, worker):
            proc.terminate()
        for proc in (web, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        worker_log.close()
        slack.stop()
        _flush_broker(env)

    event_at = {row[0]: row[1] for row in rows}
    decided = [row[4] - row[1] for row in rows]
    sending = [row[5] - row[4] for row in rows if row[5]]
    latencies = [arrivals[a][0] - event_at[a] for a in event_at if a in arrivals]
    lost = [a for a in event_at if a not in arrivals]
    duplicated = {a: len(times) for a, times in arrivals.items() if len(times) > 1}
    first_post = min(posted) if posted else 0
    statuses = statistics.multimode([r[2] for r in rows]) if rows else []
    print(
        f"  webhooks: {len(posted)} accepted, {failed} failed in {storm_seconds:.1f} s → {accepted} alerts "
        f"({accepted / storm_seconds:.0f} alerts/s offered); alert rows: {alerts}; deliveries: {len(rows)} "
        f"(most common status: {', '.join(statuses)})"
    )
    print(
        f"  messages at the Slack stub: {sum(len(t) for t in arrivals.values())} for {len(arrivals)} alerts; "
        f"lost: {len(lost)}; duplicated: {len(duplicated)}; all drained {drained:.1f} s after the storm began"
    )
    print(f"  alert.received → Slack stub: {_percentiles(latencies)}   (target p95 < 2000 ms)")
    print(f"    of which event → decision committed: {_percentiles(decided)}")
    print(f"    and decision → provider answered:    {_percentiles(sending)}")
    if arrivals and posted:
        print(
            f"  storm throughput at the stub: "
            f"{len(arrivals) / (max(t[0] for t in arrivals.values()) - first_post):.0f} messages/s"
        )
    assert accepted == alerts == len(rows), (accepted, alerts, len(rows))
    assert not lost, f"{len(lost)} alerts never reached Slack"
    assert not duplicated, f"{len(duplicated)} alerts reached Slack twice"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s"]))

"""Ingestion benchmark: gunicorn on PostgreSQL, Alertmanager payloads of 50 alerts from a load process.

Prints alerts/s, requests/s and p50/p95/p99 latency at a fixed rate (20 req/s) and at saturation.
Never fails on time. Tune with BENCH_SECONDS (default 20), BENCH_CONCURRENCY (default 8),
BENCH_GUNICORN_WORKERS (default 4), BENCH_DATABASE_URL (default: PostgreSQL on 127.0.0.1, database
aiops_bench; falls back to SQLite when PostgreSQL does not answer) and BENCH_BROKER_URL (default
Redis db 13 on 127.0.0.1, else the filesystem transport). No worker consumes the queue: the
figures are the request path alone, with each request's events queued for the worker.
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
ALERTS_PER_REQUEST = 50


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(tmp: Path) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    database = os.environ.get("BENCH_DATABASE_URL")
    if not database:
        database = ("postgres://postgres@127.0.0.1:5432/aiops_bench" if _answers("127.0.0.1", 5432)
                    else f"sqlite:///{tmp / 'bench.sqlite3'}")
    broker = os.environ.get("BENCH_BROKER_URL") or (
        "redis://127.0.0.1:6379/13" if _answers("127.0.0.1", 6379) else "filesystem://")
    env.update({"DATABASE_URL": database, "CELERY_BROKER_URL": broker, "AIOPS_VAR_DIR": str(tmp / "var"),
                "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING",
                "ALERTS_INTEGRATION_RATE_LIMIT": "0", "ALERTS_ORGANIZATION_RATE_LIMIT": "0"})
    return env, database


def _prepare(env: dict) -> str:
    python = sys.executable
    database = env["DATABASE_URL"]
    if database.startswith("postgres"):
        name = database.rsplit("/", 1)[1]
        admin = database.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from apps.tenancy import services; from apps.alerts.ingest import integration_create;"
        "org = services.organization_create(name='Bench', slug='bench');"
        "print(integration_create(organization=org, name='bench').token)"
    )
    out = subprocess.run([python, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def _payload() -> bytes:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    batch = uuid.uuid4().hex[:8]
    alerts = [{
        "status": "firing",
        "labels": {"alertname": "HighLatency", "service": f"svc-{i % 20}", "instance": f"{batch}-{i}:8080",
                   "severity": "critical", "env": "production"},
        "annotations": {"summary": f"p99 latency high on {batch}-{i}"},
        "startsAt": now, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": f"{batch}{i:08x}",
    } for i in range(ALERTS_PER_REQUEST)]
    return json.dumps({"version": "4", "status": "firing", "receiver": "aiops", "groupKey": f"{{}}:{batch}",
                       "alerts": alerts, "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                       "externalURL": "http://alertmanager:9093", "truncatedAlerts": 0}).encode()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _report(label: str, latencies: list[float], failures: list[float], elapsed: float) -> None:
    ok, errors = len(latencies), len(failures)
    print(f"\n[{label}] {ok} requests ok, {errors} failed in {elapsed:.1f}s: "
          f"{ok / elapsed:.1f} req/s, {ok * ALERTS_PER_REQUEST / elapsed:.0f} alerts/s; latency ms "
          f"p50={_percentile(latencies, .5) * 1000:.1f} p95={_percentile(latencies, .95) * 1000:.1f} "
          f"p99={_percentile(latencies, .99) * 1000:.1f} max={max(latencies, default=0) * 1000:.1f} "
          f"mean={statistics.fmean(latencies) * 1000 if latencies else 0:.1f}")


def _post(session: requests.Session, url: str, latencies: list, errors: list) -> None:
    body = _payload()
    started = time.perf_counter()
    try:
        response = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        ok = response.status_code == 202
    except requests.RequestException:
        ok = False
    elapsed = time.perf_counter() - started
    (latencies if ok else errors).append(elapsed)


def _fixed_rate(url: str, rate: float, seconds: float) -> tuple[list, list, float]:
    latencies: list[float] = []
    errors: list[float] = []
    sessions = threading.local()

    def send():
        if not hasattr(sessions, "s"):
            sessions.s = requests.Session()
        _post(sessions.s, url, latencies, errors)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        n = 0
        while (now := time.perf_counter() - started) < seconds:
            target = n / rate
            if now < target:
                time.sleep(target - now)
            pool.submit(send)
            n += 1
    return latencies, errors, time.perf_counter() - started


def _saturation(url: str, concurrency: int, seconds: float) -> tuple[list, list, float]:
    latencies: list[float] = []
    errors: list[float] = []
    stop = time.perf_counter() + seconds

    def loop():
        session = requests.Session()
        while time.perf_counter() < stop:
            _post(session, url, latencies, errors)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started


def test_ingest_throughput(tmp_path):
    env, database = _environment(tmp_path)
    token = _prepare(env)
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", "2", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if _answers("127.0.0.1", port):
                break
            time.sleep(0.2)
        url = f"{base}/hooks/alertmanager/{token}/"
        print(f"\nIngestion benchmark: database={database.split('@')[-1]} broker={env['CELERY_BROKER_URL']} "
              f"gunicorn workers={WORKERS} (gthread x2), {ALERTS_PER_REQUEST} alerts/request, {SECONDS:.0f}s per phase, "
              f"{os.cpu_count()} CPUs")
        _fixed_rate(url, 10, 2)  # warm-up: connections, caches
        _report("fixed rate 20 req/s", *_fixed_rate(url, 20, SECONDS))
        _report(f"saturation, {CONCURRENCY} concurrent clients", *_saturation(url, CONCURRENCY, SECONDS))
    finally:
        server.terminate()
        server.wait(timeout=20)
        if env["CELERY_BROKER_URL"].startswith("redis"):
            subprocess.run(["redis-cli", "-n", "13", "flushdb"], capture_output=True)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s"]))

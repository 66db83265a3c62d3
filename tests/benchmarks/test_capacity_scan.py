"""Capacity benchmark: the nightly scan of BENCH_SCAN_RESOURCES (10,000) resources against a real
Prometheus, through an observing loopback proxy.

The Prometheus is Debian's, backfilled by promtool with BENCH_SCAN_DAYS (30) days of hourly
`disk_used_percent` history for every resource, split over BENCH_SCAN_QUERIES (10) resource
queries of one shard each (a mix of filling, sawtooth and flat disks). The scan runs as beat runs it
(`capacity.scan_all` fans out one `scan_query` per query) in BENCH_SCAN_THREADS (2, the worker's
concurrency on two cores) threads, all against one metric source with its default
`max_concurrency` (4). The proxy between us and Prometheus counts the queries in flight and times
each one. Printed: wall time, resources stored, the most queries in flight, the longest query and
the stored metrics per second. Targets (issue #20): at most 4 in flight, none over 10 s, under 10
minutes on two cores. Never asserts on time.
"""
from __future__ import annotations

import http.server
import os
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import numpy as np
import pytest
from django.db import connection

from apps.capacity import services
from apps.capacity.models import CapacityMetric
from tests.capacity.factories import ResourceQueryFactory
from tests.metrics.factories import MetricSourceFactory
from tests.metrics.prometheus import have_prometheus, serve_openmetrics

RESOURCES = int(os.environ.get("BENCH_SCAN_RESOURCES", 10_000))
QUERIES = int(os.environ.get("BENCH_SCAN_QUERIES", 10))
DAYS = int(os.environ.get("BENCH_SCAN_DAYS", 30))
THREADS = int(os.environ.get("BENCH_SCAN_THREADS", 2))
STEP = 3600


def _write_history(path, end: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = DAYS * 86400 // STEP
    t = end - STEP * np.arange(n)[::-1]
    stamps = [f"{x:.0f}" for x in t]
    with path.open("w") as fh:
        fh.write("# TYPE disk_used_percent gauge\n")
        for i in range(RESOURCES):
            kind = i % 3
            if kind == 0:
                y = rng.uniform(10, 60) + rng.uniform(0.2, 1.5) * np.arange(n) / 24
            elif kind == 1:
                period = rng.uniform(6, 72) * 3600
                y = 20 + 60 * ((t - t[0]) % period) / period
            else:
                y = np.full(n, rng.uniform(20, 80))
            y = np.clip(y + rng.normal(0, 0.5, n), 0, 100)
            prefix = f'disk_used_percent{{shard="{i % QUERIES}",instance="host-{i}"}} '
            fh.writelines(f"{prefix}{v:.2f} {s}\n" for v, s in zip(y, stamps, strict=True))
        fh.write("# EOF\n")


class _Observer:
    """Figures of the proxied queries: in flight now, the most at once, each one's duration."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = self.most = 0
        self.durations: list[float] = []


def _proxy(upstream: str, seen: _Observer) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _forward(self, method):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
            request = urllib.request.Request(upstream + self.path, data=body, method=method, headers={
                k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")})
            with seen.lock:
                seen.in_flight += 1
                seen.most = max(seen.most, seen.in_flight)
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    status, payload, kind = response.status, response.read(), response.headers["Content-Type"]
            except urllib.error.HTTPError as exc:
                status, payload, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "application/json")
            finally:
                with seen.lock:
                    seen.in_flight -= 1
                    seen.durations.append(time.monotonic() - started)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            self._forward("GET")

        def do_POST(self):
            self._forward("POST")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.django_db(transaction=True)
def test_nightly_scan_of_ten_thousand_resources(tmp_path, org_a):
    if not have_prometheus():
        pytest.skip("Debian's prometheus is not installed (.ci/system-packages.sh)")
    end = float(int(time.time()) // STEP * STEP - 3 * 3600)
    source_file = tmp_path / "history.om"
    started = time.monotonic()
    _write_history(source_file, end, seed=int(time.time()))
    with serve_openmetrics(tmp_path, source_file) as url:
        prepared = time.monotonic() - started
        seen = _Observer()
        proxy = _proxy(url, seen)
        try:
            source = MetricSourceFactory(organization=org_a, url=f"http://127.0.0.1:{proxy.server_port}",
                                         timeout_seconds=120)
            queries = [ResourceQueryFactory(organization=org_a, source=source, name=f"Disks shard {k}",
                                            usage_query=f'disk_used_percent{{shard="{k}"}}', capacity_query="100",
                                            name_labels="instance", step_seconds=STEP, history_days=DAYS)
                       for k in range(QUERIES)]
            at = datetime.fromtimestamp(end, UTC)

            def one(query):
                try:
                    return len(services.scan(query=query, end=at))
                finally:
                    connection.close()

            t0 = time.monotonic()
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                stored = sum(pool.map(one, queries))
            wall = time.monotonic() - t0
        finally:
            proxy.shutdown()
    longest = max(seen.durations) if seen.durations else 0.0
    print(f"\ncapacity scan: {RESOURCES} resources in {QUERIES} queries, {DAYS} days hourly history, "
          f"{THREADS} worker threads, source max_concurrency {source.max_concurrency} "
          f"(Prometheus backfilled in {prepared:.0f} s)")
    print(f"  wall time {wall:.1f} s ({stored / wall:.0f} resources/s), stored {stored} "
          f"(rows {CapacityMetric.objects.count()})")
    print(f"  Prometheus queries {len(seen.durations)}, most in flight {seen.most} (target <= 4), "
          f"longest {longest:.2f} s (target < 10 s), median {float(np.median(seen.durations)):.2f} s")
    assert stored == RESOURCES  # every resource stored: a wrong result is a failure, a slow one is not

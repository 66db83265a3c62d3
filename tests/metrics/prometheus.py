"""Debian's real Prometheus, loaded with 30 days of history by `promtool tsdb create-blocks-from openmetrics`.

The fixture series (5-minute samples ending now):

* `disk_used_percent{instance="web-1",pattern="filling"}` — linear growth, 45 % → ~85 % over 30 days;
* `disk_used_percent{instance="web-2",pattern="sawtooth"}` — 20 % → 80 % every day, then log rotation;
* `cpu_percent{instance="web-1"}` — a daily rhythm with noise;
* `requests_per_second{instance="api-1"}` — a daily rhythm with a spike in the last half hour.

The TSDB is built once per session (a few seconds) and served read-only by one process per
session on a free loopback port; tests skip only when the binaries are absent
(`.ci/system-packages.sh` installs them).
"""
from __future__ import annotations

import contextlib
import json
import math
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.support.net import LOOPBACK, free_port, wait_for_port

PROMETHEUS_BIN = "/usr/bin/prometheus"
PROMTOOL_BIN = "/usr/bin/promtool"
STEP = 300
DAYS = 30


def fixture_series(end: float, *, days: int = DAYS, step: int = STEP) -> dict[str, tuple[dict, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(42)
    n = days * 86400 // step
    t = end - step * np.arange(n)[::-1]
    day = (t % 86400) / 86400
    filling = 45 + 40 * np.arange(n) / n + rng.normal(0, 0.3, n)
    saw = 20 + 60 * (((t - t[0]) % 86400) / 86400) + rng.normal(0, 0.3, n)
    cpu = 40 + 25 * np.sin(2 * math.pi * (day - 0.25)) + rng.normal(0, 2, n)
    rps = 200 + 80 * np.sin(2 * math.pi * (day - 0.25)) + rng.normal(0, 5, n)
    rps[-6:] += 600  # a spike in the last half hour
    return {
        "filling": ({"__name__": "disk_used_percent", "instance": "web-1", "pattern": "filling"}, t, filling),
        "sawtooth": ({"__name__": "disk_used_percent", "instance": "web-2", "pattern": "sawtooth"}, t, saw),
        "cpu": ({"__name__": "cpu_percent", "instance": "web-1"}, t, cpu),
        "rps": ({"__name__": "requests_per_second", "instance": "api-1"}, t, rps),
    }


def write_openmetrics(path: Path, series: dict) -> None:
    by_metric: dict[str, list] = {}
    for labels, t, v in series.values():
        by_metric.setdefault(labels["__name__"], []).append((labels, t, v))
    with path.open("w") as fh:
        for name, items in by_metric.items():
            fh.write(f"# TYPE {name} gauge\n")
            for labels, t, v in items:
                text = ",".join(f'{k}="{val}"' for k, val in labels.items() if k != "__name__")
                for ts, value in zip(t, v, strict=True):
                    fh.write(f"{name}{{{text}}} {value:.4f} {ts:.0f}\n")
        fh.write("# EOF\n")


class PrometheusServer:
    def __init__(self, process, url: str, end: float, series: dict):
        self.process, self.url, self.end, self.series = process, url, end, series

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


@contextlib.contextmanager
def serve_openmetrics(work: Path, source: Path):
    """Backfill `source` (OpenMetrics text) into a TSDB under `work` and serve it read-only on a free
    loopback port until the block exits; yields the base URL once the blocks are loaded."""
    data = work / "data"
    subprocess.run([PROMTOOL_BIN, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=240h",
                    str(source), str(data)], check=True, capture_output=True, timeout=1800)
    config = work / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = free_port()
    log = (work / "prometheus.log").open("w")
    process = subprocess.Popen(
        [PROMETHEUS_BIN, f"--config.file={config}", f"--storage.tsdb.path={data}",
         f"--web.listen-address={LOOPBACK}:{port}", "--storage.tsdb.retention.time=400d",
         "--query.lookback-delta=10m"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(LOOPBACK, port, timeout=30)
        url = f"http://{LOOPBACK}:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # ready once the backfilled blocks are loaded
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=10) as response:
                    if response.status == 200:
                        break
            except Exception:  # noqa: BLE001 - refused or 503 until ready
                pass
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def have_prometheus() -> bool:
    return bool(shutil.which(PROMETHEUS_BIN) and shutil.which(PROMTOOL_BIN))


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory) -> PrometheusServer:
    if not have_prometheus():
        pytest.skip("Debian's prometheus is not installed (.ci/system-packages.sh)")
    work = tmp_path_factory.mktemp("prometheus")
    end = float(int(time.time()) // STEP * STEP - 3 * 3600)  # clear of the head block's window
    series = fixture_series(end)
    source = work / "history.om"
    write_openmetrics(source, series)
    with serve_openmetrics(work, source) as url:
        yield PrometheusServer(None, url, end, series)

"""Debian's real Alertmanager, started per test, posting webhooks to a live server.

The alert path starts at Alertmanager's webhook (payload version 4). Hand-written JSON would
drift from what Alertmanager actually sends (grouping, groupKey, resolved notifications,
truncation), so tests start ``/usr/bin/prometheus-alertmanager`` with a generated config,
post alerts to its API, and let it deliver to the URL under test. Clustering is disabled and
the web port is free, so several can run at once. Tests skip only when the binary is absent
(install it with ``.ci/system-packages.sh``).

Usage::

    def test_ingest(alertmanager_factory, live_server):
        am = alertmanager_factory(f"{live_server.url}/hooks/alertmanager/{token}/")
        am.post_alerts([{"labels": {"alertname": "HighCPU", "service": "api"}}])
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.net import LOOPBACK, free_port

__all__ = ["ALERTMANAGER_BIN", "AlertmanagerProcess", "start_alertmanager", "alertmanager_factory"]

ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager"


def _config(webhook_url, group_wait, group_interval, repeat_interval, group_by, bearer_token):
    webhook: dict[str, Any] = {"url": webhook_url, "send_resolved": True, "max_alerts": 0}
    if bearer_token:
        webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials": bearer_token}}
    return {
        "route": {
            "receiver": "aiops",
            "group_by": list(group_by),
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
        },
        "receivers": [{"name": "aiops", "webhook_configs": [webhook]}],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    return value


class AlertmanagerProcess:
    """A running Alertmanager; ``url`` is its web/API root."""

    def __init__(self, process: subprocess.Popen, url: str, workdir: Path, log_path: Path):
        self.process = process
        self.url = url
        self.workdir = workdir
        self.log_path = log_path

    def _request(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(
                f"Alertmanager {method} {path} -> {exc.code}: {exc.read().decode()}"
            ) from exc
        return json.loads(body) if body.strip() else None

    def post_alerts(self, alerts: Sequence[dict]) -> None:
        """POST /api/v2/alerts. datetime values in startsAt/endsAt become RFC 3339."""
        payload = [{key: _jsonable(value) for key, value in alert.items()} for alert in alerts]
        self._request("POST", "/api/v2/alerts", payload)

    def alerts(self) -> list[dict]:
        """GET /api/v2/alerts: what Alertmanager currently holds."""
        return self._request("GET", "/api/v2/alerts")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_alertmanager(
    webhook_url: str,
    workdir: Path,
    *,
    group_wait: str = "1s",
    group_interval: str = "2s",
    repeat_interval: str = "4s",
    group_by: Sequence[str] = ("alertname", "service"),
    bearer_token: str | None = None,
    ready_timeout: float = 20.0,
) -> AlertmanagerProcess:
    """Start Alertmanager delivering every alert to ``webhook_url``; wait until ready."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "alertmanager.yml"  # JSON is valid YAML: no PyYAML needed
    config_path.write_text(
        json.dumps(
            _config(webhook_url, group_wait, group_interval, repeat_interval, group_by, bearer_token),
            indent=2,
        )
    )
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    log_path = workdir / "alertmanager.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                ALERTMANAGER_BIN,
                f"--config.file={config_path}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address={LOOPBACK}:{port}",
                f"--web.external-url={url}/",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    am = AlertmanagerProcess(process, url, workdir, log_path)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Alertmanager exited with {process.returncode}:\n{am.log()}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return am
        except OSError:
            pass
        time.sleep(0.1)
    am.stop()
    raise RuntimeError(f"Alertmanager not ready after {ready_timeout}s:\n{am.log()}")


@pytest.fixture
def alertmanager_factory(tmp_path: Path) -> Iterator[Callable[..., AlertmanagerProcess]]:
    """``alertmanager_factory(webhook_url, **start_alertmanager_kwargs)``; stopped at teardown."""
    if shutil.which(ALERTMANAGER_BIN) is None:
        pytest.skip(
            f"{ALERTMANAGER_BIN} missing: run .ci/system-packages.sh (Debian package prometheus-alertmanager)"
        )
    started: list[AlertmanagerProcess] = []

    def start(webhook_url: str, **kwargs) -> AlertmanagerProcess:
        workdir = kwargs.pop("workdir", tmp_path / f"alertmanager-{len(started)}")
        am = start_alertmanager(webhook_url, workdir, **kwargs)
        started.append(am)
        return am

    yield start
    for am in started:
        am.stop()

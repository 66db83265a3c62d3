"""Soak of `make run` itself: web + worker + beat on the embedded default under steady webhook
traffic for BENCH_SOAK_SECONDS (default 900), the worker SIGKILLed half-way.

Prints: webhooks and alerts sent, crashes other than the kill, restarts, alerts not in an incident,
events a subscriber never processed (target 0 and 0), and how long after the kill the backlog was
empty again. Never fails on time.
"""
import json
import os
import random
import signal
import time
from datetime import UTC, datetime, timedelta

import requests

from tests.support import chaos
from tests.support.stack import Stack

SECONDS = float(os.environ.get("BENCH_SOAK_SECONDS", "900"))
INTERVAL = float(os.environ.get("BENCH_SOAK_INTERVAL", "2"))  # seconds between webhooks of 5 alerts

CHECK = """
from apps.alerts.models import Alert
from apps.incidents.models import IncidentAlert
from tests.support.chaos import missing_receipts
unplaced = Alert.objects.exclude(pk__in=IncidentAlert.objects.values("alert_id")).count()
print(Alert.objects.count(), unplaced, sum(missing_receipts().values()))
"""


def _check(stack) -> list[str]:
    """The figures are the shell's last line: Django may print warnings before them."""
    return stack.manage(CHECK).strip().splitlines()[-1].split()


def test_make_run_soak(tmp_path):
    stack = Stack(tmp_path)
    stack.start()
    try:
        assert stack.ready().status_code == 200, stack.log()[-3000:]
        token = stack.manage("from apps.alerts.models import Integration; print(Integration.objects.first().token)"
                             ).strip().splitlines()[-1]  # the last line: Django may print warnings first
        url = f"{stack.base}/hooks/alertmanager/{token}/"
        rng = random.Random(int(time.time()))
        base = datetime.now(UTC) - timedelta(hours=1)
        started, sent, errors, killed_at = time.monotonic(), 0, 0, None
        while time.monotonic() - started < SECONDS:
            body = chaos.alertmanager_body(rng, 10_000 + sent, 5, base)
            try:
                status = requests.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"},
                                       timeout=30).status_code
                errors += status != 202
            except requests.RequestException:
                errors += 1
            sent += 1
            if killed_at is None and time.monotonic() - started > SECONDS / 2:
                worker = stack.child("worker")
                if worker:
                    os.kill(worker, signal.SIGKILL)
                    killed_at = time.monotonic()
            time.sleep(INTERVAL)
        drained_after = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            body = requests.get(f"{stack.base}/readyz", timeout=10).json()
            if not body.get("unprocessed_by_subscriber") and body.get("oldest_unprocessed_event_seconds") is None:
                _alerts, _unplaced, missing = _check(stack)
                if missing == "0":
                    drained_after = time.monotonic() - killed_at if killed_at else 0.0
                    break
            time.sleep(2)
        alerts, unplaced, missing = _check(stack)
        output = stack.log()
        crashes = output.count("!!! ") - (1 if killed_at else 0)
        restarts = output.count("started again")
        print(f"\nmake run soak ({SECONDS / 60:.0f} min, a webhook of 5 alerts every {INTERVAL:g} s, worker SIGKILLed "
              f"half-way): {sent} webhooks ({errors} not accepted), {alerts} alerts stored; crashes besides the "
              f"kill: {crashes}; restarts: {restarts}; alerts not in an incident: {unplaced}; events never "
              f"processed: {missing}; backlog empty {'never' if drained_after is None else f'{drained_after:.0f} s'}"
              f" after the kill (the storm went on meanwhile)")
        # Correctness, not speed: the web process is never killed, so every webhook is accepted,
        # and every accepted alert is stored, placed and processed.
        assert errors == 0 and int(alerts) >= 5 * sent and unplaced == "0" and missing == "0"
    finally:
        stack.stop()

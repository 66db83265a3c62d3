"""`make run` on the embedded default: SQLite, filesystem broker, web + worker + beat, demo login,
and a supervisor that restarts a worker that was killed."""
import os
import re
import signal
import time

import pytest
import requests

from tests.support.stack import Stack

pytestmark = pytest.mark.slow


def test_make_run_serves_portal_with_demo_login_and_restarts_a_killed_worker(tmp_path):
    stack = Stack(tmp_path)
    stack.start()
    base = stack.base
    try:
        ready = stack.ready()
        assert ready is not None and ready.status_code == 200, stack.log()[-3000:]
        body = ready.json()
        assert body["status"] == "ready"
        # /readyz is 200 only once the worker and beat have sent heartbeats.
        assert body["worker_seen_seconds_ago"] is not None and body["beat_seen_seconds_ago"] is not None
        assert "admin / demo-password" in stack.log()
        assert "No hostname was supplied" not in stack.log()  # the embedded broker's old warning

        session = requests.Session()
        login = session.get(f"{base}/accounts/login/", timeout=30)
        assert login.status_code == 200 and "csrfmiddlewaretoken" in login.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        dashboard = session.post(f"{base}/accounts/login/", data={
            "username": "admin", "password": "demo-password", "csrfmiddlewaretoken": token,
        }, headers={"Referer": f"{base}/accounts/login/"}, timeout=30)
        assert dashboard.status_code == 200
        assert "Acme Corp" in dashboard.text

        worker = stack.child("worker")
        assert worker is not None, stack.log()[-2000:]
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "worker started again" not in stack.log():
            time.sleep(0.5)
        output = stack.log()
        assert f"worker (pid {worker}) was killed by SIGKILL" in output and "worker started again" in output, \
            output[-3000:]
        assert stack.child("worker") not in (None, worker)
        assert stack.ready(timeout=120).status_code == 200
    finally:
        stack.stop()

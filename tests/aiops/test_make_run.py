"""`make run` on the embedded default: SQLite, filesystem broker, web + worker + beat, demo login."""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_serves_portal_with_demo_login(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"AIOPS_VAR_DIR": str(tmp_path / "var"), "AIOPS_BIND": f"127.0.0.1:{port}"})
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["make", "-s", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        ready = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = requests.get(f"{base}/readyz", timeout=10)
                if ready.status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still starting
                pass
            time.sleep(0.5)
        output = log_path.read_text(errors="replace")
        assert ready is not None and ready.status_code == 200, output[-3000:]
        assert ready.json()["status"] == "ready"
        assert "admin / demo-password" in output

        session = requests.Session()
        login = session.get(f"{base}/accounts/login/", timeout=30)
        assert login.status_code == 200 and "csrfmiddlewaretoken" in login.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        dashboard = session.post(f"{base}/accounts/login/", data={
            "username": "admin", "password": "demo-password", "csrfmiddlewaretoken": token,
        }, headers={"Referer": f"{base}/accounts/login/"}, timeout=30)
        assert dashboard.status_code == 200
        assert "Acme Corp" in dashboard.text

        # /readyz is 200 only once the worker and beat have sent heartbeats.
        assert ready.json()["worker_seen_seconds_ago"] is not None
        assert ready.json()["beat_seen_seconds_ago"] is not None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

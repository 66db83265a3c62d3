"""`make run` as a user starts it, for the slow test and the soak benchmark: a private var/ folder
and port, the supervisor's children found through /proc, webhooks sent to the demo integration."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVER_ENV = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}


class Stack:
    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV}
        self.env.update({"AIOPS_VAR_DIR": str(tmp_path / "var"), "AIOPS_BIND": f"127.0.0.1:{self.port}"})
        self.log_path = tmp_path / "run.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(["make", "-s", "run"], cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self, timeout: float = 180.0) -> requests.Response | None:
        """Wait for /readyz 200 (database, broker, a worker and beat heartbeat); the last answer."""
        deadline = time.monotonic() + timeout
        answer = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                answer = requests.get(f"{self.base}/readyz", timeout=10)
                if answer.status_code == 200:
                    return answer
            except requests.RequestException:  # not listening yet, or still starting
                pass
            time.sleep(0.5)
        return answer

    def supervisor_pid(self) -> int | None:
        """The `manage.py runstack` process under make."""
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                argv = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue
            if b"runstack" in argv and os.getsid(int(cmdline.parent.name)) == self.proc.pid:
                return int(cmdline.parent.name)
        return None

    def child(self, role: str) -> int | None:
        """pid of the supervisor's child running `role` ("worker", "beat" or gunicorn for "web")."""
        parent = self.supervisor_pid()
        marker = {"web": b"gunicorn"}.get(role, role.encode())
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if parent is not None and int(fields[1]) == parent and any(marker in a for a in argv):
                return int(stat.parent.name)
        return None

    def manage(self, code: str) -> str:
        """Run Python in the stack's own settings (its SQLite file) and return what it printed."""
        result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.strip()

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

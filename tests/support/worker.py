"""A real Celery worker process for tests of the asynchronous path.

It runs the project's own worker command against the test database and the configured broker
(Redis in CI, Kombu's filesystem transport on a fresh machine), and switches the test process
out of eager mode so `publish()` really goes through the broker. Needs `transactional_db`, since
the worker only sees committed rows.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

QUEUES = "ingest,default,notify,analysis,forecast"


def _database_url(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def _purge_broker(app) -> None:
    options = app.conf.broker_transport_options or {}
    folder = options.get("data_folder_in")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)
        return
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in QUEUES.split(","):
            with contextlib.suppress(Exception):  # a queue that was never declared has nothing to purge
                channel.queue_purge(queue)


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log_path: Path):
        self.proc = proc
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, *, kill: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def kill_worker(worker) -> None:
    """SIGKILL a worker and its pool processes (found by parent pid: only what this test started)."""
    pid = worker.proc.pid
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    worker.stop(kill=True)


def worker_env(tmp_path: Path, extra_env: dict | None = None) -> dict:
    """The environment of a worker or beat process on the test database and broker."""
    from django.conf import settings
    from django.db import connection
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "AIOPS_VAR_DIR": str(settings.VAR_DIR),
        "AIOPS_TEST_BROKER_DIR": str(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(
            "data_folder_in", tmp_path / "broker" / "queue")).parent),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        **(extra_env or {}),
    }


def start_worker(tmp_path: Path, *, concurrency: int = 2, beat: bool = False, extra_env: dict | None = None,
                 name: str | None = None) -> WorkerProcess:
    env = worker_env(tmp_path, extra_env)
    celery = str(Path(sys.executable).parent / "celery")
    args = [celery, "-A", "config", "worker", "-Q", QUEUES, "--concurrency", str(concurrency), "-l", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name or f"test-{os.getpid()}@%h"]
    if beat:
        args += ["-B", "--schedule", str(tmp_path / "beat-schedule"),
                 "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
    return _spawn(args, env, tmp_path / "worker.log", ready=" ready.", what="celery worker")


def _spawn(args: list[str], env: dict, log_path: Path, *, ready: str, what: str) -> WorkerProcess:
    """Start a Celery process logging to `log_path`; return once `ready` shows in its log."""
    from django.conf import settings
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR)
    started = WorkerProcess(proc, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{started.log()[-4000:]}")
        if ready in started.log():
            return started
        time.sleep(0.2)
    started.stop(kill=True)
    raise RuntimeError(f"{what} did not start:\n{started.log()[-4000:]}")


def start_beat(tmp_path: Path, *, extra_env: dict | None = None) -> WorkerProcess:
    """A real `celery beat` (DatabaseScheduler) on the test database, as production runs it."""
    celery = str(Path(sys.executable).parent / "celery")
    args = [celery, "-A", "config", "beat", "-l", "INFO", "--schedule", str(tmp_path / "beat-schedule"),
            "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
    return _spawn(args, worker_env(tmp_path, extra_env), tmp_path / "beat.log", ready="beat: Starting",
                  what="celery beat")


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start a real worker; the test process publishes through the broker while it runs.

    Yields a factory-like handle: `.stop()`, `.log()`; `restart()` via `start_worker` if needed.
    """
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    _purge_broker(app)
    worker = start_worker(tmp_path)
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.task_always_eager = previous

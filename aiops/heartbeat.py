"""Worker and beat liveness: each process writes a `Heartbeat` row every few seconds.

A thread in the worker's main process (started on `worker_ready`) and one in the beat process
(on `beat_init`) upsert their row; a clean shutdown deletes it. `/readyz` and the admins' banner
compare the newest `seen_at` of each kind with AIOPS_WORKER_STALE_SECONDS. A row, not a cache
key: the embedded default has no shared cache, and a row is also what an operator can look at.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.db import close_old_connections, connection
from django.db.models import Max
from django.utils import timezone

from .conf import setting
from .models import Heartbeat

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 5


def stale_seconds() -> int:
    return setting("AIOPS_WORKER_STALE_SECONDS", 60)


class _Beating(threading.Thread):
    def __init__(self, kind: str, hostname: str):
        super().__init__(name=f"aiops-heartbeat-{kind}", daemon=True)
        self.kind, self.hostname = kind, hostname[:200]
        self.started_at = timezone.now()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                beat(self.kind, self.hostname, started_at=self.started_at)
            except Exception:  # a locked SQLite file or a failover: try again next round
                logger.warning("heartbeat not written", exc_info=True, extra={"kind": self.kind})
                close_old_connections()
            self.stopped.wait(INTERVAL_SECONDS)
        try:
            Heartbeat.objects.filter(kind=self.kind, hostname=self.hostname, pid=os.getpid()).delete()
        except Exception:
            logger.warning("heartbeat row not removed at shutdown", exc_info=True)
        connection.close()


_threads: dict[str, _Beating] = {}


def beat(kind: str, hostname: str, *, started_at: datetime | None = None, now: datetime | None = None) -> None:
    """Upsert one process's heartbeat."""
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(kind=kind, hostname=hostname[:200], defaults={
        "pid": os.getpid(), "seen_at": now, "started_at": started_at or now})


def start(kind: str, hostname: str | None = None) -> None:
    """Start this process's heartbeat thread for `kind` (once per process)."""
    running = _threads.get(kind)
    if running is not None and running.is_alive():
        return
    thread = _Beating(kind, hostname or f"{kind}@{socket.gethostname()}")
    _threads[kind] = thread
    thread.start()


def stop(kind: str) -> None:
    thread = _threads.pop(kind, None)
    if thread is not None:
        thread.stopped.set()
        thread.join(timeout=5)


def last_seen(*, now: datetime | None = None) -> dict[str, float | None]:
    """Seconds since the newest heartbeat of each kind (None: never seen, or long gone)."""
    now = now or timezone.now()
    newest = dict(Heartbeat.objects.values_list("kind").annotate(newest=Max("seen_at")).order_by())
    return {kind: None if kind not in newest else round((now - newest[kind]).total_seconds(), 1)
            for kind in Heartbeat.Kind.values}


def prune(*, now: datetime | None = None) -> int:
    """Forget processes not seen for a day (restarted workers leave their old names behind)."""
    now = now or timezone.now()
    return Heartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()[0]


def connect() -> None:
    """Hook the threads to Celery's worker and beat start/stop signals."""
    from celery import signals

    def worker_ready(sender=None, **kwargs):
        start(Heartbeat.Kind.WORKER, getattr(sender, "hostname", None))

    def worker_shutdown(**kwargs):
        stop(Heartbeat.Kind.WORKER)

    def beat_init(sender=None, **kwargs):
        start(Heartbeat.Kind.BEAT)

    signals.worker_ready.connect(worker_ready, weak=False, dispatch_uid="aiops.heartbeat.worker")
    signals.worker_shutdown.connect(worker_shutdown, weak=False, dispatch_uid="aiops.heartbeat.worker_stop")
    signals.beat_init.connect(beat_init, weak=False, dispatch_uid="aiops.heartbeat.beat")
    signals.beat_embedded_init.connect(beat_init, weak=False, dispatch_uid="aiops.heartbeat.beat_embedded")

"""Run the whole product from one terminal: gunicorn (web) plus one Celery worker with beat.

This is what `make run` calls. With the default settings the worker talks to the web process
over Kombu's filesystem transport in var/, so no broker server is needed. Ctrl-C stops both.
"""
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from config.celery import QUEUES


class Command(BaseCommand):
    help = "Start web + Celery worker + beat together (local/demo use)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("AIOPS_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, bind, web_workers, **options):
        python = sys.executable
        bindir = os.path.dirname(python)
        worker = [
            os.path.join(bindir, "celery"), "-A", "config", "worker", "-B", "-Q", ",".join(QUEUES),
            "--concurrency", "2", "-l", "INFO",
            "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
            "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
        ]
        web = [
            os.path.join(bindir, "gunicorn"), "config.wsgi:application", "--bind", bind,
            "--workers", str(web_workers), "--access-logfile", "-", "--graceful-timeout", "5",
        ]
        procs = [subprocess.Popen(worker), subprocess.Popen(web)]
        self.stdout.write(self.style.SUCCESS(f"web on http://{bind}/  (worker + beat running; Ctrl-C stops)"))

        def stop(*_):
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.monotonic() + 10
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
        stop()

"""Run the whole product from one terminal: gunicorn (web), one Celery worker and beat, supervised.

This is what `make run` calls. With the default settings the worker talks to the web process
over the filesystem broker in var/ (aiops/broker.py), so no broker server is needed. A process
that dies is reported and restarted (aiops/supervisor.py); Ctrl-C stops all three.

`--quiet` (what `make run` passes) keeps the console to warnings and the supervisor's lines;
without it, one line per request and per task. With a Slack app-level token (a workspace's, or
CHATOPS_SLACK_APP_TOKEN), a fourth child runs ChatOps Socket Mode (`chatops_socket_mode`).
"""
import os
import sys

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand

from aiops.supervisor import Child, Supervisor, child_env


class Command(BaseCommand):
    help = "Start web + Celery worker + beat together (local/demo use), restarting what dies."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("AIOPS_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--quiet", action="store_true", help="Warnings and restarts only.")

    def handle(self, *args, bind, web_workers, quiet, **options):
        bindir = os.path.dirname(sys.executable)
        level = "WARNING" if quiet else "INFO"
        env = child_env(LOG_LEVEL=level, AIOPS_BIND=bind)  # links default to http://<bind> (aiops/links.py)
        celery = os.path.join(bindir, "celery")
        queues = ",".join(q.name for q in current_app.conf.task_queues)
        worker = [celery, "-A", "config", "worker", "-Q", queues, "--concurrency", "2", "-l", level,
                  "--without-mingle", "--without-gossip"]
        beat = [celery, "-A", "config", "beat", "-l", level,
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                "--schedule", str(settings.VAR_DIR / "celerybeat-schedule")]
        web = [os.path.join(bindir, "gunicorn"), "config.wsgi:application", "--bind", bind,
               "--workers", str(web_workers), "--graceful-timeout", "5", "--log-level", level.lower()]
        if not quiet:
            web += ["--access-logfile", "-"]
        children = [Child("worker", worker, env), Child("beat", beat, env), Child("web", web, env)]
        from apps.chatops.socket_mode import wanted as slack_socket_wanted

        if slack_socket_wanted():  # a workspace has an app-level token, or CHATOPS_SLACK_APP_TOKEN is set
            manage = str(settings.BASE_DIR / "manage.py")
            children.append(Child("slack-socket", [sys.executable, manage, "chatops_socket_mode"], env))
        supervisor = Supervisor(children, out=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"web on http://{bind}/  (worker and beat running, restarted if they die; Ctrl-C stops)"))
        supervisor.run()

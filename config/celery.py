"""The Celery application: queues, DatabaseScheduler, settings from Django (CELERY_*)."""
import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("aiops")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Separate queues so slow work (LLM calls, nightly forecasts) never delays ingestion or pages.
QUEUES = ("ingest", "default", "notify", "analysis", "forecast")
app.conf.task_queues = [Queue(name, routing_key=name) for name in QUEUES]
app.conf.task_default_queue = "default"
app.conf.task_default_routing_key = "default"
app.autodiscover_tasks()

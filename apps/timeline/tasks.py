"""The subscriber of every domain event: one entry per event, written by the service."""
from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(name="timeline.record_event", ignore_result=True, autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=8)
def timeline_record_event(event: dict) -> None:
    """Record one event; a database hiccup (locked SQLite, failover) retries, a redelivery is a no-op."""
    services.timeline_entry_record(event=event)

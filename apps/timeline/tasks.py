"""The subscriber of every domain event: a committed transaction's events, written by the service
in one go (a 50-alert webhook is one message and one insert, not 50 of each)."""
from celery import shared_task
from django.db import OperationalError

from aiops import events

from . import services


@shared_task(name="timeline.record_event", ignore_result=True, autoretry_for=(OperationalError,),
             retry_backoff=True, retry_backoff_max=60, max_retries=8)
def timeline_record_event(batch: list[dict] | dict) -> None:
    """Record a batch of events once each (receipts, see aiops.events.consume); a database hiccup
    (locked SQLite, failover) retries the batch, and the events it already wrote are skipped by id."""
    events.consume(timeline_record_event.name, batch, lambda fresh: services.timeline_entries_record(events=fresh))

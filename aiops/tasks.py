"""Kernel tasks: fan a batch of domain events out to their subscribers."""
from celery import shared_task

from . import events


@shared_task(name="aiops.fan_out", queue="ingest", ignore_result=True)
def fan_out(batch: list[dict]) -> None:
    """Send the events of a committed transaction to their subscribers (see events.dispatch_many)."""
    events.dispatch_many(batch)

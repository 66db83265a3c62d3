"""Kernel tasks: fan a batch of domain events out to their subscribers; re-send parked messages."""
from celery import shared_task

from . import events


@shared_task(name="aiops.fan_out", queue="ingest", ignore_result=True)
def fan_out(batch: list[dict]) -> None:
    """Send the events of a committed transaction to their subscribers (see events.dispatch_many)."""
    events.dispatch_many(batch)


@shared_task(name="aiops.send_parked", ignore_result=True)
def send_parked() -> int:
    """Beat: send event messages the broker refused earlier (see events.park)."""
    return events.send_parked()

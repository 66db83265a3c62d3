"""Kernel tasks: fan a batch of domain events out to their subscribers; sweep and prune the outbox."""
from celery import shared_task

from . import events, heartbeat, outbox


@shared_task(name="aiops.fan_out", queue="ingest", ignore_result=True)
def fan_out(batch: list[dict]) -> None:
    """Send the events of a committed transaction to their subscribers (see events.dispatch_many).

    A redelivered fan-out sends the messages again; the subscribers' receipts make that harmless."""
    events.dispatch_many(batch)


@shared_task(name="aiops.sweep_events", ignore_result=True)
def sweep_events() -> int:
    """Beat: re-send events a subscriber has not processed within the grace period (aiops.outbox)."""
    return outbox.sweep().resent


@shared_task(name="aiops.prune_events", ignore_result=True)
def prune_events() -> dict:
    """Beat (hourly): drop events and receipts past the retention, and long-gone heartbeats."""
    return {**outbox.prune(), "heartbeats": heartbeat.prune()}

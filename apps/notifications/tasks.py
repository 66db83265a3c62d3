"""Celery tasks of the notifications app: each takes ids or a batch of events and calls one service.

Everything runs on the `notify` queue so a slow LLM or a nightly forecast never delays a page.
Database hiccups (a locked SQLite file, a PostgreSQL failover) are retried with backoff; the
services are idempotent, so a retried or redelivered task never sends twice.
"""

from celery import shared_task
from django.db import IntegrityError, InterfaceError, OperationalError

from aiops import events

from . import services

DB_ERRORS = (OperationalError, InterfaceError)
# Sending tasks: acknowledged once done (a killed worker's message is redelivered), database
# hiccups retried with backoff; the send itself reschedules on a provider's failure.
SENDING = dict(acks_late=True, autoretry_for=DB_ERRORS, retry_backoff=1, retry_backoff_max=60, max_retries=30)


@shared_task(
    name="notifications.handle_event",
    acks_late=True,
    # A uniqueness race with a concurrent event rolls the whole decision back; the retry sees the
    # other transaction's rows and decides again.
    autoretry_for=(*DB_ERRORS, IntegrityError),
    retry_backoff=1,
    retry_backoff_max=60,
    max_retries=30,
)
def handle_event(batch: list[dict] | dict) -> int:
    """Decide what a commit's events mean for every rule, in one transaction with the outbox rows.

    A batch subscriber (see aiops.events): one message per commit of the producer. A lone event
    dict (a message queued before batching) is decided the same way. The first attempts are made
    from here as soon as the decision commits: no second task, no second trip through the broker.
    """
    return services.events_process(events=events.as_batch(batch), send_here=True)


@shared_task(name="notifications.oncall_announce", acks_late=True, autoretry_for=DB_ERRORS, retry_backoff=1,
             max_retries=30)
def oncall_announce(batch: list[dict] | dict) -> int:
    """`oncall.shift_changed` / `oncall.coverage_gap` → a message to the schedule's team channels."""
    from .services.oncall import oncall_announce as announce

    return events.consume(oncall_announce.name, batch, lambda fresh: announce(events=fresh)) or 0


@shared_task(name="notifications.deliver", **SENDING)
def deliver(delivery_id: int) -> str:
    """One attempt at one delivery (a retry, a deferred edit); the service reschedules itself on failure."""
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(name="notifications.deliver_many", **SENDING)
def deliver_many(delivery_ids: list[int]) -> int:
    """First attempts of a batch's deliveries (or of an outbox re-scan), sent concurrently."""
    return len(services.deliveries_send(delivery_ids=delivery_ids))


@shared_task(name="notifications.fire_timers", autoretry_for=DB_ERRORS, max_retries=3)
def fire_timers() -> int:
    """Beat: escalation steps, grouping waits and digests that are due."""
    return services.timers_fire_due()


@shared_task(name="notifications.rescan_outbox", autoretry_for=DB_ERRORS, max_retries=3)
def rescan_outbox() -> int:
    """Beat: pending deliveries whose send was lost (worker killed, broker restart) are sent."""
    return services.outbox_rescan()


@shared_task(name="notifications.prune")
def prune() -> int:
    """Beat (daily): drop fired timers past the retention."""
    return services.housekeeping_prune()

"""The outbox's sweeper: re-send events a subscriber has not receipted, close the finished ones.

An event is *open* while its `next_sweep_at` is set. Each sweep claims due open events with SKIP
LOCKED (two beat ticks never take one twice), looks up their receipts, closes the events every
current subscriber has receipted, and re-sends the others to the subscribers that lack a receipt,
backing off exponentially (grace, 2 x grace, ... at most MAX_BACKOFF). While a subscriber's queue
(or the fan-out queue) still holds messages, its events are most likely waiting in it, not lost:
the sweep postpones them by one grace period instead of queueing a second copy behind the first,
so a slow worker is not buried under re-sends (for at most POSTPONE_GRACES grace periods after the
event; then it re-sends anyway: the queue may be busy with newer messages while this one was lost).
A message the broker refuses is not a try (an outage must not exhaust the sweeps). An event that still fails
after AIOPS_EVENT_MAX_SWEEPS is given up, logged loudly and shown in the backlog, so one poison
event cannot keep the queue busy for ever; re-opening it is one admin action.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from kombu.exceptions import ChannelError

from . import events
from .conf import setting
from .models import Event, EventReceipt

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 900
POSTPONE_GRACES = 4


def max_sweeps() -> int:
    return setting("AIOPS_EVENT_MAX_SWEEPS", 12)


def retention_days() -> int:
    return setting("AIOPS_EVENT_RETENTION_DAYS", 7)


@dataclass
class SweepResult:
    closed: int = 0
    resent: int = 0  # events re-sent (to at least one subscriber)
    given_up: int = 0
    postponed: int = 0  # not re-sent: their subscriber's queue was not empty
    messages: int = 0
    by_subscriber: dict[str, int] = field(default_factory=dict)


def sweep(*, now: datetime | None = None, limit: int = 2000) -> SweepResult:
    """One sweep over the due open events (oldest first); see the module docstring."""
    now = now or timezone.now()
    result = SweepResult()
    to_send: dict[str, tuple[events.Subscription, list[dict]]] = {}
    busy = _busy_queues()
    cap = timedelta(seconds=events.grace_seconds() * POSTPONE_GRACES)
    with transaction.atomic():
        due = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(next_sweep_at__lte=now)
            .order_by("next_sweep_at")[:limit]
        )
        if not due:
            return result
        receipts: dict = defaultdict(set)
        for event_id, subscriber in EventReceipt.objects.filter(event_id__in=[e.id for e in due]).values_list(
                "event_id", "subscriber"):
            receipts[event_id].add(subscriber)
        for row in due:
            missing = [s for s in events.subscribers(row.name) if s.task.name not in receipts[row.id]]
            if not missing:
                row.next_sweep_at, row.completed_at = None, now
                result.closed += 1
                continue
            if now - row.created_at < cap:
                missing = [s for s in missing if _queue_of(s) not in busy and FAN_OUT_QUEUE not in busy]
                if not missing:  # still queued, most likely: look again after a grace period
                    row.next_sweep_at = now + timedelta(seconds=events.grace_seconds())
                    result.postponed += 1
                    continue
            if row.sweeps >= max_sweeps():
                row.next_sweep_at, row.given_up_at = None, now
                result.given_up += 1
                logger.error("event given up: subscribers never processed it", extra={
                    "event": str(row.id), "event_name": row.name,
                    "subscribers": [s.task.name for s in missing], "sweeps": row.sweeps})
                continue
            row.sweeps += 1
            delay = min(MAX_BACKOFF_SECONDS, events.grace_seconds() * 2 ** row.sweeps)
            row.next_sweep_at = now + timedelta(seconds=delay)
            result.resent += 1
            for sub in missing:
                to_send.setdefault(sub.task.name, (sub, []))[1].append(row.payload)
        Event.objects.bulk_update(due, ["next_sweep_at", "completed_at", "given_up_at", "sweeps"], batch_size=500)
    # Sent after the commit: a broker call never holds the rows' locks, and if this process dies
    # here the events are still open and the next sweep (after the backoff) sends them.
    refused: set[str] = set()
    for name, (sub, payloads) in to_send.items():
        result.by_subscriber[name] = len(payloads)
        messages = payloads if not sub.batch else [
            payloads[i : i + events.BATCH_LIMIT] for i in range(0, len(payloads), events.BATCH_LIMIT)]
        for message in messages:
            if events.send(sub, message):
                result.messages += 1
            elif not sub.task.app.conf.task_always_eager:  # eager: the task ran and failed, a real try
                refused.update(p["id"] for p in (message if isinstance(message, list) else [message]))
    _undo_refused(refused, now)
    if result.resent or result.given_up:
        logger.warning("outbox sweep re-sent unprocessed events", extra={
            "resent": result.resent, "given_up": result.given_up, "subscribers": result.by_subscriber})
    return result


def _undo_refused(event_ids: set[str], now: datetime) -> None:
    """A message the broker refused was not a delivery attempt: the event keeps its sweep count
    and is tried again after one grace period, not after the backoff. Otherwise a broker outage
    would push every open event's next try towards MAX_BACKOFF and, after max_sweeps, give it
    up: an outage of an hour or two would lose the work the outbox exists to keep."""
    if not event_ids:
        return
    Event.objects.filter(id__in=event_ids, sweeps__gt=0, next_sweep_at__isnull=False).update(
        sweeps=F("sweeps") - 1, next_sweep_at=now + timedelta(seconds=events.grace_seconds()))


FAN_OUT_QUEUE = "ingest"


def _queue_of(sub: events.Subscription) -> str:
    return sub.queue or sub.task.app.conf.task_default_queue


def _busy_queues() -> set[str]:
    """The subscriber queues that hold messages now (one passive declare each). Unknown (no
    broker, eager mode, an error) counts as empty: re-sending is the safe side."""
    from celery import current_app as app  # the project's app, without importing its wiring

    if app.conf.task_always_eager:
        return set()
    names = {FAN_OUT_QUEUE} | {_queue_of(s) for name in events.CATALOGUE for s in events.subscribers(name)}
    busy = set()
    try:
        with app.connection_for_write() as conn:
            for name in sorted(names):
                with conn.channel() as channel:  # a failed passive declare closes an AMQP channel
                    try:
                        if channel.queue_declare(queue=name, passive=True).message_count:
                            busy.add(name)
                    except ChannelError:
                        pass  # no such queue (Redis drops empty ones): nothing waits in it
    except Exception as exc:  # the broker is down: the sends below fail and are retried later
        logger.warning("outbox sweep could not read queue depths", extra={"error": type(exc).__name__})
        return set()
    return busy


def reopen(*, event_ids) -> int:
    """Give given-up events another round of sweeps, due now (after the cause was fixed)."""
    return Event.objects.filter(pk__in=list(event_ids), given_up_at__isnull=False).update(
        given_up_at=None, sweeps=0, next_sweep_at=timezone.now())


def prune(*, now: datetime | None = None) -> dict[str, int]:
    """Drop events and receipts older than the retention (open ones too: they are logged)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    stale_open = Event.objects.filter(created_at__lt=cutoff, completed_at__isnull=True).count()
    if stale_open:
        logger.error("pruning events that were never fully processed", extra={"events": stale_open})
    deleted_events, _ = Event.objects.filter(created_at__lt=cutoff).delete()
    deleted_receipts, _ = EventReceipt.objects.filter(processed_at__lt=cutoff).delete()
    return {"events": deleted_events, "receipts": deleted_receipts}


@dataclass
class Backlog:
    open_events: int
    oldest_unprocessed_seconds: float | None
    given_up: int
    by_subscriber: dict[str, int]


def _by_subscriber() -> dict[str, list[str]]:
    """Each subscriber task and the event names it receives."""
    by_task: dict[str, list[str]] = defaultdict(list)
    for name in events.CATALOGUE:
        for sub in events.subscribers(name):
            by_task[sub.task.name].append(name)
    return dict(sorted(by_task.items()))


def backlog(*, now: datetime | None = None) -> Backlog:
    """What is waiting: the age of the oldest event some subscriber has not processed within the
    grace period, counts per subscriber, and how many were given up. Two queries whatever the
    number of subscribers (a readiness probe runs it every few seconds): one pass over the open
    events (the sweep's partial index) with a filtered count and minimum per subscriber."""
    now = now or timezone.now()
    grace_ago = now - timedelta(seconds=events.grace_seconds())
    aggregates = {"open": Count("pk")}
    subscribers = list(_by_subscriber().items())
    for i, (task_name, names) in enumerate(subscribers):
        pending = Q(name__in=names, created_at__lte=grace_ago) & ~Q(Exists(
            EventReceipt.objects.filter(event_id=OuterRef("pk"), subscriber=task_name)))
        aggregates[f"n{i}"] = Count("pk", filter=pending)
        aggregates[f"f{i}"] = Min("created_at", filter=pending)
    found = Event.objects.filter(next_sweep_at__isnull=False).aggregate(**aggregates)
    firsts = [found[f"f{i}"] for i in range(len(subscribers)) if found[f"f{i}"] is not None]
    oldest = min(firsts) if firsts else None
    return Backlog(
        open_events=found["open"],
        oldest_unprocessed_seconds=None if oldest is None else round((now - oldest).total_seconds(), 1),
        given_up=Event.objects.filter(given_up_at__isnull=False).count(),
        by_subscriber={task_name: found[f"n{i}"] for i, (task_name, _names) in enumerate(subscribers)
                       if found[f"n{i}"]},
    )

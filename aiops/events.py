"""The domain-event bus: `publish()` queues an event after commit; subscribers are Celery tasks.

Events carry ids and a compact summary so that consumers (notifications, timeline, sla, ...)
act without importing the producer's models. The catalogue below is closed: publishing an
unknown name is a programming error, caught in tests.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

CATALOGUE: dict[str, str] = {
    "alert.received": "An alert fired (new firing episode) or was re-sent with new content.",
    "alert.acknowledged": "Someone acknowledged an alert.",
    "alert.unacknowledged": "An acknowledgment was withdrawn.",
    "alert.resolved": "An alert resolved (Alertmanager, or by hand).",
    "alert.silenced": "An alert was silenced until a time.",
    "alert.assigned": "An alert was assigned to a user.",
    "incident.created": "The correlation engine or a person opened an incident.",
    "incident.alert_added": "An alert joined an incident.",
    "incident.alert_removed": "An alert was taken out of an incident.",
    "incident.status_changed": "An incident moved through its lifecycle.",
    "incident.commented": "Someone commented on an incident.",
    "incident.assigned": "An incident's assignee or commander changed.",
    "incident.root_cause_changed": "The root-cause service of an incident changed.",
    "analysis.completed": "An AI analysis finished (or failed) for an alert or incident.",
    "change.recorded": "A deployment or config change arrived.",
    "change.correlated": "A change was linked to an alert.",
    "runbook.approval_needed": "A semi-automatic runbook waits for approval.",
    "runbook.execution_started": "A runbook execution started.",
    "runbook.execution_finished": "A runbook execution ended (succeeded, failed, rolled back).",
    "notification.delivered": "A notification attempt ended.",
    "escalation.fired": "An escalation level fired.",
    "sla.breached": "An SLA deadline passed.",
    "prediction.breach_forecast": "A forecast crosses a threshold.",
    "anomaly.detected": "A metric behaves unlike its history.",
    "feedback.recorded": "Someone rated an analysis or a remediation.",
}


# A batch subscriber gets at most this many events per message; a bigger commit is split.
BATCH_LIMIT = 500


@dataclass(frozen=True)
class Subscription:
    event: str
    task: object  # a Celery task taking one argument: the event dict, or a list of them if batch
    queue: str | None
    batch: bool = False


_subscribers: dict[str, list[Subscription]] = defaultdict(list)


def subscribe(event: str, task, *, queue: str | None = None, batch: bool = False) -> None:
    """Register a Celery task for an event (call from an AppConfig.ready()).

    A `batch` task takes a list of events: all the events of one committed transaction that it
    subscribes to, in publishing order (a single event arrives as a list of one). A storm's
    webhook of 50 alerts is then one message and one transaction for the subscriber instead of
    50; subscribers that do real work per alert (correlation, timeline, notifications) use it.
    """
    if event not in CATALOGUE:
        raise ValueError(f"unknown event {event!r}; add it to aiops.events.CATALOGUE")
    if any(s.task is task for s in _subscribers[event]):
        return
    if any(s.task is task and s.batch != batch for subs in _subscribers.values() for s in subs):
        raise ValueError(f"{task.name} is subscribed both per event and in batches")
    _subscribers[event].append(Subscription(event, task, queue, batch))


def as_batch(payload) -> list[dict]:
    """A batch subscriber's argument as a list: messages queued before it became a batch
    subscriber (or sent by hand) carry a single event dict."""
    return [payload] if isinstance(payload, dict) else list(payload)


def subscribers(event: str) -> list[Subscription]:
    return list(_subscribers.get(event, ()))


def build_event(name: str, /, *, org, subject=None, actor=None, **data) -> dict:
    if name not in CATALOGUE:
        raise ValueError(f"unknown event {name!r}; add it to aiops.events.CATALOGUE")
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "organization_id": getattr(org, "pk", org),
        "subject": _subject_ref(subject),
        "actor_id": getattr(actor, "pk", actor),
        "occurred_at": timezone.now().isoformat(),
        "data": data,
    }


class _Batch:
    """Events published inside one (savepoint of a) transaction, sent as one broker message.

    A 50-alert webhook publishes 50 events; sending one fan-out task instead of 50 x subscribers
    messages keeps the request fast. The batch is bound to the savepoint it was opened in, so a
    rolled-back savepoint drops its events along with its on-commit callback.
    """

    def __init__(self):
        self.events: list[dict] = []
        self.flushed = False

    def flush(self) -> None:
        # Tests run on-commit callbacks without committing, leaving them listed: mark the batch
        # spent so the next publish opens a new one instead of joining a batch already sent.
        self.flushed = True
        events, self.events = self.events, []
        if not events:
            return
        if len(events) == 1:
            dispatch(events[0])
            return
        from .tasks import fan_out

        try:
            fan_out.apply_async(args=[events], queue="ingest")
        except Exception as exc:
            park(fan_out.name, "ingest", events, exc)


_local = threading.local()


def _current_batch() -> _Batch:
    connection = transaction.get_connection()
    key = (id(connection), tuple(connection.savepoint_ids), connection.in_atomic_block)
    batch = getattr(_local, "batches", {}).get(key)
    pending = batch is not None and not batch.flushed and any(
        func == batch.flush for _, func, _ in connection.run_on_commit)
    if not pending:
        batch = _Batch()
        _local.batches = {key: batch}  # older batches were flushed or rolled back
        if connection.in_atomic_block:
            transaction.on_commit(batch.flush)
    return batch


def publish(name: str, /, *, org, subject=None, actor=None, **data) -> dict:
    """Queue an event for every subscriber once the current transaction commits.

    Nothing is sent if the transaction rolls back, so consumers never see uncommitted rows.
    Outside a transaction the event is sent at once.
    """
    event = build_event(name, org=org, subject=subject, actor=actor, **data)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        dispatch(event)
        return event
    _current_batch().events.append(event)
    return event


def dispatch(event: dict) -> None:
    dispatch_many([event])


def dispatch_many(batch: list[dict]) -> None:
    """Send a committed batch: one message per event to per-event subscribers, one message per
    batch subscriber holding all of its events (split at BATCH_LIMIT)."""
    grouped: dict[int, tuple[Subscription, list[dict]]] = {}
    for event in batch:
        for sub in subscribers(event["name"]):
            if sub.batch:
                grouped.setdefault(id(sub.task), (sub, []))[1].append(event)
            else:
                _send(sub, event, event["name"])
    for sub, its_events in grouped.values():
        for start in range(0, len(its_events), BATCH_LIMIT):
            _send(sub, its_events[start : start + BATCH_LIMIT], sub.event)


def _send(sub: Subscription, payload, name: str) -> None:
    options = {"queue": sub.queue} if sub.queue else {}
    try:
        sub.task.apply_async(args=[payload], **options)
    except Exception as exc:
        # One broken subscriber must not stop the others; the message waits for the broker.
        park(sub.task.name, sub.queue or "", payload, exc)


PARK_RETRY_MAX_SECONDS = 300


def park(task_name: str, queue: str, payload, error: Exception) -> None:
    """Keep a message the broker refused (see ParkedMessage); `send_parked` sends it later."""
    from .models import ParkedMessage

    count = len(payload) if isinstance(payload, list) else 1
    logger.warning(
        "broker refused an event message; parked for re-sending",
        extra={"task": task_name, "events": count, "error": type(error).__name__},
    )
    try:
        ParkedMessage.objects.create(
            task=task_name,
            queue=queue,
            payload=payload,
            events=count,
            last_error=f"{type(error).__name__}: {error}"[:500],
            next_attempt_at=timezone.now(),
        )
    except Exception:
        logger.exception("parking an event message failed too: events lost", extra={"task": task_name})


def send_parked(*, limit: int = 200) -> int:
    """Re-send parked messages that are due, oldest first; returns how many went out.

    Rows are claimed with SKIP LOCKED, so two beat ticks never send one twice. When the broker
    still refuses, the rest of the round is put back with exponential backoff (at most 5 min).
    """
    from celery import current_app

    from .models import ParkedMessage

    now = timezone.now()
    sent: list[int] = []
    with transaction.atomic():
        due = list(ParkedMessage.objects.select_for_update(skip_locked=True).filter(next_attempt_at__lte=now)[:limit])
        for position, row in enumerate(due):
            try:
                task = current_app.tasks[row.task]
                task.apply_async(args=[row.payload], **({"queue": row.queue} if row.queue else {}))
            except Exception as exc:
                for later in due[position:]:
                    later.attempts += 1
                    later.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    delay = min(PARK_RETRY_MAX_SECONDS, 2**later.attempts)
                    later.next_attempt_at = now + timedelta(seconds=delay)
                    later.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                break
            sent.append(row.pk)
        ParkedMessage.objects.filter(pk__in=sent).delete()
    if sent:
        logger.info("parked event messages sent", extra={"messages": len(sent)})
    return len(sent)


def _subject_ref(subject) -> dict | None:
    if subject is None:
        return None
    meta = subject._meta
    return {"type": meta.label_lower, "id": subject.pk}

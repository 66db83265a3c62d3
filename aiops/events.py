"""The domain-event bus: a transactional event log with Celery messages as wake-up calls.

`publish()` writes the event to the outbox table (`Event`) in the caller's transaction and sends
it to the subscribers after commit. A subscriber does its work and records its receipt in one
transaction (`consume()` / `claim()`), so a redelivered message changes nothing; the sweeper
(`aiops.outbox`) re-sends what a subscriber has not receipted after a grace period, so a lost
message, a killed worker or a broker outage delays work but never loses it.

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

from django.db import DatabaseError, InterfaceError, transaction
from django.utils import timezone

from .conf import setting

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
    "gitsync.sync_succeeded": "A runbook repository sync applied a commit (runbooks created, updated or deactivated).",
    "gitsync.sync_failed": "A runbook repository sync failed or was rejected (all or nothing).",
    "gitsync.runbook_created": "A runbook was created from a file in a Git repository.",
    "gitsync.runbook_updated": "A Git-managed runbook got a new version from a commit (or was renamed).",
    "gitsync.runbook_deactivated": "A Git-managed runbook's file was removed: the runbook is disabled, history kept.",
    "notification.delivered": "A notification attempt ended.",
    "escalation.fired": "An escalation level fired.",
    "sla.breached": "An SLA deadline passed.",
    "sla.warning": "An SLA clock used its warning threshold (default 80 %) of the target.",
    "sla.paused": "Someone paused an item's SLA clocks (maintenance, waiting on a third party).",
    "sla.resumed": "Someone resumed an item's paused SLA clocks.",
    "sla.report_ready": "A compliance report was generated for a period (e-mailed by notifications).",
    "prediction.breach_forecast": "A forecast crosses a threshold.",
    "anomaly.detected": "A metric behaves unlike its history.",
    "capacity.breach_forecast": "A resource is predicted to reach its warning or critical level within the forecast days.",
    "capacity.report_ready": "A capacity report was generated (e-mailed by notifications).",
    "feedback.recorded": "Someone rated an analysis or a remediation.",
    "oncall.shift_changed": "The person on call for a schedule changed (a handoff or an override).",
    "oncall.coverage_gap": "A schedule has nobody on call at some point in the next days.",
    "oncall.shift_starting": "A person's on-call shift starts soon (told once, ONCALL_SHIFT_NOTICE_MINUTES before).",
}


# Errors that roll a subscriber's whole batch back for a retry (a locked SQLite file, a failover,
# a uniqueness race with a concurrent transaction): not the events' fault.
DB_ERRORS = (DatabaseError, InterfaceError)

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
    rolled-back savepoint drops its events along with its on-commit callback (and the savepoint's
    outbox rows with it).
    """

    def __init__(self):
        self.events: list[dict] = []
        self.recorded = 0  # how many of `events` are in the outbox table already
        self.flushed = False

    def record(self, connection) -> None:
        """Write the batch's events not yet in the outbox, in the current transaction."""
        if self.recorded < len(self.events):
            _insert_outbox_rows(connection, self.events[self.recorded:])
            self.recorded = len(self.events)

    def flush(self) -> None:
        # Tests run on-commit callbacks without committing, leaving them listed: mark the batch
        # spent so the next publish opens a new one instead of joining a batch already sent.
        self.flushed = True
        if self.recorded < len(self.events):
            # Only when no COMMIT ran our pre-commit hook: a test's wrapping transaction, or a
            # database backend other than aiops.db's. Late, but the events are not lost.
            self.record(transaction.get_connection())
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
            _refused(fan_out.name, len(events), exc)


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


def grace_seconds() -> int:
    """How long a subscriber has to receipt an event before the sweeper sends it again."""
    return setting("AIOPS_EVENT_GRACE_SECONDS", 30)


def publish(name: str, /, *, org, subject=None, actor=None, **data) -> dict:
    """Record an event in the caller's transaction; its subscribers get it once that commits.

    Nothing is sent, and no outbox row survives, if the transaction rolls back, so consumers never
    see uncommitted rows. Outside a transaction the event is recorded and sent at once.
    """
    event = build_event(name, org=org, subject=subject, actor=actor, **data)
    publish_events([event])
    return event


def publish_events(built: list[dict]) -> None:
    """Publish events made with `build_event` (a webhook's whole batch, say) in one go.

    Inside a transaction the outbox rows are written by one statement just before it commits
    (`before_commit`, called by the aiops.db backends), however many events it published.
    """
    if not built:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _insert_outbox_rows(connection, built)
        dispatch_many(built)
        return
    _current_batch().events.extend(built)


def before_commit(connection) -> None:
    """Pre-commit hook: write the outbox rows of the batches that will be sent after this commit.

    A batch whose savepoint was rolled back has lost its on-commit callback, so its events are
    neither written nor sent.
    """
    for _sids, func, _robust in connection.run_on_commit:
        batch = getattr(func, "__self__", None)
        if isinstance(batch, _Batch) and not batch.flushed:
            batch.record(connection)


_OUTBOX_COLUMNS = ("id", "name", "organization_id", "payload", "created_at", "next_sweep_at", "sweeps",
                   "completed_at", "given_up_at")


def _insert_outbox_rows(connection, built: list[dict]) -> None:
    """One multi-row INSERT (executemany: pipelined on psycopg 3) of the events' outbox rows.

    Plain SQL, because the ORM's bulk_create would open an atomic block of its own, and this runs
    inside Django's commit. Values are prepared by the model's fields, so each backend gets its
    own UUID, JSON and datetime encoding.
    """
    from .models import Event

    now = timezone.now()
    due = now + timedelta(seconds=grace_seconds())
    fields = [Event._meta.get_field(name) for name in _OUTBOX_COLUMNS]
    rows = []
    for event in built:
        watched = bool(_subscribers.get(event["name"]))
        values = {"id": uuid.UUID(str(event["id"])), "name": event["name"],
                  "organization_id": event["organization_id"], "payload": event, "created_at": now,
                  "next_sweep_at": due if watched else None, "sweeps": 0,
                  "completed_at": None if watched else now, "given_up_at": None}
        rows.append([field.get_db_prep_save(values[field.name], connection) for field in fields])
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(Event._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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
                send(sub, event)
    for sub, its_events in grouped.values():
        for start in range(0, len(its_events), BATCH_LIMIT):
            send(sub, its_events[start : start + BATCH_LIMIT])


def send(sub: Subscription, payload) -> bool:
    """One message to one subscriber; False if the broker refused it (the sweeper sends it later)."""
    options = {"queue": sub.queue} if sub.queue else {}
    try:
        sub.task.apply_async(args=[payload], **options)
    except Exception as exc:
        # One broken subscriber must not stop the others; the outbox row waits for the sweeper.
        if sub.task.app.conf.task_always_eager:  # not the broker: the task itself ran and failed
            logger.exception("subscriber task failed", extra={"task": sub.task.name})
        else:
            _refused(sub.task.name, len(payload) if isinstance(payload, list) else 1, exc)
        return False
    return True


def _refused(task_name: str, count: int, error: Exception) -> None:
    logger.warning(
        "broker refused an event message; the sweeper re-sends it after the grace period",
        extra={"task": task_name, "events": count, "error": type(error).__name__},
    )


def claim(subscriber: str, batch: list[dict]) -> list[dict]:
    """Record `subscriber`'s receipts for these events; return the ones it has not processed yet.

    Call it inside the transaction that does the subscriber's work, first: the receipts commit
    or roll back with the work. One INSERT ... ON CONFLICT DO NOTHING RETURNING, so a redelivered
    event comes back as already processed, and a second copy running at the same moment waits
    for the first copy's commit on the unique key and then gets nothing (exactly-once effects).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("events.claim() must run inside the subscriber's transaction")
    unique: dict[str, dict] = {}
    anonymous: list[dict] = []
    for event in batch:
        try:
            unique.setdefault(str(uuid.UUID(str(event["id"]))), event)
        except (KeyError, TypeError, ValueError):
            # A message written by hand (an operator's replay): no id to receipt, so it is
            # processed as it is, relying on the subscriber's own idempotency.
            anonymous.append(event)
    if not unique:
        return anonymous
    from .models import EventReceipt

    table = connection.ops.quote_name(EventReceipt._meta.db_table)
    event_field = EventReceipt._meta.get_field("event_id")  # the backend's own UUID encoding
    now = timezone.now()
    inserted: set[str] = set()
    items = list(unique)
    for start in range(0, len(items), BATCH_LIMIT):
        chunk = items[start : start + BATCH_LIMIT]
        values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params = [p for event_id in chunk
                  for p in (event_field.get_db_prep_value(uuid.UUID(event_id), connection), subscriber, now)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (event_id, subscriber, processed_at) VALUES {values} "
                "ON CONFLICT (event_id, subscriber) DO NOTHING RETURNING event_id",
                params,
            )
            inserted.update(str(uuid.UUID(str(row[0]))) for row in cursor.fetchall())
    return [event for event_id, event in unique.items() if event_id in inserted] + anonymous


def consume(subscriber: str, payload, handler):
    """A subscriber task's body: claim the message's events and hand the new ones to `handler`,
    in one transaction (nothing is called when all were processed before).

    Database errors propagate, rolling back work and receipts, for the task's retry or the sweeper.
    Any other error in a batch (a bug one event triggers) must not cost the other events: the
    batch is then processed again one event at a time, each in its own transaction, and the first
    error is raised after, so only the poison event stays unreceipted for the sweeper.
    Returns the handler's result (summed over events when it had to go one at a time).
    """
    batch = as_batch(payload)
    try:
        return _consume(subscriber, batch, handler)
    except DB_ERRORS:
        raise
    except Exception:
        if len(batch) <= 1:
            raise
        logger.exception("subscriber failed on a batch; processing its events one at a time",
                         extra={"subscriber": subscriber, "events": len(batch)})
    total, failure = 0, None
    for event in batch:
        try:
            result = _consume(subscriber, [event], handler)
        except DB_ERRORS:
            raise
        except Exception as exc:
            logger.exception("subscriber failed on an event",
                             extra={"subscriber": subscriber, "event": event.get("id")})
            failure = failure or exc
            continue
        total += result if isinstance(result, int) else 0
    if failure is not None:
        raise failure
    return total


def _consume(subscriber: str, batch: list[dict], handler):
    with transaction.atomic():
        fresh = claim(subscriber, batch)
        return handler(fresh) if fresh else None


def _subject_ref(subject) -> dict | None:
    if subject is None:
        return None
    meta = subject._meta
    return {"type": meta.label_lower, "id": subject.pk}

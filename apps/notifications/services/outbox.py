"""Writing deliveries: the outbox half of the decision, always inside the deciding transaction.

`queue_delivery` writes the row and schedules its send for after commit; if that enqueue is lost
(broker down, worker killed), the outbox re-scan finds the pending row and sends it anyway.

A batch of decisions (one commit's events, see `events.events_process`) passes an `OutboxWrites`:
the conversations and deliveries of alerts announced for the first time are then inserted in
bulk at the end of the batch instead of one row at a time, and the batch's pending deliveries are
sent together after commit (by the deciding worker itself, or by one `deliver_many` task)
instead of by one task each. Nothing reads those rows before the batch inserts them (the decision
code flushes before every read that could), so the batch decides what one event at a time would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .. import conf
from ..choices import DeliveryKind, DeliveryStatus
from ..models import NotificationChannel, NotificationDelivery, NotificationSubject, NotificationThread
from ..providers import get_provider

logger = logging.getLogger(__name__)


@dataclass
class EventRef:
    """The part of a domain event a delivery remembers."""

    id: str
    name: str
    occurred_at: str | None = None
    actor_id: int | None = None
    data: dict = field(default_factory=dict)

    @classmethod
    def of(cls, event: dict) -> EventRef:
        return cls(
            id=str(event.get("id", "")),
            name=event["name"],
            occurred_at=event.get("occurred_at"),
            actor_id=event.get("actor_id"),
            data=event.get("data") or {},
        )

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "occurred_at": self.occurred_at, "actor_id": self.actor_id}


# Deliveries per `deliver_many` message, and at most sent by the worker that decided them: a
# storm webhook's worth, sent concurrently by one process; more are shared with the other workers.
SEND_BATCH = 50


def enqueue_sends(delivery_ids: list[int]) -> None:
    """Hand first attempts to `notify` workers, many per message (the re-scan covers a lost enqueue)."""
    from ..tasks import deliver_many

    for start in range(0, len(delivery_ids), SEND_BATCH):
        chunk = delivery_ids[start : start + SEND_BATCH]
        try:
            deliver_many.apply_async(args=[chunk], queue="notify")
        except Exception:  # broker unreachable: the rows stay pending and the re-scan sends them
            logger.warning("could not enqueue deliveries", extra={"deliveries": len(chunk)})


class OutboxWrites:
    """The rows a batch of decisions writes, held for one bulk insert while `buffering` is on.

    Only rows nobody else can look up yet are held: the first conversation (or grouping wait) of
    a subject created by the event being decided, and deliveries without a `dedup_key` in such a
    conversation (or in none). Deliveries in existing conversations (an edit of an incident's message) are written
    at once, so the next decision's checks (one pending edit per conversation) see them.

    Pending deliveries of the batch (held or not) are sent after commit, together: by one
    `deliver_many` task, or, with `send_here` (a worker deciding a batch), by this process right
    away (up to SEND_BATCH; the rest go to `deliver_many` tasks). Held deliveries are then
    inserted already leased to this process with their first attempt counted, and sent from the
    objects in memory; should the process die before sending, the lease runs out and the outbox
    re-scan sends them.
    """

    def __init__(self, *, send_here: bool = False):
        self.buffering = False
        self.send_here = send_here
        self.threads: list[NotificationThread] = []
        self.deliveries: list[NotificationDelivery] = []
        self.to_send: list[int] = []
        self.leased: list[NotificationDelivery] = []
        self.timers: list = []  # grouping waits of subjects created in this batch
        self._send_registered = False

    def held_subjects(self, *, rule, pattern_key: str) -> int:
        """Subjects a rule announced for a pattern among the held rows (for its rate limit)."""
        return len({
            d.subject_id for d in self.deliveries
            if d.rule_id == rule.pk and d.pattern_key == pattern_key[:300] and d.kind == DeliveryKind.NEW
            and d.status not in (DeliveryStatus.RATE_LIMITED, DeliveryStatus.SUPPRESSED)
        })

    def flush(self) -> None:
        """Insert what is held (conversations first: deliveries point at them)."""
        if self.threads:
            NotificationThread.objects.bulk_create(self.threads)
            self.threads = []
        if self.deliveries:
            pending = [d for d in self.deliveries if d.status == DeliveryStatus.PENDING]
            mine = pending[: max(0, SEND_BATCH - len(self.leased))] if self.send_here else []
            lease_until = timezone.now() + timedelta(seconds=conf.lease_seconds())
            for delivery in mine:
                delivery.lease_until, delivery.attempts = lease_until, 1
            NotificationDelivery.objects.bulk_create(self.deliveries)
            self.deliveries = []
            self.leased += mine
            self.send_after_commit([d.pk for d in pending[len(mine):]])
            if mine:
                self._register()
        if self.timers:
            from ..models import NotificationTimer

            NotificationTimer.objects.bulk_create(self.timers)
            self.timers = []

    def send_after_commit(self, delivery_ids: list[int]) -> None:
        self.to_send.extend(delivery_ids)
        if delivery_ids:
            self._register()

    def _register(self) -> None:
        if not self._send_registered:
            self._send_registered = True
            transaction.on_commit(self._send)

    def _send(self) -> None:
        """After commit: send up to SEND_BATCH here (with `send_here`), queue the rest for any worker."""
        here = SEND_BATCH - len(self.leased) if self.send_here else 0
        ids, self.to_send = self.to_send[:here], self.to_send[here:]
        enqueue_sends(self.to_send)  # a huge batch is shared with the other workers
        if not (self.leased or ids):
            return
        from .dispatch import deliveries_send, deliveries_send_leased

        try:
            if self.leased:
                deliveries_send_leased(deliveries=self.leased)
            if ids:
                deliveries_send(delivery_ids=ids)
        except Exception:  # the decision stands; the rows stay pending and the re-scan sends them
            logger.exception("sending a batch's deliveries failed", extra={"deliveries": len(self.leased) + len(ids)})


def enqueue_send(delivery_id: int, *, countdown: float = 0) -> None:
    """Hand a delivery to a `notify` worker (the re-scan covers a lost enqueue)."""
    from ..tasks import deliver

    options = {"countdown": countdown} if countdown > 0 else {}
    try:
        deliver.apply_async(args=[delivery_id], queue="notify", **options)
    except Exception:  # broker unreachable: the row stays pending and the re-scan sends it
        logger.warning("could not enqueue delivery", extra={"delivery": delivery_id})


def queue_delivery(
    *,
    organization_id: int,
    event: EventRef,
    kind: str,
    now: datetime,
    channel: NotificationChannel | None,
    subject: NotificationSubject | None = None,
    rule=None,
    thread: NotificationThread | None = None,
    trigger: str = "",
    status: str = DeliveryStatus.PENDING,
    reason: str = "",
    data: dict | None = None,
    escalation=None,
    level: int | None = None,
    pattern_key: str = "",
    title: str = "",
    dedup_key: str | None = None,
    writes: OutboxWrites | None = None,
) -> NotificationDelivery | None:
    """Write one delivery row; pending rows are sent after commit. Returns None when skipped.

    A channel whose provider cannot do `kind` (a Teams webhook cannot edit a message) gets no row.
    A content update is coalesced with one still waiting for the same thread: it renders the
    subject's latest facts when it is sent, so one edit carries every change.
    """
    if status == DeliveryStatus.PENDING and channel is not None:
        if not get_provider(channel.kind).supports(kind, channel.config):
            return None
        if (
            kind == DeliveryKind.UPDATE
            and thread is not None
            and thread.pk is not None  # a conversation held for the batch's insert has no deliveries yet
            and NotificationDelivery.objects.filter(
                thread=thread, kind=DeliveryKind.UPDATE, status=DeliveryStatus.PENDING, attempts=0
            ).exists()
        ):
            return None
    fields = dict(
        organization_id=organization_id,
        team_id=subject.team_id if subject else getattr(rule, "team_id", None),
        rule=rule,
        channel=channel,
        subject=subject,
        thread=thread,
        escalation=escalation,
        level=level,
        alert_id=subject.alert_id if subject else None,
        incident_id=subject.incident_id if subject else None,
        event_name=event.name,
        event_id=event.id,
        trigger=trigger or "",
        kind=kind,
        title=(title or (subject.title if subject else ""))[:500],
        pattern_key=pattern_key[:300],
        data=data or {},
        status=status,
        reason=reason[:500],
        dedup_key=dedup_key,
        # "Now" may be a beat run's timestamp; a pending send is due at once either way.
        next_attempt_at=min(now, timezone.now()) if status == DeliveryStatus.PENDING else None,
        event_at=_parse(event.occurred_at) or now,
    )
    if writes is not None and writes.buffering and not dedup_key and (thread is None or thread.pk is None):
        # Only a row of a conversation held too (new in this batch), or of none: nothing sent or
        # waiting before it, so it can go out first thing after commit (see OutboxWrites).
        delivery = NotificationDelivery(**fields)
        writes.deliveries.append(delivery)
        return delivery  # inserted (and sent) with the rest of the batch
    if dedup_key:
        # A second "new message" for the same conversation is a bug upstream; never send it twice.
        try:
            with transaction.atomic():
                delivery = NotificationDelivery.objects.create(**fields)
        except IntegrityError:
            logger.warning("duplicate delivery skipped", extra={"dedup_key": dedup_key})
            return None
    else:
        delivery = NotificationDelivery.objects.create(**fields)
    if status == DeliveryStatus.PENDING:
        if writes is not None:
            writes.send_after_commit([delivery.pk])
        else:
            transaction.on_commit(lambda: enqueue_send(delivery.pk))
    return delivery


def thread_for(*, subject: NotificationSubject, rule, channel: NotificationChannel,
               new: bool = False, writes: OutboxWrites | None = None) -> NotificationThread:
    if new and writes is not None and writes.buffering:
        thread = NotificationThread(subject=subject, rule=rule, channel=channel,
                                    organization_id=subject.organization_id)
        writes.threads.append(thread)
        return thread
    if new:
        return NotificationThread.objects.create(subject=subject, rule=rule, channel=channel,
                                                 organization_id=subject.organization_id)
    thread, _ = NotificationThread.objects.get_or_create(
        subject=subject, rule=rule, channel=channel, defaults={"organization_id": subject.organization_id}
    )
    return thread


def threads_notify(*, subjects, kind: str, event: EventRef, now: datetime, data: dict | None = None) -> int:
    """Tell every conversation about these subjects what changed (edit, or a short new message)."""
    count = 0
    threads = NotificationThread.objects.filter(subject__in=subjects, channel__enabled=True).select_related(
        "channel", "subject", "rule"
    )
    for thread in threads:
        if queue_delivery(
            organization_id=thread.organization_id,
            event=event,
            kind=kind,
            now=now,
            channel=thread.channel,
            subject=thread.subject,
            rule=thread.rule,
            thread=thread,
            data=data,
        ):
            count += 1
    return count


def _parse(value):
    return parse_datetime(value) if isinstance(value, str) else value

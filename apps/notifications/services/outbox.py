"""Writing deliveries: the outbox half of the decision, always inside the deciding transaction.

`queue_delivery` writes the row and schedules its send for after commit; if that enqueue is lost
(broker down, worker killed), the outbox re-scan finds the pending row and sends it anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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
        transaction.on_commit(lambda: enqueue_send(delivery.pk))
    return delivery


def thread_for(*, subject: NotificationSubject, rule, channel: NotificationChannel,
               new: bool = False) -> NotificationThread:
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

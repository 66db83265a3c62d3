"""Sending deliveries: claim, render, call the provider, record the outcome, retry with backoff.

A delivery is claimed with a conditional UPDATE (pending, due, lease free), not a row lock, so
no database transaction stays open during a slow provider call. If the worker dies mid-call the
lease expires and the re-scan sends it again (at-least-once; PagerDuty's dedup_key makes that
harmless there). A provider's 429 pauses only its own channel; other channels keep flowing.
Deliveries of one conversation go out in order: an edit waits for the message it edits.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from aiops import events

from .. import conf
from ..choices import DeliveryKind, DeliveryStatus
from ..messages import Message, build_message
from ..models import NotificationChannel, NotificationDelivery, NotificationThread
from ..providers import ProviderError, get_provider
from ..selectors import incident_alerts
from .outbox import enqueue_send

logger = logging.getLogger(__name__)
OVERWRITE_REF = {
    DeliveryKind.NEW,
    DeliveryKind.UPDATE,
    DeliveryKind.ACKNOWLEDGE,
    DeliveryKind.UNACKNOWLEDGE,
    DeliveryKind.RESOLVE,
}


def backoff_seconds(attempts: int) -> float:
    base = conf.retry_base_seconds() * 2 ** max(0, attempts - 1)
    return min(conf.retry_max_seconds(), base) * random.uniform(1.0, 1.1)


def render(delivery: NotificationDelivery) -> Message:
    subject = delivery.subject
    ctx = dict(subject.context) if subject else {"title": delivery.title, "severity": "info"}
    ctx.setdefault("title", delivery.title)
    alerts, count = (
        incident_alerts(subject) if subject is not None and subject.kind == "incident" else ([], 0)
    )
    key = subject.key if subject else delivery.data.get("subject_key") or f"{delivery.kind}:{delivery.pk}"
    data = {**delivery.data, "dedup_key": f"aiops-{delivery.organization_id}-{key}"}
    return build_message(
        kind=delivery.kind,
        event_name=delivery.event_name,
        subject_key=key,
        ctx=ctx,
        data=data,
        alerts=alerts,
        alert_count=count,
    )


@contextmanager
def bookkeeping():
    """A transaction for a delivery's own state (lease, attempts, outcome) that does not wait for
    PostgreSQL's WAL flush: were the database server to crash just after, it would forget the
    latest attempt and send again — at least once, never lost. Decisions stay synchronous."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _claim(delivery_id: int, now: datetime) -> bool:
    with bookkeeping():
        return _claim_row(delivery_id, now)


def _claim_row(delivery_id: int, now: datetime) -> bool:
    return bool(
        NotificationDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=conf.lease_seconds()), attempts=F("attempts") + 1)
    )


def _defer(delivery: NotificationDelivery, until: datetime, reason: str) -> str:
    """Not an attempt: wait for the channel's pause or for an earlier message of the conversation."""
    with bookkeeping():
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            attempts=F("attempts") - 1, lease_until=None, next_attempt_at=until, reason=reason[:500]
        )
    transaction.on_commit(
        lambda: enqueue_send(delivery.pk, countdown=(until - timezone.now()).total_seconds())
    )
    return "deferred"


def _waiting_for(delivery: NotificationDelivery) -> NotificationDelivery | None:
    if delivery.thread_id is None:
        return None
    return (
        NotificationDelivery.objects.filter(
            thread_id=delivery.thread_id, status=DeliveryStatus.PENDING, pk__lt=delivery.pk
        )
        .only("pk", "next_attempt_at")
        .order_by("pk")
        .first()
    )


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> str:
    """One attempt at one delivery; returns sent / retry / failed / deferred / skipped."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return "skipped"  # sent already, not due yet, or another worker holds it
    delivery = NotificationDelivery.objects.select_related("channel", "subject", "thread").get(pk=delivery_id)
    channel = delivery.channel
    if channel is None or not channel.enabled:
        return _finish(delivery, now, DeliveryStatus.FAILED, reason="channel deleted or disabled")
    if channel.paused_until and channel.paused_until > now:
        # Spread the waiting messages a little so they do not hit the provider in one burst.
        until = channel.paused_until + timedelta(seconds=random.uniform(0, 3))
        return _defer(delivery, until, "channel paused by the provider's rate limit")
    earlier = _waiting_for(delivery)
    if earlier is not None:
        return _defer(
            delivery,
            max(earlier.next_attempt_at or now, now) + timedelta(seconds=1),
            f"waiting for delivery {earlier.pk} of the same conversation",
        )
    ref = dict(delivery.thread.provider_ref) if delivery.thread else {}
    started = time.monotonic()
    try:
        result = get_provider(channel.kind).send(config=channel.config, message=render(delivery), ref=ref)
    except ProviderError as exc:
        return _failed_attempt(delivery, channel, now, exc, round((time.monotonic() - started) * 1000))
    except Exception as exc:  # a bug in rendering or a provider: keep the delivery, retry, show it
        logger.exception("notification send crashed", extra={"delivery": delivery.pk})
        error = ProviderError(f"internal error: {type(exc).__name__}", transient=True)
        return _failed_attempt(delivery, channel, now, error, round((time.monotonic() - started) * 1000))
    duration = round((time.monotonic() - started) * 1000)
    with bookkeeping():
        if result.ref and delivery.thread_id:
            # Sends of one conversation are serialised (see _waiting_for), so no lock is needed here.
            known = delivery.thread.provider_ref
            merged = {**known, **result.ref} if delivery.kind in OVERWRITE_REF else {**result.ref, **known}
            if merged != known:
                NotificationThread.objects.filter(pk=delivery.thread_id).update(provider_ref=merged)
        return _finish(delivery, now, DeliveryStatus.SENT, response=result.response, duration=duration)


def _failed_attempt(delivery, channel, now, exc: ProviderError, duration: int) -> str:
    with bookkeeping():
        return _record_failure(delivery, channel, now, exc, duration)


def _record_failure(delivery, channel, now, exc: ProviderError, duration: int) -> str:
    now = now + timedelta(milliseconds=duration)  # backoff counts from the failure, not the attempt's start
    if exc.retry_after:
        NotificationChannel.objects.filter(pk=channel.pk).update(
            paused_until=now + timedelta(seconds=exc.retry_after)
        )
    limit = 1 if delivery.kind == DeliveryKind.TEST else conf.max_attempts()
    attempts = delivery.attempts  # read after the claim counted this attempt
    if exc.transient and attempts < limit:
        delay = max(backoff_seconds(attempts), exc.retry_after or 0)
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            lease_until=None,
            next_attempt_at=now + timedelta(seconds=delay),
            duration_ms=duration,
            reason=f"attempt {attempts} failed: {exc}"[:500],
            response=exc.response[: conf.response_max_chars()],
        )
        transaction.on_commit(lambda: enqueue_send(delivery.pk, countdown=delay))
        logger.info(
            "notification retry scheduled",
            extra={
                "delivery": delivery.pk,
                "attempt": attempts,
                "delay_s": round(delay, 1),
                "channel": channel.pk,
            },
        )
        return "retry"
    return _finish(
        delivery,
        now,
        DeliveryStatus.FAILED,
        reason=f"attempt {attempts} failed: {exc}",
        response=exc.response,
        duration=duration,
    )


def _finish(
    delivery, now, status, *, reason: str = "", response: str = "", duration: int | None = None
) -> str:
    latency = round((now - delivery.event_at).total_seconds() * 1000) if delivery.event_at else None
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        lease_until=None,
        next_attempt_at=None,
        reason=reason[:500],
        response=(response or "")[: conf.response_max_chars()],
        duration_ms=duration,
        sent_at=now if status == DeliveryStatus.SENT else None,
        latency_ms=max(0, latency) if status == DeliveryStatus.SENT and latency is not None else None,
    )
    events.publish(
        "notification.delivered",
        org=delivery.organization_id,
        subject=delivery,
        delivery_id=delivery.pk,
        status=status,
        kind=delivery.kind,
        channel_id=delivery.channel_id,
        rule_id=delivery.rule_id,
        alert_id=delivery.alert_id,
        incident_id=delivery.incident_id,
        title=delivery.title,
        team_id=delivery.team_id,
    )
    return str(status)


def outbox_rescan(*, now: datetime | None = None, limit: int = 500) -> int:
    """Re-enqueue pending deliveries nobody is working on (lost enqueue, dead worker, restart)."""
    now = now or timezone.now()
    due = (
        NotificationDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now - timedelta(seconds=conf.outbox_grace_seconds()),
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    for pk in ids:
        enqueue_send(pk)
    return len(ids)


@transaction.atomic
def delivery_retry(*, delivery: NotificationDelivery, user) -> NotificationDelivery:
    """Send a failed delivery again (after fixing the channel, say), with a fresh attempt budget."""
    if delivery.status != DeliveryStatus.FAILED or delivery.channel_id is None:
        raise ValidationError("Only a failed delivery to an existing channel can be retried.")
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        lease_until=None,
        reason=f"retried by {user.get_username() if user else 'system'}",
    )
    transaction.on_commit(lambda: enqueue_send(delivery.pk))
    delivery.refresh_from_db()
    return delivery

"""Sending deliveries: claim, render, call the provider, record the outcome, retry with backoff.

A delivery is claimed with a conditional UPDATE (pending, due, lease free), not a row lock, so
no database transaction stays open during a slow provider call. A batch of deliveries (a storm's
first messages, an outbox re-scan) is claimed by one statement and sent concurrently, one
conversation per thread. If the worker dies mid-call the
lease expires and the re-scan sends it again (at-least-once; PagerDuty's dedup_key makes that
harmless there). A provider's 429 pauses only its own channel; other channels keep flowing.
Deliveries of one conversation go out in order: an edit waits for the message it edits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from aiops import events

from .. import conf
from ..choices import DeliveryKind, DeliveryStatus, SubjectKind
from ..messages import Message, build_message
from ..models import NotificationChannel, NotificationDelivery, NotificationThread
from ..providers import ProviderError, SendResult, get_provider
from ..selectors import incident_alerts
from .outbox import enqueue_send, enqueue_sends

logger = logging.getLogger(__name__)
OVERWRITE_REF = {
    DeliveryKind.NEW,
    DeliveryKind.UPDATE,
    DeliveryKind.ACKNOWLEDGE,
    DeliveryKind.UNACKNOWLEDGE,
    DeliveryKind.RESOLVE,
}


LATENCY_MS_MAX = 2**31 - 1


def backoff_seconds(attempts: int) -> float:
    base = conf.retry_base_seconds() * 2 ** max(0, attempts - 1)
    return min(conf.retry_max_seconds(), base) * random.uniform(1.0, 1.1)


def render(delivery: NotificationDelivery) -> Message:
    subject = delivery.subject
    ctx = dict(subject.context) if subject else {"title": delivery.title, "severity": "info"}
    ctx.setdefault("title", delivery.title)
    alerts, count = (
        incident_alerts(subject) if subject is not None and subject.kind == SubjectKind.INCIDENT else ([], 0)
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
        organization_id=delivery.organization_id,
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
    return bool(_claim_many([delivery_id], now))


def _claim_many(delivery_ids: list[int], now: datetime) -> list[int]:
    """Take the lease of every delivery that is pending, due and free, in one statement."""
    if not delivery_ids:
        return []
    table = connection.ops.quote_name(NotificationDelivery._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    ids = sorted({int(pk) for pk in delivery_ids})
    with bookkeeping(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET lease_until = %s, attempts = attempts + 1 "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))}) AND status = %s AND next_attempt_at <= %s "
            "AND (lease_until IS NULL OR lease_until < %s) RETURNING id",
            [adapt(now + timedelta(seconds=conf.lease_seconds())), *ids, DeliveryStatus.PENDING,
             adapt(now), adapt(now)],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _defer(delivery: NotificationDelivery, until: datetime, reason: str) -> str:
    """Not an attempt: wait for the channel's pause or for an earlier message of the conversation."""
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") - 1, lease_until=None, next_attempt_at=until, reason=reason[:500]
    )
    transaction.on_commit(
        lambda: enqueue_send(delivery.pk, countdown=(until - timezone.now()).total_seconds())
    )
    return "deferred"


def _waiting_for(deliveries: list[NotificationDelivery]) -> dict[int, list[tuple[int, datetime | None]]]:
    """Pending deliveries of these conversations older than the newest of these, by conversation."""
    threads = {d.thread_id for d in deliveries if d.thread_id is not None}
    if not threads:
        return {}
    mine = [d.pk for d in deliveries]
    rows = (
        NotificationDelivery.objects.filter(thread_id__in=threads, status=DeliveryStatus.PENDING, pk__lt=max(mine))
        .exclude(pk__in=mine)
        .order_by("pk")
        .values_list("thread_id", "pk", "next_attempt_at")
    )
    earlier: dict[int, list[tuple[int, datetime | None]]] = {}
    for thread_id, pk, due in rows:
        earlier.setdefault(thread_id, []).append((pk, due))
    return earlier


@dataclass
class _Attempt:
    """One provider call of a batch: prepared in the worker's thread, made in a sending thread."""

    delivery: NotificationDelivery
    message: Message | None = None
    known_ref: dict = field(default_factory=dict)
    result: SendResult | None = None
    error: ProviderError | None = None
    merged_ref: dict | None = None
    duration: int = 0
    prepared: float = field(default_factory=time.monotonic)
    waited: float = 0.0  # seconds from being prepared to its call (the calls before it in its lane)
    blocked_by: _Attempt | None = None  # an earlier message of the conversation did not go out


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> str:
    """One attempt at one delivery; returns sent / retry / failed / deferred / skipped."""
    return deliveries_send(delivery_ids=[delivery_id], now=now).get(delivery_id, "skipped")


def deliveries_send(*, delivery_ids: list[int], now: datetime | None = None) -> dict[int, str]:
    """One attempt at each of these deliveries; returns the outcome of each one claimed.

    The claim is one statement. Conversations are sent concurrently from a few threads (a
    provider that times out holds up only its own conversation), each conversation's messages
    in order: an edit goes out after the message it edits, or waits if that one did not go out.
    Outcomes are written as calls finish, those finished together in one transaction; no
    transaction stays open during a provider call.
    """
    now = now or timezone.now()
    claimed = _claim_many(delivery_ids, now)
    if not claimed:
        return {}
    deliveries = list(
        NotificationDelivery.objects.select_related("channel", "subject", "thread")
        .filter(pk__in=claimed)
        .order_by("pk")
    )
    return _attempt_all(deliveries, now, earlier=_waiting_for(deliveries))


def deliveries_send_leased(*, deliveries: list[NotificationDelivery], now: datetime | None = None) -> dict[int, str]:
    """First attempts of deliveries this process wrote already leased (see `outbox.OutboxWrites`).

    The decision that wrote them committed just now, with the lease and the attempt counted, so
    nobody else sends them meanwhile and nothing needs claiming or loading again: they are the
    objects the decision built. Their conversations are new, so nothing older waits in them;
    only the channels' current state (disabled, paused by a 429 meanwhile) is read again.
    """
    now = now or timezone.now()
    channels = {d.channel_id for d in deliveries if d.channel_id}
    current = {
        row["pk"]: row
        for row in NotificationChannel.objects.filter(pk__in=channels).values("pk", "enabled", "paused_until")
    }
    return _attempt_all(sorted(deliveries, key=lambda d: d.pk), now, earlier={}, channels=current)


def _attempt_all(deliveries, now, *, earlier, channels: dict | None = None) -> dict[int, str]:
    outcomes: dict[int, str] = {}
    conversations: dict[object, list[_Attempt]] = {}
    for delivery in deliveries:
        state = channels.get(delivery.channel_id) if channels is not None else None
        outcome = _prepare(delivery, now, earlier, conversations, state=state, reload=channels is not None)
        if outcome:
            outcomes[delivery.pk] = outcome
    started, unannounced = time.monotonic(), []
    for finished in _send_all(list(conversations.values())):
        with bookkeeping():
            unannounced += _record(finished, now, outcomes)
            if time.monotonic() - started > ANNOUNCE_WITHIN_SECONDS:  # a slow lane: do not hold them
                _announce_all(unannounced)
                unannounced = []
    if unannounced:
        with transaction.atomic():  # one commit, one fan-out message for the batch's sent deliveries
            _announce_all(unannounced)
    return outcomes


def _prepare(delivery, now, earlier, conversations, *, state: dict | None = None, reload: bool = False) -> str | None:
    """Settle a delivery that cannot be sent now, or render it for its conversation's queue.

    `state` is the channel's row read just now when `reload` (the delivery's channel object may
    come from the rules cache); None then means the channel was deleted.
    """
    channel = delivery.channel
    enabled, paused_until = (
        (bool(state and state["enabled"]), state and state["paused_until"])
        if reload
        else (channel is not None and channel.enabled, channel and channel.paused_until)
    )
    if channel is None or not enabled:
        return _finish(delivery, now, DeliveryStatus.FAILED, reason="channel deleted or disabled")
    if paused_until and paused_until > now:
        # Spread the waiting messages a little so they do not hit the provider in one burst.
        until = paused_until + timedelta(seconds=random.uniform(0, 3))
        return _defer(delivery, until, "channel paused by the provider's rate limit")
    older = [(pk, due) for pk, due in earlier.get(delivery.thread_id, ()) if pk < delivery.pk]
    if older:
        pk, due = older[0]
        return _defer(delivery, max(due or now, now) + timedelta(seconds=1),
                      f"waiting for delivery {pk} of the same conversation")
    attempt = _Attempt(delivery, known_ref=dict(delivery.thread.provider_ref) if delivery.thread else {})
    try:
        attempt.message = render(delivery)
    except Exception as exc:  # a bug in rendering: keep the delivery, retry, show it
        logger.exception("notification rendering crashed", extra={"delivery": delivery.pk})
        attempt.error = ProviderError(f"internal error: {type(exc).__name__}", transient=True)
    key = ("thread", delivery.thread_id) if delivery.thread_id else ("delivery", delivery.pk)
    conversations.setdefault(key, []).append(attempt)
    return None


# Provider calls in flight at once per worker process (threads: the calls wait on the network),
# and at most per channel.
SEND_THREADS = 8
CALLS_PER_CHANNEL = 4
# After the first call of a batch answers, how long to wait for more answers to record together.
WAVE_SECONDS = 0.02
# `notification.delivered` of a batch's sent deliveries go out together (one fan-out message)
# when the batch is done, unless it takes longer than this.
ANNOUNCE_WITHIN_SECONDS = 1.0
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None or _pool[0] != os.getpid():  # a forked pool process starts its own threads
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="notify-send"))
    return _pool[1]


def _send_all(conversations: list[list[_Attempt]]):
    """Yield attempts as their lanes finish (all at once when there is only one lane).

    A lane is a few conversations of one channel sent one after the other; a channel gets at
    most CALLS_PER_CHANNEL lanes, so one batch never opens a burst of connections to a provider,
    and a provider that hangs holds up its own lanes only.
    """
    lanes = _lanes(conversations)
    if len(lanes) <= 1:
        for lane in lanes:
            _send_lane(lane)
            yield [attempt for attempts in lane for attempt in attempts]
        return
    language = translation.get_language()
    pending = {_executor().submit(_send_lane, lane, language): lane for lane in lanes}
    while pending:
        wait(pending, return_when=FIRST_COMPLETED)
        # Calls to one provider finish within moments of each other: record them together.
        done, _ = wait(pending, timeout=WAVE_SECONDS)
        finished = []
        for future in done:
            future.result()  # _send_conversation catches everything itself
            finished += [attempt for attempts in pending.pop(future) for attempt in attempts]
        yield finished


def _lanes(conversations: list[list[_Attempt]]) -> list[list[list[_Attempt]]]:
    by_channel: dict[int | None, list[list[_Attempt]]] = {}
    for attempts in conversations:
        by_channel.setdefault(attempts[0].delivery.channel_id, []).append(attempts)
    lanes = []
    for group in by_channel.values():
        count = min(CALLS_PER_CHANNEL, len(group))
        lanes += [group[i::count] for i in range(count)]
    return lanes


def _send_lane(lane: list[list[_Attempt]], language: str | None = None) -> None:
    with translation.override(language) if language else contextlib.nullcontext():
        for attempts in lane:
            _send_conversation(attempts)


def _send_conversation(attempts: list[_Attempt]) -> None:
    ref: dict | None = None
    previous: _Attempt | None = None
    for attempt in attempts:
        if previous is not None and (previous.error is not None or previous.blocked_by is not None):
            attempt.blocked_by = previous.blocked_by or previous
            continue
        if ref is not None:
            attempt.known_ref = ref
        if attempt.error is None:
            _call(attempt)
        if attempt.error is None and attempt.result is not None:
            ref = attempt.merged_ref if attempt.merged_ref is not None else attempt.known_ref
        previous = attempt


def addressed(delivery: NotificationDelivery) -> dict:
    """The channel's config, written to the paged person where the channel can (e-mail: their address)."""
    from .personal import personal_config

    return personal_config(delivery, delivery.channel.config)


def _call(attempt: _Attempt) -> None:
    delivery = attempt.delivery
    started = time.monotonic()
    attempt.waited = started - attempt.prepared
    try:
        attempt.result = get_provider(delivery.channel.kind).send(
            config=addressed(delivery), message=attempt.message, ref=dict(attempt.known_ref)
        )
    except ProviderError as exc:
        attempt.error = exc
    except Exception as exc:  # a bug in a provider: keep the delivery, retry, show it
        logger.exception("notification send crashed", extra={"delivery": delivery.pk})
        attempt.error = ProviderError(f"internal error: {type(exc).__name__}", transient=True)
    attempt.duration = round((time.monotonic() - started) * 1000)
    if attempt.result is not None and attempt.result.ref and delivery.thread_id:
        known, new = attempt.known_ref, attempt.result.ref
        attempt.merged_ref = {**known, **new} if delivery.kind in OVERWRITE_REF else {**new, **known}


def _record(attempts: list[_Attempt], now: datetime, outcomes: dict[int, str]) -> list[NotificationDelivery]:
    """Write the outcomes of finished calls: the sent ones in two statements, the others one by one.

    Returns the sent deliveries, for the caller to announce.
    """
    sent: list[NotificationDelivery] = []
    threads: list[NotificationThread] = []
    for attempt in attempts:
        delivery = attempt.delivery
        if attempt.blocked_by is not None:
            blocker = attempt.blocked_by.delivery
            outcomes[delivery.pk] = _defer(
                delivery, max(blocker.next_attempt_at or now, now) + timedelta(seconds=1),
                f"waiting for delivery {blocker.pk} of the same conversation")
        elif attempt.error is not None:
            # The backoff counts from this call (a lane's later calls start after its earlier ones).
            outcomes[delivery.pk] = _record_failure(
                delivery, delivery.channel, now + timedelta(seconds=attempt.waited), attempt.error, attempt.duration)
        else:
            if attempt.merged_ref is not None and attempt.merged_ref != attempt.known_ref:
                # Sends of one conversation are serialised (see _waiting_for), so no lock is needed here.
                delivery.thread.provider_ref = attempt.merged_ref
                if delivery.thread not in threads:
                    threads.append(delivery.thread)
            answered = now + timedelta(seconds=attempt.waited, milliseconds=attempt.duration)
            _outcome(delivery, answered, DeliveryStatus.SENT, response=attempt.result.response,
                     duration=attempt.duration)
            sent.append(delivery)
            outcomes[delivery.pk] = str(DeliveryStatus.SENT)
    if threads:
        _update_rows(NotificationThread, threads, ["provider_ref"])
    if sent:
        _update_rows(NotificationDelivery, sent, OUTCOME_FIELDS)
    return sent


def _update_rows(model, objects, names: list[str]) -> None:
    """Write these fields of these rows: one statement, run for every row in one round trip.

    (PostgreSQL pipelines an executemany; Django's bulk_update would build a CASE per field and
    row, which costs more in Python than the writes cost the database.)
    """
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", rows)


def _record_failure(delivery, channel, now, exc: ProviderError, duration: int) -> str:
    now = now + timedelta(milliseconds=duration)  # backoff counts from the failure, not the attempt's start
    delivery.next_attempt_at = None  # a message of its conversation waiting behind it learns when it retries
    if exc.retry_after:
        NotificationChannel.objects.filter(pk=channel.pk).update(
            paused_until=now + timedelta(seconds=exc.retry_after)
        )
    limit = 1 if delivery.kind == DeliveryKind.TEST else conf.max_attempts()
    attempts = delivery.attempts  # read after the claim counted this attempt
    if exc.transient and attempts < limit:
        delay = max(backoff_seconds(attempts), exc.retry_after or 0)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            lease_until=None,
            next_attempt_at=delivery.next_attempt_at,
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


OUTCOME_FIELDS = ["status", "lease_until", "next_attempt_at", "reason", "response", "duration_ms", "sent_at",
                  "latency_ms"]


def _outcome(delivery, now, status, *, reason: str = "", response: str = "", duration: int | None = None) -> None:
    """Set a delivery's final state on the object (written by the caller)."""
    latency = round((now - delivery.event_at).total_seconds() * 1000) if delivery.event_at else None
    delivery.status = status
    delivery.lease_until = None
    delivery.next_attempt_at = None
    delivery.reason = reason[:500]
    delivery.response = (response or "")[: conf.response_max_chars()]
    delivery.duration_ms = duration
    delivery.sent_at = now if status == DeliveryStatus.SENT else None
    # Clamped to the column (2^31-1 ms, ~24.8 days): a delivery of a month-old event (a digest, a
    # replay) must still record its outcome.
    delivery.latency_ms = (min(max(0, latency), LATENCY_MS_MAX)
                           if status == DeliveryStatus.SENT and latency is not None else None)


def _announce_all(deliveries) -> None:
    for delivery in deliveries:
        _announce(delivery)


def _announce(delivery) -> None:
    events.publish(
        "notification.delivered",
        org=delivery.organization_id,
        subject=delivery,
        delivery_id=delivery.pk,
        status=delivery.status,
        kind=delivery.kind,
        channel_id=delivery.channel_id,
        rule_id=delivery.rule_id,
        alert_id=delivery.alert_id,
        incident_id=delivery.incident_id,
        title=delivery.title,
        team_id=delivery.team_id,
    )


def _finish(
    delivery, now, status, *, reason: str = "", response: str = "", duration: int | None = None
) -> str:
    _outcome(delivery, now, status, reason=reason, response=response, duration=duration)
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        **{name: getattr(delivery, name) for name in OUTCOME_FIELDS}
    )
    _announce(delivery)
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
    enqueue_sends(ids)
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

"""The beat side: fire due timers (escalation steps, grouping waits, digests).

Each timer is claimed with `select_for_update(skip_locked=True)` and fired in its own
transaction together with everything it causes, so two beat runs never fire one twice and a
crash mid-way leaves the timer due for the next run. A timer whose handling raises is pushed back
with a backoff instead of blocking the queue behind it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..choices import DeliveryKind, DeliveryStatus, TimerKind
from ..matching import facts_from_event
from ..models import NotificationDelivery, NotificationTimer
from ..selectors import incident_subjects_of
from .decisions import Decision, announced, attach, channels_of, notify_new
from .escalations import escalation_timer_fire
from .outbox import EventRef, queue_delivery

logger = logging.getLogger(__name__)


def timers_fire_due(*, now: datetime | None = None, limit: int = 2000, budget_seconds: float = 20.0) -> int:
    """Fire due timers (at most `limit`, for at most `budget_seconds`); returns how many were handled."""
    now = now or timezone.now()
    handled = 0
    deadline = time.monotonic() + budget_seconds
    while handled < limit and time.monotonic() < deadline:
        with transaction.atomic():
            timer = (
                NotificationTimer.objects.select_for_update(skip_locked=True)
                .filter(fired_at__isnull=True, due_at__lte=now)
                .order_by("due_at", "pk")
                .first()
            )
            if timer is None:
                break
            try:
                with transaction.atomic():
                    outcome = _fire(timer, now)
                timer.fired_at, timer.outcome = now, (outcome or "")[:300]
            except Exception as exc:
                logger.exception("notification timer failed", extra={"timer": timer.pk, "kind": timer.kind})
                timer.attempts += 1
                timer.due_at = now + timedelta(seconds=min(600, 10 * 2**timer.attempts))
                timer.outcome = f"error: {type(exc).__name__}"[:300]
            timer.save(update_fields=["fired_at", "outcome", "attempts", "due_at", "updated_at"])
        handled += 1
    return handled


def _fire(timer: NotificationTimer, now: datetime) -> str:
    if timer.kind == TimerKind.ESCALATE:
        return escalation_timer_fire(timer=timer, now=now)
    if timer.kind == TimerKind.GROUP_WAIT:
        return _group_wait_over(timer, now)
    if timer.kind == TimerKind.DIGEST:
        return _digest(timer, now)
    return "unknown kind"


def _event(timer: NotificationTimer, fallback: str) -> EventRef:
    data = timer.data.get("event") or {}
    return EventRef(
        id=str(data.get("id", "")),
        name=data.get("name", fallback),
        occurred_at=data.get("occurred_at"),
        actor_id=data.get("actor_id"),
    )


def _group_wait_over(timer: NotificationTimer, now: datetime) -> str:
    """No incident claimed the alert in time: announce it alone (it may still join one later)."""
    rule, subject = timer.rule, timer.subject
    if rule is None or subject is None or not rule.enabled:
        return "rule gone"
    facts = facts_from_event({"name": "alert.received", "data": subject.context})
    d = Decision(
        organization_id=timer.organization_id,
        event=_event(timer, "alert.received"),
        facts=facts,
        now=now,
        subject=subject,
        alert=subject.alert,
    )
    incidents = incident_subjects_of(subject.alert_id)
    if announced(rule, [subject, *incidents]):
        return "already announced"
    if incidents:
        attach(d, rule, incidents[0], subject, pattern_key=facts.pattern_key)
        return f"grouped into {incidents[0].key}"
    notify_new(d, rule, subject, pattern_key=timer.data.get("pattern") or facts.pattern_key)
    return "announced alone"


def _digest(timer: NotificationTimer, now: datetime) -> str:
    """Consolidate what a rate limit held back into one message per channel."""
    rule = timer.rule
    if rule is None:
        return "rule gone"
    pattern = timer.data.get("pattern", "")
    since = parse_datetime(timer.data.get("since", "")) or now - timedelta(
        minutes=rule.rate_limit_window_minutes
    )
    held = NotificationDelivery.objects.filter(
        rule=rule,
        pattern_key=pattern,
        status=DeliveryStatus.RATE_LIMITED,
        created_at__gte=since - timedelta(seconds=1),
        created_at__lte=now,
    )
    subjects = list(held.order_by("subject_id").values_list("subject_id", flat=True).distinct())
    if not subjects:
        return "nothing held back"
    latest = {}
    for row in held.order_by("-created_at").values("subject_id", "title", "subject__context"):
        latest.setdefault(row["subject_id"], row)
    samples = [
        {
            "title": r["title"],
            "severity": (r["subject__context"] or {}).get("severity", ""),
            "status": (r["subject__context"] or {}).get("state", ""),
            "url": (r["subject__context"] or {}).get("url", ""),
        }
        for r in list(latest.values())[:5]
    ]
    data = {
        "count": len(subjects),
        "pattern": pattern,
        "since": since.isoformat(),
        "until": now.isoformat(),
        "samples": samples,
        "subject_key": f"digest:{rule.pk}",
    }
    event = EventRef(id=f"digest-{timer.pk}", name="notification.digest", occurred_at=now.isoformat())
    for channel in channels_of(rule):
        queue_delivery(
            organization_id=timer.organization_id,
            event=event,
            kind=DeliveryKind.DIGEST,
            now=now,
            channel=channel,
            rule=rule,
            data=data,
            pattern_key=pattern,
            title=f"{len(subjects)} held back: {pattern}",
        )
    return f"digest of {len(subjects)}"


def housekeeping_prune(*, now: datetime | None = None) -> int:
    """Forget fired timers past the retention (the delivery log itself stays; event receipts are
    the kernel's, pruned by `aiops.prune_events`)."""
    from .. import conf

    cutoff = (now or timezone.now()) - timedelta(days=conf.retention_days())
    fired, _ = NotificationTimer.objects.filter(fired_at__lt=cutoff).delete()
    return fired

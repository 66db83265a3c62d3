"""The building blocks of a decision: the event's subject, announcing it, grouping, suppression.

Everything runs inside the transaction of `events.event_process`; each function writes the rows
it decides (deliveries, threads, timers, escalations) and nothing is sent before commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert

from .. import conf
from ..choices import DeliveryKind, DeliveryStatus, SubjectKind, SubjectState, TimerKind
from ..matching import Facts, snooze_matches
from ..models import NotificationDelivery, NotificationSubject, NotificationThread, NotificationTimer, Snooze
from ..selectors import incident_subjects_of, rate_limit_count
from .escalations import escalation_start
from .outbox import EventRef, OutboxWrites, queue_delivery, thread_for

RESOLVED_STATUSES = {"resolved", "closed"}


@dataclass
class Decision:
    organization_id: int
    event: EventRef
    facts: Facts
    now: datetime
    subject: NotificationSubject
    alert: Alert | None = None
    previous_state: str = SubjectState.OPEN
    snoozes: list[Snooze] = field(default_factory=list)
    subject_is_new: bool = False  # created by this event: it has no conversations yet
    rules: list | None = None  # the organisation's enabled rules, loaded once per decision
    writes: OutboxWrites | None = None  # the batch's bulk writes, when decided in a batch
    # The batch's look-up of an alert's incidents (for all its new alerts at once), if it has one.
    incidents_of: Callable[[int], list[NotificationSubject]] | None = None

    def queue(self, kind: str, *, channel, subject: NotificationSubject | None = None, rule=None, thread=None,
              **extra):
        """Write one delivery caused by this event (see `outbox.queue_delivery`)."""
        return queue_delivery(organization_id=self.organization_id, event=self.event, kind=kind, now=self.now,
                              channel=channel, subject=subject or self.subject, rule=rule, thread=thread,
                              trigger=self.facts.trigger or "", writes=self.writes, **extra)

    def flush(self) -> None:
        """Write held rows now: what follows reads the database or hands the rows to other code."""
        if self.writes is not None:
            self.writes.flush()

    def alert_incidents(self) -> list[NotificationSubject]:
        """The incident subjects the alert is known to belong to."""
        if self.incidents_of is not None and self.alert is not None:
            return self.incidents_of(self.alert.pk)
        return incident_subjects_of(self.alert.pk if self.alert else None)

    def on_thread(self, thread: NotificationThread, kind: str, *, data: dict | None = None):
        return self.queue(kind, channel=thread.channel, subject=thread.subject, rule=thread.rule,
                          thread=thread, data=data)


def display_name(user_id) -> str:
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return (user.get_full_name() or user.get_username()) if user else ""


def _clean(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("is_new",)}


def subject_upsert(
    *, organization_id: int, facts: Facts, event: EventRef, alert: Alert | None, merge: bool
) -> tuple[NotificationSubject, str, bool]:
    """Find (locked) or create the subject and fold the event's facts into it.

    Returns the subject, its state before this event, and whether it was created now.
    """
    locked = NotificationSubject.objects.select_for_update()
    subject = locked.filter(organization_id=organization_id, key=facts.subject_key).first()
    created = subject is None
    if created:
        subject = subject_new(organization_id=organization_id, facts=facts, alert=alert)
    previous = subject.state
    subject_merge(subject, facts=facts, event=event, alert=alert, merge=merge)
    if not created:
        subject.save()
        return subject, previous, False
    # Another event of the same subject creating it at this very moment makes this insert fail: the
    # whole decision rolls back and the task retries, then finds (and locks) the other's row.
    subject.save(force_insert=True)
    return subject, previous, True


def subject_new(*, organization_id: int, facts: Facts, alert: Alert | None) -> NotificationSubject:
    """An unsaved subject for an event's facts (a batch inserts the new ones together)."""
    return NotificationSubject(
        organization_id=organization_id, key=facts.subject_key, kind=facts.subject_kind, alert=alert,
        title=facts.title[:500],
        incident_id=facts.incident_id if facts.subject_kind == SubjectKind.INCIDENT else None,
        team_id=facts.team_id if facts.subject_kind in (SubjectKind.ALERT, SubjectKind.INCIDENT) else None,
    )


def subject_merge(subject: NotificationSubject, *, facts: Facts, event: EventRef, alert: Alert | None,
                  merge: bool) -> None:
    """Fold an event's facts (and its alert row, the truth about state) into the subject."""
    if merge:
        subject.context = {**subject.context, **_clean(event.data)}
        subject.title = facts.title[:500] or subject.title
        if facts.team_id and subject.kind in (SubjectKind.ALERT, SubjectKind.INCIDENT):
            subject.team_id = facts.team_id
    if alert is not None:
        _state_from_alert(subject, alert)
    elif subject.kind == SubjectKind.INCIDENT and merge and event.name != "incident.alert_added":
        _state_from_incident(subject, event)
    subject.context["state"] = subject.state


def _state_from_alert(subject: NotificationSubject, alert: Alert) -> None:
    # The alert row is the truth; events only tell us when to look.
    ctx = subject.context
    if alert.status == AlertStatus.RESOLVED:
        subject.state = SubjectState.RESOLVED
        ctx["resolved_at"] = (alert.resolved_at or alert.ends_at or alert.updated_at).isoformat()
    elif alert.acknowledged_at:
        subject.state = SubjectState.ACKNOWLEDGED
        ctx["acknowledged_at"] = alert.acknowledged_at.isoformat()
        ctx["acknowledged_by"] = (
            display_name(alert.acknowledged_by_id) or ctx.get("ack_hint") or ctx.get("ack_source", "") or "—"
        )
    else:
        subject.state = SubjectState.OPEN
        ctx.pop("acknowledged_by", None)


def _state_from_incident(subject: NotificationSubject, event: EventRef) -> None:
    status = str(event.data.get("status", "")).lower()
    if status in RESOLVED_STATUSES:
        subject.state = SubjectState.RESOLVED
        subject.context["resolved_at"] = event.data.get("resolved_at") or event.occurred_at
    elif event.data.get("acknowledged_at") or status not in ("", "open"):
        subject.state = SubjectState.ACKNOWLEDGED
        who = display_name(event.actor_id) or subject.context.get("acknowledged_by") or status
        subject.context["acknowledged_by"] = who
    elif event.name == "incident.status_changed":
        subject.state = SubjectState.OPEN  # reopened


def enrich(facts: Facts, ctx: dict) -> Facts:
    """Fill what an event left out (an analysis has no severity) from what we know of its subject."""
    facts.severity = facts.severity or str(ctx.get("severity") or "").lower()
    facts.name = facts.name or str(ctx.get("name") or "")
    facts.service = facts.service or str(ctx.get("service") or "")
    if facts.service and facts.service not in facts.services:
        facts.services.append(facts.service)
    facts.labels = facts.labels or {str(k): str(v) for k, v in (ctx.get("labels") or {}).items()}
    facts.team_id = facts.team_id or ctx.get("team_id")
    facts.url = facts.url or str(ctx.get("url") or "")
    return facts


def channels_of(rule) -> list:
    cached = getattr(rule, "enabled_channels", None)
    return cached if cached is not None else list(rule.channels.filter(enabled=True))


def announced(rule, subjects) -> bool:
    return NotificationThread.objects.filter(subject__in=subjects, rule=rule).exists()


def record_all(d: Decision, rule, subject, *, status: str, reason: str, pattern_key: str = "") -> None:
    """A rate-limited or suppressed decision still leaves one row per channel: never silence."""
    for channel in channels_of(rule):
        d.queue(DeliveryKind.NEW, channel=channel, subject=subject, rule=rule, status=status, reason=reason,
                pattern_key=pattern_key)


def suppressed(d: Decision, rule) -> bool:
    """Silenced alerts and snoozed patterns are logged as suppressed instead of being sent."""
    if d.alert is not None and d.alert.silenced_until and d.alert.silenced_until > d.now:
        record_all(d, rule, d.subject, status=DeliveryStatus.SUPPRESSED,
                   reason=f"alert silenced until {d.alert.silenced_until:%Y-%m-%d %H:%M %Z}")
        return True
    for snooze in d.snoozes:
        if snooze_matches(snooze, d.facts, rule_id=rule.pk, now=d.now):
            note = f" ({snooze.reason})" if snooze.reason else ""
            record_all(d, rule, d.subject, status=DeliveryStatus.SUPPRESSED,
                       reason=f"pattern snoozed until {snooze.until:%Y-%m-%d %H:%M %Z}{note}")
            return True
    return False


def notify_new(d: Decision, rule, subject: NotificationSubject, *, pattern_key: str,
               kind: str = DeliveryKind.NEW, data: dict | None = None) -> int:
    """Announce a subject to a rule's channels (rate limit permitting) and start its escalation."""
    channels = channels_of(rule)
    if rule.rate_limit_count and channels:
        since = d.now - timedelta(minutes=rule.rate_limit_window_minutes)
        sent = rate_limit_count(rule=rule, pattern_key=pattern_key, since=since)
        if d.writes is not None:  # this batch's announcements, not inserted yet, count too
            sent += d.writes.held_subjects(rule=rule, pattern_key=pattern_key)
        if sent >= rule.rate_limit_count:
            record_all(d, rule, subject, status=DeliveryStatus.RATE_LIMITED, pattern_key=pattern_key,
                       reason=f"{sent} messages for this pattern in {rule.rate_limit_window_minutes} min "
                              f"(limit {rule.rate_limit_count}); a digest follows")
            schedule_digest(d, rule, pattern_key)
            return 0
    queued = 0
    for channel in channels:
        # A subject created by this very event has no conversation yet: no look-up, no duplicate guard.
        fresh = d.subject_is_new and subject.pk == d.subject.pk
        thread = thread_for(subject=subject, rule=rule, channel=channel, new=fresh, writes=d.writes)
        dedup = f"new:{subject.pk}:{rule.pk}:{channel.pk}" if kind == DeliveryKind.NEW and not fresh else None
        if d.queue(kind, channel=channel, subject=subject, rule=rule, thread=thread, pattern_key=pattern_key,
                   data=data, dedup_key=dedup):
            queued += 1
    escalates = subject.kind in (SubjectKind.ALERT, SubjectKind.INCIDENT) and subject.state == SubjectState.OPEN
    if rule.escalate and escalates:
        d.flush()  # the escalation reads and extends the conversations just decided
        escalation_start(rule=rule, subject=subject, event=d.event, now=d.now)
    return queued


def followup(d: Decision, rule, subject: NotificationSubject, *, data: dict | None = None) -> bool:
    """A later event about an announced subject: a reply in its conversation. False if none exists."""
    threads = list(NotificationThread.objects.filter(subject=subject, rule=rule, channel__enabled=True)
                   .select_related("channel", "subject", "rule"))
    for thread in threads:
        d.on_thread(thread, DeliveryKind.FOLLOWUP, data=data)
    return bool(threads)


def attach(d: Decision, rule, incident: NotificationSubject, alert_subject: NotificationSubject, *,
           pattern_key: str) -> None:
    """Per-incident grouping: the alert joins its incident's message instead of getting its own."""
    threads = list(NotificationThread.objects.filter(subject=incident, rule=rule)
                   .select_related("channel", "rule"))
    # Else, if the alert was announced alone (its incident came late), that message becomes the incident's.
    lone = [] if threads else list(NotificationThread.objects.filter(subject=alert_subject, rule=rule)
                                   .select_related("channel", "rule"))
    for thread in lone:
        thread.subject = incident
        thread.save(update_fields=["subject", "updated_at"])
    for thread in threads or lone:
        thread.subject = incident
        d.on_thread(thread, DeliveryKind.UPDATE)
    if not threads and not lone:
        notify_new(d, rule, incident, pattern_key=pattern_key)


def schedule_group_wait(d: Decision, rule) -> None:
    """Hold a per-incident rule's alert until its incident is known, at most the grouping wait."""
    key = f"group:{rule.pk}:{d.subject.pk}"
    # A subject created by this very event has no timers yet: no look-up.
    if not d.subject_is_new and NotificationTimer.objects.filter(key=key, fired_at__isnull=True).exists():
        return
    timer = NotificationTimer(
        organization_id=d.organization_id,
        kind=TimerKind.GROUP_WAIT,
        key=key,
        rule=rule,
        subject=d.subject,
        alert=d.alert,
        due_at=d.now + timedelta(seconds=conf.group_wait_seconds()),
        data={"event": d.event.as_dict(), "pattern": d.facts.pattern_key, "trigger": d.facts.trigger},
    )
    if d.writes is not None and d.writes.buffering:
        d.writes.timers.append(timer)  # inserted with the batch's other held rows
    else:
        timer.save(force_insert=True)


def schedule_digest(d: Decision, rule, pattern_key: str) -> None:
    """One digest per rule and pattern at the end of the window that held messages back."""
    key = f"digest:{rule.pk}:{hashlib.sha1(pattern_key.encode()).hexdigest()[:20]}"
    d.flush()  # the digest's window starts at the oldest message it counts
    if NotificationTimer.objects.filter(key=key, fired_at__isnull=True).exists():
        return
    window = timedelta(minutes=rule.rate_limit_window_minutes)
    oldest = (
        NotificationDelivery.objects.filter(
            rule=rule, pattern_key=pattern_key, kind=DeliveryKind.NEW, created_at__gte=d.now - window
        )
        .exclude(status__in=[DeliveryStatus.RATE_LIMITED, DeliveryStatus.SUPPRESSED])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    NotificationTimer.objects.create(
        organization_id=d.organization_id,
        kind=TimerKind.DIGEST,
        key=key,
        rule=rule,
        due_at=max((oldest or d.now) + window, d.now + timedelta(seconds=1)),
        data={"pattern": pattern_key, "since": d.now.isoformat(), "team_id": d.subject.team_id},
    )

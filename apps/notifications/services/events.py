"""Reacting to domain events: one transaction per batch of events decides every delivery they cause.

A batch is the events of one committed transaction of the producer (a storm webhook's alerts), in
publishing order; each is decided as if alone, with the same rules, grouping, rate limits,
snoozes and escalations. What a batch shares is the work: one statement marks its events
processed, one loads their alerts, one inserts the subjects its new alerts create, the rule cache
is checked once, and the first messages about those alerts are inserted in bulk and sent together
right after commit (see `outbox.OutboxWrites`).

Each event is receipted in the same transaction (aiops.events.claim), so a redelivered or
re-swept event (a worker killed after commit, before the broker ack) changes nothing.
Per-incident rules hold an alert until the incidents app tells us its incident
(incident.created / incident.alert_added), at most NOTIFICATIONS_GROUP_WAIT_SECONDS; then the alert is announced alone, and its message becomes the
incident's if the incident shows up later. So a 14-alert storm is one message, edited as alerts
join, and no alert waits forever on a correlation that never comes.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from aiops import events as bus
from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert

from ..choices import (
    DeliveryKind,
    DeliveryStatus,
    EscalationStatus,
    Grouping,
    SubjectKind,
    SubjectState,
    TimerKind,
    Trigger,
)
from ..matching import Facts, facts_from_event
from ..messages import analysis_excerpt
from ..models import (
    NotificationChannel,
    NotificationSubject,
    NotificationThread,
    NotificationTimer,
    SubjectAlert,
)
from ..selectors import incident_subjects_of, notification_config, rules_matching
from .decisions import (
    Decision,
    announced,
    attach,
    enrich,
    followup,
    notify_new,
    schedule_group_wait,
    subject_merge,
    subject_new,
    subject_upsert,
    suppressed,
)
from .escalations import escalations_stop
from .outbox import EventRef, OutboxWrites, thread_for, threads_notify

logger = logging.getLogger(__name__)
SUBSCRIBER = "notifications.handle_event"  # the task's name: its receipts in the event outbox


def event_process(*, event: dict, now: datetime | None = None) -> bool:
    """Decide and record every notification an event causes. False if it was already processed."""
    return events_process(events=[event], now=now) == 1


def events_process(*, events: list[dict], now: datetime | None = None, send_here: bool = False) -> int:
    """Decide the events of one batch in one transaction; returns how many were new to us.

    With `send_here` (a `notify` worker), the deliveries decided are sent by this process as soon
    as the decision commits, instead of by a task queued for them (see `outbox.OutboxWrites`).

    The kernel's `consume` records the batch's receipts in the same transaction, retries database
    errors with the batch, and decides a batch that fails for any other reason (a bug one event
    triggers) again one event at a time, so that event does not cost the others their notifications.
    """
    now = now or timezone.now()

    def decide(fresh: list[dict]) -> int:
        wanted = [e for e in fresh if e.get("name") in HANDLERS and e.get("organization_id")]
        if wanted:
            _Batch(wanted, now, send_here=send_here).decide()
        return len(wanted)

    return bus.consume(SUBSCRIBER, events, decide) or 0


class _Batch:
    """The shared look-ups and bulk writes of one batch of events, decided in publishing order.

    An `alert.received` whose subject does not exist yet (the storm case) gets its subject from
    one bulk insert made before any event is decided, and its decision holds the rows it writes
    for the end of the batch. Any other event first writes what is held and is then decided
    exactly like a lone event, so it sees everything the events before it decided.
    """

    def __init__(self, events: list[dict], now: datetime, *, send_here: bool = False):
        self.events = events
        self.now = now
        self.facts = [facts_from_event(event) for event in events]
        self.writes = OutboxWrites(send_here=send_here)
        self.alerts: dict[int, Alert] = {}
        self.created: dict[int, NotificationSubject] = {}  # position in the batch → subject it created
        self.config: dict[int, tuple] = {}
        self._incidents: dict[int, list[NotificationSubject]] | None = None

    def decide(self) -> None:
        self._load_alerts()
        self._create_subjects()
        for position, (event, facts) in enumerate(zip(self.events, self.facts, strict=True)):
            self.writes.buffering = position in self.created
            if not self.writes.buffering:
                self.writes.flush()
                self._incidents = None  # this event may link alerts to incidents: look again
            decision = _decision(event, facts, self.now, batch=self, position=position)
            if decision is not None:
                HANDLERS[event["name"]](decision)
        self.writes.buffering = False
        self.writes.flush()

    def _load_alerts(self) -> None:
        ids = {f.alert_id for f in self.facts if f.subject_kind == SubjectKind.ALERT and f.alert_id}
        if ids:
            self.alerts = Alert.objects.in_bulk(ids)

    def alert(self, alert_id: int | None, organization_id: int) -> Alert | None:
        alert = self.alerts.get(alert_id) if alert_id else None
        return alert if alert is not None and alert.organization_id == organization_id else None

    def _create_subjects(self) -> None:
        """One insert for the subjects the batch's new alerts create (the events deciding first)."""
        first: dict[tuple, int] = {}
        for position, (event, facts) in enumerate(zip(self.events, self.facts, strict=True)):
            first.setdefault((event["organization_id"], facts.subject_key), position)
        candidates = {
            key: position for key, position in first.items()
            if self.events[position]["name"] == "alert.received"
            and self.alert(self.facts[position].alert_id, key[0]) is not None
        }
        if not candidates:
            return
        existing = set()
        for org_id in {org for org, _ in candidates}:
            keys = [key for org, key in candidates if org == org_id]
            existing |= {(org_id, key) for key in NotificationSubject.objects.filter(
                organization_id=org_id, key__in=keys).values_list("key", flat=True)}
        new: dict[int, NotificationSubject] = {}
        for key, position in candidates.items():
            if key in existing:
                continue
            event, facts = self.events[position], self.facts[position]
            alert = self.alert(facts.alert_id, key[0])
            subject = subject_new(organization_id=key[0], facts=facts, alert=alert)
            subject_merge(subject, facts=facts, event=EventRef.of(event), alert=alert, merge=True)
            new[position] = subject
        # A concurrent batch creating one of these makes the insert fail: the whole batch rolls
        # back and the task retries, then finds (and locks) the other's row, like a lone event.
        NotificationSubject.objects.bulk_create(list(new.values()))
        self.created = new

    def incidents_of(self, alert_id: int) -> list[NotificationSubject]:
        """The incident subjects of an alert the batch announces, looked up for all of them at once.

        Only the batch's new alerts use it, and none of their decisions links an alert to an
        incident; any other event may, so it drops the look-up (see `decide`).
        """
        if self._incidents is None:
            ids = [subject.alert_id for subject in self.created.values()]
            self._incidents = {}
            links = SubjectAlert.objects.filter(
                alert_id__in=ids, subject__kind=SubjectKind.INCIDENT
            ).select_related("subject")
            for link in links.order_by("subject_id"):
                self._incidents.setdefault(link.alert_id, []).append(link.subject)
        return self._incidents.get(alert_id, [])

    def rules_and_snoozes(self, organization_id: int) -> tuple:
        if organization_id not in self.config:
            self.config[organization_id] = notification_config(organization_id)
        return self.config[organization_id]


def _decision(event: dict, facts: Facts, now: datetime, *, batch: _Batch, position: int) -> Decision | None:
    org_id = event["organization_id"]
    ref = EventRef.of(event)
    alert = None
    if facts.subject_kind == SubjectKind.ALERT:
        alert = batch.alert(facts.alert_id, org_id)
        if alert is None:
            return None  # deleted meanwhile, or another organisation's id: nothing to tell anyone
    family = event["name"].split(".", 1)[0]
    merge = family != "analysis"
    if position in batch.created:
        subject, previous, is_new = batch.created[position], SubjectState.OPEN, True
    else:
        subject, previous, is_new = subject_upsert(
            organization_id=org_id, facts=facts, event=ref, alert=alert, merge=merge
        )
    if alert is None and subject.kind == SubjectKind.ALERT and subject.alert_id:
        alert = subject.alert
    enrich(facts, subject.context)
    if subject.kind == SubjectKind.EXECUTION and facts.alert_ids:
        # A runbook run for an alert matches rules like the alert does ("critical → PagerDuty").
        origin = NotificationSubject.objects.filter(organization_id=org_id, key=f"alert:{facts.alert_ids[0]}").first()
        if origin is not None:
            enrich(facts, origin.context)
    rules, snoozes = batch.rules_and_snoozes(org_id)
    return Decision(
        organization_id=org_id,
        event=ref,
        facts=facts,
        now=now,
        subject=subject,
        alert=alert,
        previous_state=previous,
        snoozes=[s for s in snoozes if s.starts_at <= now < s.until],
        rules=rules,
        subject_is_new=is_new,
        writes=batch.writes,
        incidents_of=batch.incidents_of if position in batch.created else None,
    )


def _rules(d: Decision):
    return rules_matching(organization_id=d.organization_id, facts=d.facts, now=d.now, rules=d.rules)


def on_alert_received(d: Decision) -> None:
    rules = _rules(d)
    # The common storm case (a new alert, per-alert rules) needs no look-up of conversations.
    need_incidents = not d.subject_is_new or any(r.grouping == Grouping.PER_INCIDENT for r in rules)
    incidents = d.alert_incidents() if need_incidents else []
    if not d.event.data.get("is_new", True):
        threads_notify(subjects=[d.subject, *incidents], kind=DeliveryKind.UPDATE, event=d.event, now=d.now)
    for rule in rules:
        if not d.subject_is_new and (
            announced(rule, [d.subject, *incidents])
            or NotificationTimer.objects.filter(
                key=f"group:{rule.pk}:{d.subject.pk}", fired_at__isnull=True
            ).exists()
        ):
            continue  # a re-sent alert: its conversation exists (or is about to)
        if suppressed(d, rule):
            continue
        if rule.grouping == Grouping.PER_INCIDENT and incidents:
            attach(d, rule, incidents[0], d.subject, pattern_key=d.facts.pattern_key)
        elif rule.grouping == Grouping.PER_INCIDENT:
            schedule_group_wait(d, rule)
        else:
            notify_new(d, rule, d.subject, pattern_key=d.facts.pattern_key)


def on_alert_acknowledged(d: Decision) -> None:
    who = d.subject.context.get("acknowledged_by") or "—"
    source = d.event.data.get("source", "")
    incidents = incident_subjects_of(d.alert.pk)
    for incident in incidents:
        if incident.state == SubjectState.OPEN:
            incident.state = SubjectState.ACKNOWLEDGED
            incident.context = {**incident.context, "state": SubjectState.ACKNOWLEDGED, "acknowledged_by": who}
            incident.save(update_fields=["state", "context", "updated_at"])
    escalations_stop(
        subjects=[d.subject, *incidents],
        status=EscalationStatus.ACKNOWLEDGED,
        reason=f"acknowledged by {who} ({source})",
        now=d.now,
    )
    threads_notify(
        subjects=[d.subject, *incidents],
        kind=DeliveryKind.ACKNOWLEDGE,
        event=d.event,
        now=d.now,
        data={"by": who, "source": source},
    )


def on_alert_unacknowledged(d: Decision) -> None:
    threads_notify(subjects=[d.subject], kind=DeliveryKind.UNACKNOWLEDGE, event=d.event, now=d.now)


def on_alert_resolved(d: Decision) -> None:
    escalations_stop(
        subjects=[d.subject], status=EscalationStatus.RESOLVED, reason="alert resolved", now=d.now
    )
    threads_notify(subjects=[d.subject], kind=DeliveryKind.RESOLVE, event=d.event, now=d.now)
    for incident in incident_subjects_of(d.alert.pk):
        members = Alert.objects.filter(
            pk__in=SubjectAlert.objects.filter(subject=incident).values("alert_id")
        )
        if incident.state != SubjectState.RESOLVED and not members.exclude(status=AlertStatus.RESOLVED).exists():
            incident.state = SubjectState.RESOLVED
            incident.context = {**incident.context, "state": SubjectState.RESOLVED, "resolved_at": d.now.isoformat()}
            incident.save(update_fields=["state", "context", "updated_at"])
            escalations_stop(
                subjects=[incident],
                status=EscalationStatus.RESOLVED,
                reason="every alert resolved",
                now=d.now,
            )
            threads_notify(subjects=[incident], kind=DeliveryKind.RESOLVE, event=d.event, now=d.now)
        else:
            threads_notify(subjects=[incident], kind=DeliveryKind.UPDATE, event=d.event, now=d.now)


def on_incident_event(d: Decision) -> None:
    incident = d.subject
    _link_alerts(d, incident)
    if d.event.name == "incident.alert_added":
        threads_notify(subjects=[incident], kind=DeliveryKind.UPDATE, event=d.event, now=d.now)
    elif d.event.name == "incident.status_changed":
        _incident_state_changed(d, incident)
    for rule in _rules(d):
        if announced(rule, [incident]):
            continue
        notify_new(d, rule, incident, pattern_key=d.facts.pattern_key)


def _link_alerts(d: Decision, incident: NotificationSubject) -> None:
    """Remember which alerts the incident holds, and release alerts held for this grouping."""
    for alert in Alert.objects.filter(pk__in=d.facts.alert_ids, organization_id=d.organization_id):
        SubjectAlert.objects.get_or_create(
            subject=incident, alert=alert, defaults={"organization_id": d.organization_id}
        )
        alert_subject = NotificationSubject.objects.filter(
            organization_id=d.organization_id, key=f"alert:{alert.pk}"
        ).first()
        if alert_subject is None:
            continue  # not seen yet: when alert.received comes, the link is already known
        held = (
            NotificationTimer.objects.select_for_update(of=("self",))
            .filter(kind=TimerKind.GROUP_WAIT, subject=alert_subject, fired_at__isnull=True)
            .select_related("rule")
        )
        for timer in held:
            timer.fired_at, timer.outcome = d.now, f"grouped into {incident.key}"
            timer.save(update_fields=["fired_at", "outcome", "updated_at"])
            if timer.rule is not None and timer.rule.enabled:
                attach(d, timer.rule, incident, alert_subject, pattern_key=timer.data.get("pattern", ""))
        lone = NotificationThread.objects.filter(subject=alert_subject, rule__grouping=Grouping.PER_INCIDENT)
        for rule_id in set(lone.values_list("rule_id", flat=True)):
            rule = lone.filter(rule_id=rule_id).first().rule
            pattern = facts_from_event({"name": "alert.received", "data": alert_subject.context}).pattern_key
            attach(d, rule, incident, alert_subject, pattern_key=pattern)


def _incident_state_changed(d: Decision, incident: NotificationSubject) -> None:
    alert_subjects = NotificationSubject.objects.filter(
        organization_id=d.organization_id,
        kind=SubjectKind.ALERT,
        alert_id__in=SubjectAlert.objects.filter(subject=incident).values("alert_id"),
    )
    if incident.state == SubjectState.RESOLVED and d.previous_state != SubjectState.RESOLVED:
        escalations_stop(
            subjects=[incident, *alert_subjects],
            status=EscalationStatus.RESOLVED,
            reason="incident resolved",
            now=d.now,
        )
        threads_notify(subjects=[incident], kind=DeliveryKind.RESOLVE, event=d.event, now=d.now)
    elif incident.state == SubjectState.ACKNOWLEDGED and d.previous_state == SubjectState.OPEN:
        who = incident.context.get("acknowledged_by", "")
        escalations_stop(
            subjects=[incident, *alert_subjects],
            status=EscalationStatus.ACKNOWLEDGED,
            reason=f"incident {d.facts.status} ({who})",
            now=d.now,
        )
        threads_notify(
            subjects=[incident], kind=DeliveryKind.ACKNOWLEDGE, event=d.event, now=d.now, data={"by": who}
        )
    else:
        threads_notify(subjects=[incident], kind=DeliveryKind.UPDATE, event=d.event, now=d.now)


def on_analysis_completed(d: Decision) -> None:
    data = d.event.data
    failed = str(data.get("status", "")).lower() in ("failed", "error")
    excerpt = (
        f"Analysis failed: {data.get('failure_reason', '')}".strip() if failed else analysis_excerpt(data)
    )
    if not failed:  # a failed analysis is worth a reply, not a place in the alert's message
        d.subject.context["analysis"] = {
            "excerpt": excerpt,
            "url": data.get("url", ""),
            "status": data.get("status"),
        }
        d.subject.save(update_fields=["context", "updated_at"])
        threads_notify(subjects=[d.subject], kind=DeliveryKind.UPDATE, event=d.event, now=d.now)
    extra = {"analysis": True, "analysis_excerpt": excerpt, "analysis_url": data.get("url", "")}
    for rule in _rules(d):
        if not followup(d, rule, d.subject, data=extra):
            notify_new(d, rule, d.subject, pattern_key=d.facts.pattern_key, data=extra)


# SLA events name the channels that want them (an SLA's breach channels, the report's e-mail).
SLA_EVENTS = ("sla.breached", "sla.warning", "sla.report_ready")
CAPACITY_EVENTS = ("capacity.breach_forecast", "capacity.report_ready")
# A runbook repository whose syncs start failing names its failure channel in the event.
GITSYNC_EVENTS = ("gitsync.sync_failed",)


def on_other(d: Decision) -> None:
    """Runbook, SLA and escalation events: a new message, or a reply in the subject's conversation."""
    threads_notify(subjects=[d.subject], kind=DeliveryKind.UPDATE, event=d.event, now=d.now)
    for rule in _rules(d):
        if d.facts.trigger == Trigger.ESCALATION or not followup(d, rule, d.subject):
            notify_new(d, rule, d.subject, pattern_key=d.facts.pattern_key)
    if d.event.name in ("runbook.execution_finished", *SLA_EVENTS, *CAPACITY_EVENTS, *GITSYNC_EVENTS):
        runbook_notifications(d)


def runbook_notifications(d: Decision) -> int:
    """A runbook's own `notifications:` entries ("on_failure: - channel: pagerduty"), sent as asked.

    `channel` names a channel (case-insensitive) or, failing that, a channel type; only channels
    the execution's team may use (organisation-wide or the same team) are considered.
    """
    queued = 0
    usable = NotificationChannel.objects.filter(organization_id=d.organization_id, enabled=True).filter(
        Q(team__isnull=True) | Q(team_id=d.subject.team_id)
    )
    for entry in d.event.data.get("notifications") or []:
        wanted = str(entry.get("channel", "")).strip()
        channels = list(usable.filter(name__iexact=wanted)) or list(usable.filter(kind=wanted.lower()))
        data = {"message": entry.get("message", ""), "severity": str(entry.get("severity", "")).lower()}
        for channel in channels:
            d.queue(DeliveryKind.NEW, channel=channel, data=data,
                    thread=thread_for(subject=d.subject, rule=None, channel=channel))
            queued += 1
        if not channels:
            d.queue(DeliveryKind.NEW, channel=None, data=data, status=DeliveryStatus.FAILED,
                    reason=f"runbook asked for channel {wanted!r}, which does not exist")
    return queued


HANDLERS = {
    "alert.received": on_alert_received,
    "alert.acknowledged": on_alert_acknowledged,
    "alert.unacknowledged": on_alert_unacknowledged,
    "alert.resolved": on_alert_resolved,
    "incident.created": on_incident_event,
    "incident.alert_added": on_incident_event,
    "incident.status_changed": on_incident_event,
    "analysis.completed": on_analysis_completed,
    "runbook.approval_needed": on_other,
    "runbook.execution_started": on_other,
    "runbook.execution_finished": on_other,
    "sla.breached": on_other,
    "sla.warning": on_other,
    "sla.report_ready": on_other,
    "capacity.breach_forecast": on_other,
    "capacity.report_ready": on_other,
    "escalation.fired": on_other,
    "gitsync.sync_failed": on_other,
}

HANDLED_EVENTS = tuple(HANDLERS)

"""Escalations: start from a policy snapshot, fire steps on time, stop on acknowledgment.

Level delays count from the start of the escalation, like the brief's example (0, 15, 30 and
60 minutes). A level may repeat every `repeat_interval_minutes`, `repeat_count` times, until the
next level is due. The whole schedule is computed when the escalation starts and frozen in its
snapshot, so editing or deleting the policy never changes a running escalation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from aiops import events
from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert

from ..choices import ChannelKind, DeliveryKind, DeliveryStatus, EscalationStatus, SubjectKind, SubjectState, TimerKind
from ..matching import facts_from_event
from ..models import Escalation, EscalationPolicy, NotificationChannel, NotificationSubject, NotificationTimer
from ..selectors import active_snooze
from .outbox import EventRef, queue_delivery, thread_for
from .personal import queue_personal


def policy_schedule(policy: EscalationPolicy) -> dict:
    """The frozen form of a policy: its levels and every step with its offset in seconds."""
    levels = [
        {
            "level": index,
            "position": lvl.position,
            "delay_minutes": lvl.delay_minutes,
            "channels": sorted(c.pk for c in lvl.channels.all()),
            "repeat_count": lvl.repeat_count,
            "repeat_interval_minutes": lvl.repeat_interval_minutes,
            "oncall": (
                {"schedule_id": lvl.oncall_schedule_id, "target": lvl.oncall_target or "primary"}
                if lvl.oncall_schedule_id else
                {"user_id": lvl.oncall_user_id, "target": "user"} if lvl.oncall_user_id else None
            ),
        }
        for index, lvl in enumerate(
            policy.levels.order_by("position", "pk").prefetch_related("channels"), start=1
        )
    ]
    steps = []
    for i, lvl in enumerate(levels):
        next_delay = levels[i + 1]["delay_minutes"] if i + 1 < len(levels) else None
        steps.append(
            {
                "level": lvl["level"],
                "repeat": 0,
                "offset": lvl["delay_minutes"] * 60,
                "channels": lvl["channels"],
                "oncall": lvl["oncall"],
            }
        )
        interval = max(1, lvl["repeat_interval_minutes"])
        for repeat in range(1, lvl["repeat_count"] + 1):
            minutes = lvl["delay_minutes"] + repeat * interval
            if next_delay is not None and minutes >= next_delay:
                break
            steps.append({"level": lvl["level"], "repeat": repeat, "offset": minutes * 60,
                          "channels": lvl["channels"], "oncall": lvl["oncall"]})
    steps.sort(key=lambda s: (s["offset"], s["level"], s["repeat"]))
    return {"policy": {"id": policy.pk, "name": policy.name}, "levels": levels, "schedule": steps}


def policy_for_rule(rule) -> EscalationPolicy | None:
    if rule.escalation_policy_id:
        return rule.escalation_policy
    return EscalationPolicy.objects.filter(organization_id=rule.organization_id, is_default=True).first()


def escalation_start(
    *, rule, subject: NotificationSubject, event: EventRef, now: datetime
) -> Escalation | None:
    """Start (once per subject and rule) and fire every step already due (level 1 at 0 minutes)."""
    policy = policy_for_rule(rule)
    if policy is None:
        return None
    existing = Escalation.objects.filter(subject=subject, rule=rule, status=EscalationStatus.ACTIVE).first()
    if existing:
        return existing
    snapshot = policy_schedule(policy)
    if not snapshot["schedule"]:
        return None
    escalation = Escalation.objects.create(
        organization_id=subject.organization_id,
        team_id=subject.team_id,
        subject=subject,
        rule=rule,
        policy=policy,
        policy_name=policy.name,
        snapshot=snapshot,
        started_at=now,
    )
    advance(escalation=escalation, event=event, now=now)
    return escalation


def advance(*, escalation: Escalation, event: EventRef, now: datetime) -> int:
    """Fire the steps that are due, then schedule the next one (or finish). Caller holds the row lock."""
    fired = 0
    while (step := escalation.next_step) is not None and escalation.started_at + timedelta(
        seconds=step["offset"]
    ) <= now:
        _fire(escalation, step, event, now)
        escalation.step += 1
        fired += 1
    step = escalation.next_step
    if step is None:
        escalation.status = EscalationStatus.EXHAUSTED
        escalation.stopped_at = now
        escalation.stopped_reason = "every level fired"
    else:
        NotificationTimer.objects.create(
            organization_id=escalation.organization_id,
            kind=TimerKind.ESCALATE,
            escalation=escalation,
            step=escalation.step,
            due_at=escalation.started_at + timedelta(seconds=step["offset"]),
            key=f"escalate:{escalation.pk}:{escalation.step}",
            data={"event": event.as_dict()},
        )
    escalation.save()
    return fired


def _fire(escalation: Escalation, step: dict, cause: EventRef, now: datetime) -> None:
    subject = escalation.subject
    event = EventRef(id=cause.id, name="escalation.fired", occurred_at=now.isoformat())
    channels = list(
        NotificationChannel.objects.filter(
            pk__in=step["channels"], enabled=True, organization_id=escalation.organization_id
        )
    )
    level, minutes = step["level"], step["offset"] // 60
    escalation.current_level = level
    names = ", ".join(c.name for c in channels) or "no enabled channel"
    reason = f"level {level}" + (f" (repeat {step['repeat']})" if step["repeat"] else "") + f" → {names}"
    person = oncall_person(escalation.organization_id, step.get("oncall"), now)
    if step.get("oncall"):
        nobody = ("; the named person is no longer a member" if step["oncall"].get("target") == "user"
                  else "; nobody on call to page")
        reason += f"; paged {person['name']} ({person['why']})" if person else nobody
    # Quiet hours: a non-critical page reaches the person through none of their own methods.
    quiet = person is not None and (subject.context.get("severity") or "") != "critical" and _quiet(
        escalation, person, now)
    if quiet:
        reason = reason.replace(f"; paged {person['name']} ", f"; not paged {person['name']} ", 1)
        reason += " — quiet hours, not critical"
    def write(**fields):
        return queue_delivery(organization_id=escalation.organization_id, event=event, now=now, subject=subject,
                              kind=DeliveryKind.ESCALATION, rule=escalation.rule, escalation=escalation,
                              level=level, **fields)

    data = {"level": level, "repeat": step["repeat"], "after_minutes": minutes, "policy": escalation.policy_name}
    ctx = subject.context
    if person and not quiet:
        data["paged"] = f"{person['name']} ({person['why']})"
        # The person's own methods (quiet rules apply); the level's e-mail channels write to them too.
        via = queue_personal(
            organization_id=escalation.organization_id, person=person, event=event, kind=DeliveryKind.ESCALATION,
            now=now, data=data, severity=ctx.get("severity") or "", preferred=channels,
            skip_emails=[person["email"]] if any(c.kind == ChannelKind.EMAIL for c in channels) else [],
            dedup=f"page:{escalation.pk}:{escalation.step}", subject=subject, rule=escalation.rule,
            escalation=escalation, level=level)
        if via:
            reason += " via " + ", ".join(via)
        data = {**data, "recipient": {"user_id": person["user_id"], "name": person["name"],
                                      "email": person["email"]}}
    write(channel=None, status=DeliveryStatus.ESCALATED, reason=reason)  # the record that this level fired
    for channel in channels:
        write(channel=channel, data=data, thread=thread_for(subject=subject, rule=escalation.rule, channel=channel))
    events.publish(
        "escalation.fired",
        org=escalation.organization_id,
        subject=escalation,
        id=escalation.pk,
        escalation_id=escalation.pk,
        level=level,
        repeat=step["repeat"],
        title=subject.title,
        severity=ctx.get("severity", ""),
        url=ctx.get("url", ""),
        team_id=subject.team_id,
        subject_key=subject.key,
        alert_id=subject.alert_id,
        incident_id=subject.incident_id,
        policy=escalation.policy_name,
        paged=[data["paged"]] if "paged" in data else [],
    )


def _quiet(escalation: Escalation, person: dict, now: datetime) -> bool:
    from apps.oncall.selectors import in_quiet_hours

    return in_quiet_hours(organization_id=escalation.organization_id, user_id=person["user_id"], at=now)


def oncall_person(organization_id: int, target: dict | None, now: datetime) -> dict | None:
    """The person a level pages (a schedule's on-call or a named person), resolved when the level fires."""
    if not target:
        return None
    from apps.oncall.selectors import escalation_target, named_target

    if target.get("target") == "user":
        return named_target(organization_id=organization_id, user_id=target["user_id"])

    return escalation_target(organization_id=organization_id, schedule_id=target["schedule_id"],
                             target=target.get("target") or "primary", at=now)


def escalations_stop(*, subjects=None, status: str, reason: str, now: datetime, escalations=None) -> int:
    """Stop the running escalations of these subjects (or these escalations) and retire their timers."""
    stopped = 0
    qs = Escalation.objects.filter(subject__in=subjects) if escalations is None else escalations
    for escalation in qs.select_for_update().filter(status=EscalationStatus.ACTIVE):
        escalation.status, escalation.stopped_at, escalation.stopped_reason = status, now, reason[:300]
        escalation.save(update_fields=["status", "stopped_at", "stopped_reason", "updated_at"])
        NotificationTimer.objects.filter(escalation=escalation, fired_at__isnull=True).update(
            fired_at=now, outcome=f"escalation {status}"
        )
        stopped += 1
    return stopped


def escalation_timer_fire(*, timer: NotificationTimer, now: datetime) -> str:
    """Fire a due escalation step if the timer is still the current one and nobody has responded."""
    escalation = (
        Escalation.objects.select_for_update(of=("self",)).select_related("subject", "rule").get(pk=timer.escalation_id)
    )
    if not escalation.is_active or escalation.step != timer.step:
        return "stale"
    # Events can be late or lost; the alert rows are the truth about acknowledgment.
    if (stop := _already_handled(escalation.subject)) is not None:
        escalations_stop(subjects=[escalation.subject], status=stop[0], reason=stop[1], now=now)
        return stop[1]
    facts = facts_from_event({"name": "alert.received", "data": escalation.subject.context, "subject": None})
    if escalation.subject.kind == SubjectKind.ALERT and active_snooze(
        organization_id=escalation.organization_id, facts=facts, rule_id=escalation.rule_id, now=now
    ):
        escalations_stop(
            subjects=[escalation.subject], status=EscalationStatus.SNOOZED, reason="pattern snoozed", now=now
        )
        return "snoozed"
    event = (
        EventRef(**{"data": {}, **timer.data.get("event", {})})
        if timer.data.get("event")
        else EventRef(id="", name="escalation.fired")
    )
    fired = advance(escalation=escalation, event=event, now=now)
    return f"fired {fired} step(s)"


def _already_handled(subject: NotificationSubject) -> tuple[str, str] | None:
    if subject.state == SubjectState.RESOLVED:
        return EscalationStatus.RESOLVED, "resolved"
    if subject.state == SubjectState.ACKNOWLEDGED:
        return EscalationStatus.ACKNOWLEDGED, "acknowledged"
    alerts = (
        Alert.objects.filter(pk=subject.alert_id)
        if subject.kind == SubjectKind.ALERT
        else Alert.objects.filter(pk__in=subject.alert_links.values("alert_id"))
    )
    rows = list(alerts.values("status", "acknowledged_at"))
    if not rows:
        return None
    if any(r["acknowledged_at"] for r in rows):
        return EscalationStatus.ACKNOWLEDGED, "acknowledged"
    if all(r["status"] == AlertStatus.RESOLVED for r in rows):
        return EscalationStatus.RESOLVED, "resolved"
    return None


@transaction.atomic
def escalation_cancel(*, escalation: Escalation, user) -> Escalation:
    """Stop an escalation by hand (an operator decided nobody else needs paging)."""
    who = user.get_username() if user else "system"
    escalations_stop(
        escalations=Escalation.objects.filter(pk=escalation.pk),
        status=EscalationStatus.CANCELLED,
        reason=f"cancelled by {who}",
        now=timezone.now(),
    )
    escalation.refresh_from_db()
    return escalation

"""React to `alert.received`: run `auto` runbooks, ask for approval of `semi_auto` ones, and leave
`manual` ones as suggestions (the alert page lists them).

A trigger's `min_duration_seconds` is a DB timer (TriggerWait, due at the alert's start plus the
duration): the beat task fires it only if the alert is still firing then.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.alerts.models import Alert

from ..choices import Mode, TriggerKind
from ..matching import matching_trigger
from ..models import Runbook, RunbookExecution, TriggerWait
from ..selectors import runbooks_for_alerts
from .executions import ExecutionRefused, execution_request

logger = logging.getLogger(__name__)


def runbooks_on_alerts_received(*, events: list[dict]) -> int:
    """Handle a batch of alert.received events (one transaction's); returns how many runbooks fired
    or started waiting.

    Per organisation, the alerts, the runbooks they may trigger and the pairs already handled are
    read with one query each, and the minimum-duration timers inserted together. Firing stays one
    pair at a time, each in its own transaction: rate limits, cooldowns and duplicate checks lock
    the runbook, and a run starts as soon as its request commits. A (runbook, alert) pair that
    already has an alert-triggered execution or a timer is skipped, so a redelivered batch starts
    nothing twice. A pair that fails does not cost the others theirs; its error is raised after.
    """
    wanted: dict[int, list[int]] = defaultdict(list)
    problems: list[Exception] = []
    for event in events:
        data = event.get("data") or {}
        if data.get("is_new") is False or data.get("status") == "resolved":
            continue  # a re-sent notification or a resolve: the episode was handled when it first fired
        try:
            if data.get("alert_id"):
                wanted[event["organization_id"]].append(int(data["alert_id"]))
        except (KeyError, TypeError, ValueError) as exc:
            logger.exception("alert.received event not usable for runbook triggers", extra={"event": event.get("id")})
            problems.append(exc)
    handled = 0
    for organization_id, alert_ids in wanted.items():
        handled += _handle_alerts(organization_id, alert_ids, problems)
    if problems:
        raise problems[0]
    return handled


def _handle_alerts(organization_id: int, alert_ids: list[int], problems: list) -> int:
    found = {a.pk: a for a in Alert.objects.filter(pk__in=alert_ids, organization_id=organization_id)}
    alerts = [found[pk] for pk in dict.fromkeys(alert_ids) if pk in found]
    matches = runbooks_for_alerts(alerts, modes=(Mode.AUTO, Mode.SEMI_AUTO))
    done = set(
        RunbookExecution.objects.filter(alert__in=alerts, trigger=TriggerKind.ALERT)
        .values_list("runbook_id", "alert_id")
    ) | set(TriggerWait.objects.filter(alert__in=alerts).values_list("runbook_id", "alert_id"))
    now, waits, fires = timezone.now(), [], []
    for alert in alerts:
        for runbook, trigger in matches[alert.pk]:
            if (runbook.pk, alert.pk) in done:
                continue  # a redelivered event: this runbook already fired or waits for this alert
            due = alert.starts_at + timedelta(seconds=trigger.get("min_duration_seconds") or 0)
            if due > now:
                waits.append(TriggerWait(organization_id=organization_id, runbook=runbook, alert=alert, due_at=due))
            else:
                fires.append((runbook, alert, trigger))
    TriggerWait.objects.bulk_create(waits, ignore_conflicts=True)  # a concurrent delivery's timer stands
    for runbook, alert, trigger in fires:
        try:
            fire(runbook=runbook, alert=alert, trigger=trigger)
        except Exception as exc:
            logger.exception("runbook trigger failed", extra={"runbook": runbook.pk, "alert": alert.pk})
            problems.append(exc)
    return len(waits) + len(fires)


def fire(*, runbook: Runbook, alert: Alert, trigger: dict) -> str:
    """Request the run for an alert; a refusal is recorded on a `refused` execution and returned."""
    reason = f"alert {alert.name} ({alert.severity}) matched trigger {trigger['alert_pattern']!r}"
    try:
        execution = execution_request(
            runbook=runbook, trigger=TriggerKind.ALERT, alert=alert, reason=reason, record_refusal=True
        )
    except ExecutionRefused as exc:
        logger.info(
            "runbook trigger refused", extra={"runbook": runbook.pk, "alert": alert.pk, "code": exc.code}
        )
        return f"refused: {exc}"
    return f"execution #{execution.pk} {execution.status}"


def trigger_waits_fire_due(*, now=None, batch: int = 100) -> int:
    """Fire delayed triggers whose time came (skip_locked: one beat worker claims each row)."""
    now = now or timezone.now()
    fired = 0
    with transaction.atomic():
        due = list(
            TriggerWait.objects.select_for_update(skip_locked=True)
            .filter(fired_at__isnull=True, due_at__lte=now)
            .select_related("runbook", "alert")
            .order_by("due_at")[:batch]
        )
        for wait in due:
            wait.outcome = _fire_wait(wait)
            wait.fired_at = now
            wait.save(update_fields=["outcome", "fired_at", "updated_at"])
            fired += 1
    return fired


def _fire_wait(wait: TriggerWait) -> str:
    alert, runbook = wait.alert, wait.runbook
    if alert.status != "firing":
        return "skipped: the alert resolved before the minimum duration"
    if not runbook.enabled or runbook.mode not in (Mode.AUTO, Mode.SEMI_AUTO):
        return "skipped: the runbook is disabled or no longer automatic"
    trigger = matching_trigger(
        runbook.definition, name=alert.name, severity=alert.severity, labels=alert.labels or {}
    )
    if trigger is None:
        return "skipped: the runbook's triggers no longer match"
    return fire(runbook=runbook, alert=alert, trigger=trigger)

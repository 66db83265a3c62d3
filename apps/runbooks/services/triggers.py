"""React to `alert.received`: run `auto` runbooks, ask for approval of `semi_auto` ones, and leave
`manual` ones as suggestions (the alert page lists them).

A trigger's `min_duration_seconds` is a DB timer (TriggerWait, due at the alert's start plus the
duration): the beat task fires it only if the alert is still firing then.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.alerts.models import Alert

from ..choices import Mode, TriggerKind
from ..matching import matching_trigger
from ..models import Runbook, TriggerWait
from ..selectors import runbooks_for_alert
from .executions import ExecutionRefused, execution_request

logger = logging.getLogger(__name__)


def runbooks_on_alert_received(*, event: dict) -> int:
    """Handle one alert.received event; returns how many runbooks fired or started waiting."""
    data = event.get("data") or {}
    if data.get("is_new") is False or data.get("status") == "resolved":
        return 0  # a re-sent notification or a resolve: the episode was handled when it first fired
    alert = Alert.objects.filter(pk=data.get("alert_id"), organization_id=event["organization_id"]).first()
    if alert is None:
        return 0
    handled = 0
    for runbook, trigger in runbooks_for_alert(alert, modes=(Mode.AUTO, Mode.SEMI_AUTO)):
        due = alert.starts_at + timedelta(seconds=trigger.get("min_duration_seconds") or 0)
        if due > timezone.now():
            try:
                with transaction.atomic():
                    TriggerWait.objects.create(
                        organization_id=alert.organization_id, runbook=runbook, alert=alert, due_at=due
                    )
            except IntegrityError:
                continue  # already waiting for this alert
        else:
            fire(runbook=runbook, alert=alert, trigger=trigger)
        handled += 1
    return handled


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

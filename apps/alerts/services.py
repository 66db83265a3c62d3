"""Alert lifecycle write paths: acknowledge, unacknowledge, resolve by hand, silence, assign.

Every action is recorded as an AlertEvent with its source (web, api, chat, ...) and published as
a domain event after commit. Ingestion (creating and resolving alerts from webhooks) lives in
`ingest.py`.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aiops import events
from aiops.exceptions import ActionRefused

from .choices import ActionSource, AlertEventKind, AlertStatus
from .models import Alert, AlertEvent
from .summary import alert_summary


class AlertActionError(ActionRefused):
    """The action does not apply to the alert in its current state (a user-facing message)."""


def _record(alert: Alert, *, kind: str, source: str, actor=None, note: str = "", data: dict | None = None,
            at: datetime | None = None) -> AlertEvent:
    return AlertEvent.objects.create(
        organization_id=alert.organization_id, alert=alert, kind=kind, source=source, actor=actor,
        at=at or timezone.now(), note=note, data=data or {},
    )


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user, source: str = ActionSource.WEB, note: str = "") -> Alert:
    """Acknowledge a firing alert; idempotent for an alert already acknowledged."""
    alert = _locked(alert)
    if alert.acknowledged_at is not None:
        return alert
    if alert.status == AlertStatus.RESOLVED:
        raise AlertActionError("A resolved alert cannot be acknowledged.")
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = user
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    _record(alert, kind=AlertEventKind.ACKNOWLEDGED, source=source, actor=user, note=note, at=alert.acknowledged_at)
    events.publish("alert.acknowledged", org=alert.organization_id, subject=alert, actor=user,
                   source=source, **alert_summary(alert))
    return alert


@transaction.atomic
def alert_unacknowledge(*, alert: Alert, user, source: str = ActionSource.WEB, note: str = "") -> Alert:
    alert = _locked(alert)
    if alert.acknowledged_at is None:
        raise AlertActionError("The alert is not acknowledged.")
    alert.acknowledged_at = None
    alert.acknowledged_by = None
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    _record(alert, kind=AlertEventKind.UNACKNOWLEDGED, source=source, actor=user, note=note)
    events.publish("alert.unacknowledged", org=alert.organization_id, subject=alert, actor=user,
                   source=source, **alert_summary(alert))
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, user, source: str = ActionSource.WEB, note: str = "") -> Alert:
    """Resolve by hand (for sources that never send a resolve, e.g. some Grafana setups)."""
    alert = _locked(alert)
    if alert.status == AlertStatus.RESOLVED:
        return alert
    now = timezone.now()
    alert.status = AlertStatus.RESOLVED
    alert.ends_at = alert.ends_at or now
    alert.resolved_at = now
    alert.resolved_by = user
    alert.save(update_fields=["status", "ends_at", "resolved_at", "resolved_by", "updated_at"])
    _record(alert, kind=AlertEventKind.RESOLVED, source=source, actor=user, note=note, at=now)
    events.publish("alert.resolved", org=alert.organization_id, subject=alert, actor=user,
                   source=source, **alert_summary(alert))
    return alert


@transaction.atomic
def alert_silence(*, alert: Alert, user, until: datetime | None, source: str = ActionSource.WEB, note: str = "") -> Alert:
    """Silence (snooze) an alert until a time; `until=None` lifts the silence."""
    alert = _locked(alert)
    if until is not None and until <= timezone.now():
        raise AlertActionError("The silence must end in the future.")
    alert.silenced_until = until
    alert.save(update_fields=["silenced_until", "updated_at"])
    kind = AlertEventKind.SILENCED if until else AlertEventKind.UNSILENCED
    _record(alert, kind=kind, source=source, actor=user, note=note,
            data={"until": until.isoformat() if until else None})
    events.publish("alert.silenced", org=alert.organization_id, subject=alert, actor=user, source=source,
                   silenced_until=until.isoformat() if until else None, **alert_summary(alert))
    return alert


@transaction.atomic
def alert_assign(*, alert: Alert, user, assignee, source: str = ActionSource.WEB, note: str = "") -> Alert:
    """Assign to a member of the alert's organisation (or unassign with `assignee=None`)."""
    from apps.tenancy.models import Membership

    if assignee is not None and not Membership.objects.filter(
        organization_id=alert.organization_id, user=assignee
    ).exists():
        raise AlertActionError("The assignee is not a member of this organisation.")
    alert = _locked(alert)
    alert.assigned_to = assignee
    alert.save(update_fields=["assigned_to", "updated_at"])
    _record(alert, kind=AlertEventKind.ASSIGNED, source=source, actor=user, note=note,
            data={"assignee": assignee.get_username() if assignee else None})
    events.publish("alert.assigned", org=alert.organization_id, subject=alert, actor=user, source=source,
                   assignee_id=assignee.pk if assignee else None, **alert_summary(alert))
    return alert


def raw_payloads_prune(*, now: datetime | None = None, batch: int = 5000) -> int:
    """Delete raw webhook bodies past ALERTS_RAW_PAYLOAD_RETENTION_DAYS, in bounded batches."""
    from datetime import timedelta

    from . import conf
    from .models import RawPayload

    cutoff = (now or timezone.now()) - timedelta(days=conf.raw_payload_retention_days())
    deleted = 0
    while True:
        ids = list(RawPayload.objects.filter(received_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += RawPayload.objects.filter(pk__in=ids).delete()[0]

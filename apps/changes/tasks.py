"""Celery tasks: take ids from domain events, re-scope, call one correlation service."""

from celery import shared_task

from apps.alerts.models import Alert

from . import correlation
from .models import ChangeEvent


@shared_task(name="changes.correlate_alert", ignore_result=True)
def correlate_alert(event: dict) -> int:
    """`alert.received` → score the changes made before the alert started."""
    alert_id = (event.get("data") or {}).get("alert_id") or (event.get("subject") or {}).get("id")
    alert = Alert.objects.filter(pk=alert_id, organization_id=event.get("organization_id")).first()
    if alert is None:
        return 0
    return len(correlation.correlate_alert(alert=alert))


@shared_task(name="changes.correlate_change", ignore_result=True)
def correlate_change(event: dict) -> int:
    """`change.recorded` → score the alerts that started during or after the change (late webhooks)."""
    change_id = (event.get("data") or {}).get("change_id") or (event.get("subject") or {}).get("id")
    change = ChangeEvent.objects.filter(pk=change_id, organization_id=event.get("organization_id")).first()
    if change is None:
        return 0
    return len(correlation.correlate_change(change=change))

"""Celery subscribers: correlate each new alert; refresh (and maybe resolve) incidents on resolution."""

from celery import shared_task

from . import correlation


def _alert_id(event: dict) -> int | None:
    data = event.get("data") or {}
    subject = event.get("subject") or {}
    return data.get("alert_id") or (subject.get("id") if subject.get("type") == "alerts.alert" else None)


@shared_task(
    name="incidents.correlate_alert",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def correlate_alert(event: dict) -> None:
    """`alert.received` → place the alert in an incident (the decision is in correlation.py)."""
    alert_id = _alert_id(event)
    if alert_id is not None:
        correlation.correlate_alert(organization_id=event["organization_id"], alert_id=alert_id)


@shared_task(
    name="incidents.alert_resolved",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def alert_resolved(event: dict) -> None:
    """`alert.resolved` → recount the incident's firing alerts; auto-resolve when none fire."""
    alert_id = _alert_id(event)
    if alert_id is not None:
        correlation.alert_resolved(organization_id=event["organization_id"], alert_id=alert_id)

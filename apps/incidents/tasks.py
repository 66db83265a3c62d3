"""Celery subscribers (batch): place each commit's new alerts; refresh incidents as alerts resolve.

Both take the list of events of one committed transaction (a whole Alertmanager webhook), so a
storm is decided in one transaction per webhook rather than one per alert. Each records its
receipts in that transaction (aiops.events.consume), so a redelivered or re-swept batch does
nothing twice; beyond that, an alert already in an incident keeps it, and recounting is idempotent.
"""

from collections import defaultdict

from celery import shared_task

from aiops import events

from . import correlation


def _alert_ids_by_org(batch: list[dict]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for event in batch:
        data = event.get("data") or {}
        subject = event.get("subject") or {}
        alert_id = data.get("alert_id") or (subject.get("id") if subject.get("type") == "alerts.alert" else None)
        if alert_id is not None:
            grouped[event["organization_id"]].append(alert_id)
    return grouped


@shared_task(
    name="incidents.correlate_alerts",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def correlate_alerts(batch: list[dict]) -> None:
    """`alert.received` × N → place the alerts in incidents (the decisions are in correlation.py)."""
    events.consume(correlate_alerts.name, batch, _place)


def _place(fresh: list[dict]) -> None:
    for organization_id, alert_ids in _alert_ids_by_org(fresh).items():
        correlation.correlate_alerts(organization_id=organization_id, alert_ids=alert_ids)


@shared_task(
    name="incidents.alerts_resolved",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def alerts_resolved(batch: list[dict]) -> None:
    """`alert.resolved` × N → recount the incidents' firing alerts; auto-resolve when none fire."""
    events.consume(alerts_resolved.name, batch, _recount)


def _recount(fresh: list[dict]) -> None:
    for organization_id, alert_ids in _alert_ids_by_org(fresh).items():
        correlation.alerts_resolved(organization_id=organization_id, alert_ids=alert_ids)

"""Celery subscriber: every firing alert registers (or refreshes) the service it names."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from . import conf, services


@shared_task(name="topology.discover_from_alert", ignore_result=True)
def discover_from_alert(event: dict) -> None:
    """`alert.received` → register the alert's service in the registry (discovered_from=alert)."""
    data = event.get("data") or {}
    if not conf.discovery_enabled() or not data.get("service"):
        return
    labels = data.get("labels") or {}
    services.service_touch_from_alert(
        organization_id=event["organization_id"],
        name=data["service"],
        environment=data.get("environment") or "",
        namespace=str(labels.get("namespace", "")),
        team_id=data.get("team_id"),
        seen_at=parse_datetime(data["starts_at"]) if data.get("starts_at") else None,
    )

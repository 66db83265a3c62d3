"""Celery subscriber: the alerts of a committed transaction register (or refresh) the services they name."""

import logging

from celery import shared_task
from django.utils.dateparse import parse_datetime

from aiops import events

from . import conf, services

logger = logging.getLogger(__name__)


@shared_task(name="topology.discover_from_alert", ignore_result=True)
def discover_from_alert(batch: list[dict] | dict) -> None:
    """`alert.received` (a batch) → register the alerts' services in the registry, set-based.

    Safe to redeliver (receipts; and a service is registered once, `last_seen` only moves forward).
    With discovery switched off the events are still receipted, so the outbox does not resend them.
    """
    events.consume(discover_from_alert.name, batch, _discover)


def _discover(fresh: list[dict]) -> None:
    if not conf.discovery_enabled():
        return
    sightings, problems = [], []
    for event in fresh:
        try:
            sightings.append(_sighting(event))
        except (KeyError, TypeError, ValueError) as exc:  # one malformed event must not cost the others
            logger.exception("alert.received event not usable for discovery", extra={"event": event.get("id")})
            problems.append(exc)
    services.services_touch_from_alerts(sightings=[s for s in sightings if s is not None])
    if problems:
        raise problems[0]


def _sighting(event: dict) -> services.Sighting | None:
    data = event.get("data") or {}
    if not data.get("service"):
        return None
    labels = data.get("labels") or {}
    return services.Sighting(
        organization_id=event["organization_id"],
        name=data["service"],
        environment=data.get("environment") or "",
        namespace=str(labels.get("namespace", "")),
        team_id=data.get("team_id"),
        seen_at=parse_datetime(data["starts_at"]) if data.get("starts_at") else None,
    )

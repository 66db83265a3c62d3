"""Celery tasks: take ids from domain events (one committed transaction's, in a batch), re-scope,
call one correlation service."""

import logging

from celery import shared_task

from aiops import events
from apps.alerts.models import Alert

from . import correlation
from .models import ChangeEvent

logger = logging.getLogger(__name__)


@shared_task(name="changes.correlate_alert", ignore_result=True)
def correlate_alert(batch: list[dict] | dict) -> int:
    """`alert.received` (a batch) → score the changes made before each alert started.

    A redelivered batch is skipped by its receipts (and links are upserted by (change, alert)).
    """
    return events.consume(correlate_alert.name, batch,
                          lambda fresh: len(correlation.correlate_alerts(alerts=_rows(Alert, fresh, "alert_id")))) or 0


@shared_task(name="changes.correlate_change", ignore_result=True)
def correlate_change(batch: list[dict] | dict) -> int:
    """`change.recorded` (a batch) → score the alerts that started during or after each change (late webhooks)."""
    return events.consume(correlate_change.name, batch, lambda fresh: len(
        correlation.correlate_changes(changes=_rows(ChangeEvent, fresh, "change_id")))) or 0


def _rows(model, batch: list[dict], key: str) -> list:
    """The events' subject rows, each within its event's organisation, in event order, once each."""
    wanted = []
    for event in batch:
        pk = (event.get("data") or {}).get(key) or (event.get("subject") or {}).get("id")
        if isinstance(pk, int) or (isinstance(pk, str) and pk.isdigit()):
            wanted.append((int(pk), event.get("organization_id")))
        else:
            logger.warning("event without a usable %s ignored", key, extra={"event": event.get("id")})
    found = {row.pk: row for row in model.objects.filter(pk__in={pk for pk, _org in wanted})}
    rows = {pk: found[pk] for pk, org in wanted if pk in found and found[pk].organization_id == org}
    return list(rows.values())

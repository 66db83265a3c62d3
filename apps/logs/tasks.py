"""Celery tasks: take ids from `alert.received` batches, re-scope, call one service."""

import logging

from celery import shared_task

from aiops import events
from apps.alerts.models import Alert

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="logs.fetch_alert_logs", ignore_result=True)
def fetch_alert_logs(batch: list[dict] | dict) -> int:
    """`alert.received` (a batch) → fetch and mine each alert's logs; alerts sharing a query share a fetch.

    A redelivered batch is skipped by its receipts; a context already stored is not fetched again.
    """
    return events.consume(fetch_alert_logs.name, batch,
                          lambda fresh: len(services.contexts_fetch(alerts=_alerts(fresh)))) or 0


def _alerts(batch: list[dict]) -> list[Alert]:
    wanted = []
    for event in batch:
        pk = (event.get("data") or {}).get("alert_id") or (event.get("subject") or {}).get("id")
        if isinstance(pk, int) or (isinstance(pk, str) and pk.isdigit()):
            wanted.append((int(pk), event.get("organization_id")))
    found = {a.pk: a for a in Alert.objects.filter(pk__in={pk for pk, _org in wanted})}
    rows = {pk: found[pk] for pk, org in wanted if pk in found and found[pk].organization_id == org}
    return list(rows.values())


@shared_task(name="logs.summarise_contexts", ignore_result=True)
def summarise_contexts(context_ids: list) -> int:
    """The LLM summary of stored contexts, off the alert path (queued after the context is stored)."""
    ids = [int(i) for i in context_ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())]
    return services.contexts_summarise(context_ids=ids)

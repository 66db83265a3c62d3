"""Celery tasks of the analysis app: each takes ids (or a batch of events), re-scopes, calls one service.

They run on the `analysis` queue, so slow LLM calls never delay ingestion or notifications.
"""

from celery import shared_task

from aiops import events

from . import services, triggers


@shared_task(name="analysis.run_analysis", ignore_result=True, acks_late=True)
def run_analysis(analysis_id: int) -> None:
    """Run one queued analysis (idempotent: a redelivered task finds it no longer pending)."""
    services.analysis_execute(analysis_id=analysis_id)


@shared_task(name="analysis.on_alert_received", ignore_result=True)
def on_alert_received(batch: list[dict] | dict) -> None:
    """`alert.received` (one transaction's events) → analyse each alert, or reuse a recent analysis
    of its twin. A lone dict is a message queued before subscriptions were batched."""
    triggers.on_alerts_received(events.as_batch(batch))


@shared_task(name="analysis.on_incident_event", ignore_result=True)
def on_incident_event(batch: list[dict] | dict) -> None:
    """`incident.created` / `incident.alert_added` (a batch) → analyse each incident when it is new
    or changed."""
    triggers.on_incident_events(events.as_batch(batch))

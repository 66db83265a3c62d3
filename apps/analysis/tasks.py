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
    of its twin; once per event (receipts, see aiops.events.consume)."""
    events.consume(on_alert_received.name, batch, triggers.on_alerts_received)


@shared_task(name="analysis.on_incident_event", ignore_result=True)
def on_incident_event(batch: list[dict] | dict) -> None:
    """`incident.created` / `incident.alert_added` (a batch) → analyse each incident when it is new
    or changed; once per event."""
    events.consume(on_incident_event.name, batch, triggers.on_incident_events)

"""Celery tasks of the runbooks app: thin wrappers that take ids and call one service."""

from celery import shared_task

from aiops import events

from .services.executions import executions_expire_due
from .services.runner import execution_run
from .services.triggers import runbooks_on_alerts_received, trigger_waits_fire_due


@shared_task(name="runbooks.run_execution", acks_late=True)
def run_execution(execution_id: int) -> str | None:
    """Run an approved execution (a duplicate delivery is a no-op: the claim fails)."""
    execution = execution_run(execution_id=execution_id)
    return execution.status if execution else None


@shared_task(name="runbooks.on_alert_received")
def on_alert_received(batch: list[dict] | dict) -> int:
    """alert.received subscriber (one transaction's events): check every runbook's triggers against
    each alert, once per event (receipts, see aiops.events.consume)."""
    return events.consume(on_alert_received.name, batch, lambda fresh: runbooks_on_alerts_received(events=fresh)) or 0


@shared_task(name="runbooks.timers")
def timers() -> dict:
    """Beat task: expire approvals whose window passed, fire delayed triggers whose time came."""
    return {"expired": executions_expire_due(), "fired": trigger_waits_fire_due()}

"""Celery tasks of the SLA app: thin, each calls one service."""
from celery import shared_task
from django.db import IntegrityError, InterfaceError, OperationalError

from aiops import events

from . import services

SUBSCRIBER = "sla.handle_event"
RETRY = dict(acks_late=True, autoretry_for=(OperationalError, InterfaceError, IntegrityError), retry_backoff=1,
             retry_backoff_max=30, max_retries=30)


@shared_task(name=SUBSCRIBER, **RETRY)
def handle_event(batch) -> int:
    """Record the item facts of a commit's events and update their clocks (once: receipts)."""
    return events.consume(SUBSCRIBER, batch, lambda fresh: services.events_record(events=fresh)) or 0


@shared_task(name="sla.fire_timers", ignore_result=True, acks_late=True)
def fire_timers() -> dict:
    """Beat: fire the warnings and breaches that are due."""
    return services.timers_fire()


@shared_task(name="sla.monthly_reports", ignore_result=True)
def monthly_reports() -> int:
    """Beat: last month's compliance reports, generated and e-mailed once per organisation."""
    return services.reports_monthly()

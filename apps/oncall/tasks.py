"""Celery tasks (thin): the beat check of every schedule."""
from celery import shared_task

from . import services


@shared_task(name="oncall.check_schedules", ignore_result=True)
def check_schedules() -> int:
    """Announce shift changes and coverage gaps (see services.schedule_check)."""
    return services.schedules_check()

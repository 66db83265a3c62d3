"""Alert housekeeping tasks."""
from celery import shared_task

from . import services


@shared_task(name="alerts.prune_raw_payloads", ignore_result=True)
def prune_raw_payloads() -> int:
    """Delete stored webhook bodies older than the retention period (beat, hourly)."""
    return services.raw_payloads_prune()

"""Celery tasks: beat fans out one scan per query on `forecast`; reports on `default`."""
import logging

from celery import shared_task

from apps.metrics.client import MetricQueryError

from . import reports, services
from .models import ResourceQuery

logger = logging.getLogger(__name__)


@shared_task(name="capacity.scan_all", ignore_result=True)
def scan_all() -> int:
    """Beat: enqueue one `scan_query` per enabled query on an enabled source."""
    ids = list(ResourceQuery.objects.filter(enabled=True, source__enabled=True).values_list("pk", flat=True))
    for pk in ids:
        scan_query.apply_async(args=[pk], queue="forecast")
    return len(ids)


@shared_task(name="capacity.scan_query", ignore_result=True, acks_late=True)
def scan_query(query_id: int) -> int:
    query = ResourceQuery.objects.select_related("source").filter(pk=query_id, enabled=True).first()
    if query is None:
        return 0
    try:
        return len(services.scan(query=query))
    except MetricQueryError as exc:
        logger.warning("capacity scan failed", extra={"query_id": query_id, "error": str(exc)})
        return 0


@shared_task(name="capacity.scheduled_reports", ignore_result=True)
def scheduled_reports() -> int:
    """Beat: make (once) and e-mail this week's and this month's report for every organisation."""
    return reports.scheduled_reports()


@shared_task(name="capacity.generate_report", ignore_result=True)
def generate_report(organization_id: int, report_type: str, user_id: int | None = None) -> int:
    report = reports.report_generate(organization_id=organization_id, report_type=report_type, user_id=user_id)
    return report.pk

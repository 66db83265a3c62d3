"""Celery tasks on the `forecast` queue: fan out one task per target; each calls one service."""
import logging

from celery import shared_task

from apps.metrics.client import MetricQueryError

from . import services
from .models import ForecastTarget

logger = logging.getLogger(__name__)


@shared_task(name="predictions.schedule_all", ignore_result=True)
def schedule_all(pick_models: bool = False) -> int:
    """Beat: enqueue one `forecast_target` per enabled target (nightly with model picking, hourly without)."""
    ids = list(ForecastTarget.objects.filter(enabled=True, source__enabled=True).values_list("pk", flat=True))
    for pk in ids:
        forecast_target.apply_async(args=[pk, pick_models], queue="forecast")
    return len(ids)


@shared_task(name="predictions.retrain_all", ignore_result=True)
def retrain_all() -> int:
    """Nightly: re-pick every series' model by backtest."""
    return schedule_all(pick_models=True)


@shared_task(name="predictions.forecast_target", ignore_result=True, acks_late=True)
def forecast_target(target_id: int, pick_models: bool = False) -> int:
    """Fetch, forecast, detect and evaluate one target. A failed query is recorded on the target."""
    target = ForecastTarget.objects.select_related("source").filter(pk=target_id, enabled=True).first()
    if target is None:
        return 0
    try:
        return len(services.forecast_run(target=target, pick_models=pick_models))
    except MetricQueryError as exc:
        logger.warning("forecast target failed", extra={"target_id": target_id, "error": str(exc)})
        return 0

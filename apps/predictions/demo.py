"""Demo data for `make run`: a metric source, a disk target with a filling disk and a sawtooth disk,
their forecasts and a predictive rule evaluated once (it needs two breaching evaluations in a row
before it raises its alert, so the demo's alert storm stays the brief's 14 alerts). Runs once."""
from __future__ import annotations

import numpy as np
from django.utils import timezone

from apps.metrics.client import Series
from apps.metrics.models import MetricSource

from . import services
from .models import ForecastTarget, PredictiveRule

DEMO_SOURCE = "Prometheus (demo)"
DEMO_TARGET = "Disk"


def demo_series(now: float, *, days: int = 10, step: int = 3600) -> list[Series]:
    rng = np.random.default_rng(7)
    t = now - step * np.arange(days * 86400 // step)[::-1]
    filling = 50 + 3.0 * (t - t[0]) / 86400 + rng.normal(0, 0.3, len(t))
    saw = 30 + 45 * ((t - t[0]) % 86400) / 86400 + rng.normal(0, 0.3, len(t))
    name = "disk_used_percent"
    return [Series({"__name__": name, "instance": "db-primary", "mountpoint": "/var/lib/postgresql"},
                   list(t), list(filling)),
            Series({"__name__": name, "instance": "web-1", "mountpoint": "/var/log"}, list(t), list(saw))]


def seed(organization, users) -> None:
    if MetricSource.objects.filter(organization=organization, name=DEMO_SOURCE).exists():
        return
    from apps.metrics.services import source_create

    admin = users.get("admin")
    source = source_create(organization=organization, name=DEMO_SOURCE, url="http://127.0.0.1:9090",
                           created_by=admin)
    target = services.target_create(organization=organization, name=DEMO_TARGET, source=source, created_by=admin,
                                    query="100 * (1 - node_filesystem_avail_bytes / node_filesystem_size_bytes)",
                                    step_seconds=3600, history_days=10, horizon_hours=24 * 7)
    PredictiveRule.objects.create(
        organization=organization, name="Disk filling up", target=target, threshold=90, forecast_horizon_hours=24 * 7,
        consecutive_evaluations=2, created_by=admin,
        recommended_actions="Review and clean up old database logs\nArchive tables older than 90 days\n"
                            "Consider expanding disk volume")
    services.forecast_series(target=target, series=demo_series(timezone.now().timestamp()))
    ForecastTarget.objects.filter(pk=target.pk).update(enabled=False)  # no demo Prometheus to refresh from

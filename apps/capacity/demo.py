"""Demo data for `make run` (no Prometheus there): resource queries on the predictions demo source,
fed once with clearly-marked synthetic samples (label `demo="true"`), a threshold, and one weekly
report. The scan stays disabled (nothing to refresh from). Runs once per organisation."""
from __future__ import annotations

import numpy as np
from django.utils import timezone

from apps.metrics.client import Series
from apps.metrics.models import MetricSource

from . import reports, services
from .choices import ReportType, ResourceKind, Unit
from .models import CapacityThreshold, ResourceQuery

DEMO_SOURCE = "Prometheus (demo)"
DEMO_PREFIX = "Demo: "


def demo_rows(now: float, *, days: int = 21, step: int = 3600):
    rng = np.random.default_rng(11)
    t = now - step * np.arange(days * 86400 // step)[::-1]
    n = len(t)
    day = (t % 86400) / 86400
    gb = 1e9
    disk_cap = 500 * gb
    rows = {
        ResourceKind.DISK: [
            ("db-primary", "/var/lib/postgresql", disk_cap, disk_cap * (0.57 + 0.012 * (t - t[0]) / 86400)),
            ("web-1", "/var/log", disk_cap, disk_cap * (0.3 + 0.4 * day) + rng.normal(0, gb, n)),
        ],
        ResourceKind.MEMORY: [("api-cluster", "", 64 * gb,
                               64 * gb * (0.61 + 0.005 * (t - t[0]) / 86400 + 0.03 * np.sin(6.283 * day)))],
        ResourceKind.DB_CONNECTIONS: [("cache-cluster", "", 500.0,
                                       500 * (0.62 + 0.003 * (t - t[0]) / 86400) + rng.normal(0, 2, n))],
        ResourceKind.CPU: [("web-1", "", 100.0, 35 + 15 * np.sin(6.283 * day) + rng.normal(0, 2, n))],
    }
    return t, rows


def seed(organization, users) -> None:
    if ResourceQuery.objects.filter(organization=organization, name__startswith=DEMO_PREFIX).exists():
        return
    source = MetricSource.objects.filter(organization=organization, name=DEMO_SOURCE).first()
    if source is None:
        from apps.metrics.services import source_create

        source = source_create(organization=organization, name=DEMO_SOURCE, url="http://127.0.0.1:9090")
    admin = users.get("admin")
    t, rows = demo_rows(timezone.now().timestamp())
    units = {ResourceKind.DISK: Unit.BYTES, ResourceKind.MEMORY: Unit.BYTES, ResourceKind.DB_CONNECTIONS: Unit.COUNT,
             ResourceKind.CPU: Unit.PERCENT}
    for kind, items in rows.items():
        query = services.query_create(organization=organization, name=f"{DEMO_PREFIX}{kind.label}", kind=kind,
                                      source=source, created_by=admin, unit=units[kind], step_seconds=3600,
                                      name_labels="instance,mountpoint", enabled=False)
        fetched = []
        for instance, mount, cap, usage in items:
            labels = {"instance": instance, "demo": "true", **({"mountpoint": mount} if mount else {})}
            fetched.append((Series(labels, list(t), list(usage)), list(t), list(usage), [cap] * len(t)))
        services.scan_rows(query=query, rows=fetched)
    CapacityThreshold.objects.create(organization=organization, name="Default", warning_threshold=80,
                                     critical_threshold=90, forecast_days=30, created_by=admin)
    reports.report_generate(organization_id=organization.pk, report_type=ReportType.WEEKLY)

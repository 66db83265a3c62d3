"""Error-budget SLOs: budget remaining and multi-window, multi-burn-rate alerts (SRE workbook ch. 5).

Burn rate = error ratio over a window / (1 − objective). An alert fires when both its long and its
short window (1/12 of the long) burn faster than its factor; Sloth's defaults for a 30-day SLO:
page at 14.4× over 1h and 5m or 6× over 6h and 30m, ticket at 3× over 1d and 2h or 1× over 3d and 6h.
Alerts enter the normal alert path (`apps.alerts.ingest`) through an internal integration.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from apps.metrics.client import PrometheusClient

from .models import SLO

# (severity, long window, short window, factor)
CONDITIONS = [("page", "1h", "5m", 14.4), ("page", "6h", "30m", 6.0),
              ("ticket", "1d", "2h", 3.0), ("ticket", "3d", "6h", 1.0)]
INTERNAL_NAME = "SLOs (internal)"


@dataclass
class Evaluation:
    error_ratio: float | None  # over the SLO's window
    budget_remaining: float | None  # 1 = untouched, 0 = spent, below 0 = overspent
    burn_rates: dict[str, float | None]  # window → burn rate
    firing: dict[str, list[str]]  # severity → the conditions that fire ("1h/5m 14.4x")


def error_ratio(client: PrometheusClient, slo: SLO, window: str, at: datetime | None = None) -> float | None:
    """errors / total over `window`, or None without traffic (no series, or 0/0)."""
    expr = f"({slo.error_query.replace('{{.window}}', window)}) / ({slo.total_query.replace('{{.window}}', window)})"
    values = [s.values[-1] for s in client.query(expr, at=at) if s.values]
    values = [v for v in values if v is not None and not math.isnan(v)]
    return sum(values) if values else None


def slo_evaluate(*, slo: SLO, at: datetime | None = None) -> Evaluation:
    client = PrometheusClient(slo.source)
    budget = 1 - slo.objective / 100
    windows = sorted({w for _, long, short, _ in CONDITIONS for w in (long, short)})
    burn = {}
    for window in windows:
        ratio = error_ratio(client, slo, window, at)
        burn[window] = None if ratio is None else ratio / budget
    whole = error_ratio(client, slo, f"{slo.window_days}d", at)
    firing: dict[str, list[str]] = {"page": [], "ticket": []}
    for severity, long, short, factor in CONDITIONS:
        if (burn[long] or 0) >= factor and (burn[short] or 0) >= factor:
            firing[severity].append(f"{long}/{short} {factor:g}x")
    return Evaluation(whole, None if whole is None else 1 - whole / budget, burn, firing)


def _integration(organization_id: int):
    from apps.alerts import ingest
    from apps.alerts.models import Integration
    from apps.tenancy.models import Organization

    integration = Integration.objects.filter(organization_id=organization_id, name=INTERNAL_NAME).first()
    return integration or ingest.integration_create(
        organization=Organization.objects.get(pk=organization_id), name=INTERNAL_NAME, kind="generic", enabled=True)


def slo_alert(*, slo: SLO, evaluation: Evaluation, now: datetime | None = None) -> dict[str, bool]:
    """Fire or resolve the SLO's page and ticket alerts through the alert path; severity → firing."""
    from apps.alerts import ingest
    from apps.alerts.models import Alert
    from apps.alerts.payloads import IncomingAlert

    now = now or timezone.now()
    integration = _integration(slo.organization_id)
    incoming = []
    for severity, conditions in evaluation.firing.items():
        fp = hashlib.sha256(f"slo|{slo.pk}|{severity}".encode()).hexdigest()[:16]
        remaining = evaluation.budget_remaining
        # The same alert while it burns (its start kept), resolved by that start; nothing to resolve: no call.
        current = Alert.objects.filter(integration=integration, fingerprint=fp, status="firing").order_by(
            "-starts_at").first()
        if not conditions and current is None:
            continue
        incoming.append(IncomingAlert(
            status="firing" if conditions else "resolved",
            labels={"alertname": "SLOErrorBudgetBurn", "slo": slo.name, "kind": "slo",
                    "severity": "critical" if severity == "page" else "warning", "sloth_severity": severity},
            annotations={"summary": f"{slo.name}: error budget burning ({', '.join(conditions) or 'recovered'})",
                         "budget_remaining": "" if remaining is None else f"{remaining:.4f}"},
            starts_at=current.starts_at if current else now, ends_at=None if conditions else now,
            generator_url="", fingerprint=fp))
    if incoming:
        ingest.ingest_alerts(integration=integration, alerts=incoming, group={"group_key": f"slo:{slo.pk}"},
                             raw_body={"source": "slo", "slo": slo.pk}, received_at=now)
    return {severity: bool(c) for severity, c in evaluation.firing.items()}

"""Read queries shared by API, portal pages and the alert panel."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from . import patterns
from .models import AnomalyDetection, MetricForecast, PredictiveRule


def forecast_for_alert(alert) -> MetricForecast | None:
    forecast_id = (alert.annotations or {}).get("forecast_id")
    if not forecast_id or not str(forecast_id).isdigit():
        return None
    return MetricForecast.objects.filter(pk=int(forecast_id), organization_id=alert.organization_id).first()


def rule_for_alert(alert) -> PredictiveRule | None:
    rule_id = (alert.labels or {}).get("predictive_rule")
    if not rule_id or not str(rule_id).isdigit():
        return None
    return PredictiveRule.objects.filter(pk=int(rule_id), organization_id=alert.organization_id).select_related(
        "target", "suggested_runbook").first()


def insights(*, organization_id: int, now=None) -> list[dict]:
    """Plain sentences an SRE can act on: escalation patterns, trending alerts, predicted breaches, anomalies."""
    now = now or timezone.now()
    out = []
    for odds in patterns.escalation_patterns(organization_id=organization_id, now=now):
        out.append({"kind": "escalation", "text": f"“{odds['alert_name']}”: {odds['sentence']}", "data": odds})
    for row in patterns.trending_alerts(organization_id=organization_id, now=now):
        out.append({"kind": "trending", "data": row, "text": _(
            "“%(name)s” is trending: %(now)d alerts this week against %(before)d the week before (p=%(p).3f)") % {
            "name": row["name"], "now": row["this_period"], "before": row["previous_period"], "p": row["p_value"]}})
    from apps.alerts.models import Alert

    for alert in Alert.objects.filter(organization_id=organization_id, status="firing",
                                      labels__kind="predictive").order_by("-starts_at")[:10]:
        out.append({"kind": "predicted_breach", "text": alert.summary, "data": {"alert_id": alert.pk}})
    recent = AnomalyDetection.objects.filter(organization_id=organization_id,
                                             detected_at__gte=now - timedelta(hours=24)).count()
    if recent:
        out.append({"kind": "anomalies", "data": {"count": recent},
                    "text": _("%(n)d anomalies detected in the last 24 hours") % {"n": recent}})
    return out

"""The alert page panel: the predictive alert card (trend chart, ETA, actions) and escalation odds."""
from __future__ import annotations

from datetime import datetime

from aiops.access import access_for
from aiops.roles import Role

from . import charts, patterns, selectors


def alert_panel_context(request, alert) -> dict | None:
    odds = patterns.escalation_odds(alert)
    context = {"odds": odds, "alert": alert,
               "can_act": access_for(request.user).has_role(alert.organization_id, Role.OPERATOR)}
    if (alert.labels or {}).get("kind") == "predictive":
        context.update(card_context(alert))
    if not context.get("predictive") and not odds.get("applicable"):
        return None
    return context


def card_context(alert) -> dict:
    forecast = selectors.forecast_for_alert(alert)
    rule = selectors.rule_for_alert(alert)
    notes = alert.annotations or {}
    eta = notes.get("eta")
    breach_at = datetime.fromisoformat(eta).timestamp() if eta else None
    threshold = rule.threshold if rule else None
    chart = charts.trend_chart(forecast.history, forecast.predicted_values, threshold=threshold,
                               breach_at=breach_at, title=alert.summary) if forecast else ""
    growth = None
    if forecast and len(forecast.history) > 2:
        (t0, v0), (t1, v1) = forecast.history[0], forecast.history[-1]
        if v0 is not None and v1 is not None and t1 > t0:
            growth = (v1 - v0) / ((t1 - t0) / 86400)
    actions = [line.strip() for line in (rule.recommended_actions if rule else "").splitlines() if line.strip()]
    from .models import PredictionTask

    return {"predictive": True, "forecast": forecast, "rule": rule, "chart_svg": chart, "growth_per_day": growth,
            "actions": actions, "notes": notes,
            "tasks": list(PredictionTask.objects.filter(alert=alert, organization_id=alert.organization_id))}

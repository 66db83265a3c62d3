"""AI context provider: the escalation odds of the alert and, for a predictive alert, its forecast."""
from __future__ import annotations

from apps.alerts.models import Alert

from . import patterns, selectors


def escalation_context(subject):
    if not isinstance(subject, Alert):
        return None
    from apps.analysis.context import ContextBlock

    blocks = []
    odds = patterns.escalation_odds(subject)
    if odds.get("shown"):
        blocks.append(ContextBlock(
            title="Escalation odds", kind="escalation", facts=odds,
            body=f"{odds['sentence']} (95% interval {odds['interval_95'][0]:.0%}–{odds['interval_95'][1]:.0%}, "
                 f"{odds['sample_size']} past alerts named {subject.name!r}).",
            refs=[{"type": "alerts.alert", "id": subject.pk, "label": subject.name}]))
    forecast = selectors.forecast_for_alert(subject)
    if forecast is not None:
        notes = subject.annotations
        blocks.append(ContextBlock(
            title="Forecast", kind="metric",
            facts={"eta": notes.get("eta"), "threshold": notes.get("threshold"), "band": notes.get("band"),
                   "model": forecast.model_type, "backtest_mase": forecast.backtest_mase,
                   "current_value": forecast.last_value},
            body=f"{subject.summary}. Model {forecast.model_type} (backtest MASE {forecast.backtest_mase}); "
                 f"band at the breach {notes.get('band')}; current value {forecast.last_value}.",
            refs=[{"type": "predictions.metricforecast", "id": forecast.pk, "label": forecast.series_label}]))
    return blocks or None

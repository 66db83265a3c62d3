"""The write paths: targets, forecast runs (fetch → model → rows), rule evaluation, anomalies, tasks.

`forecast_run` is what the nightly retrain (`pick_models=True`: backtest every candidate) and the
hourly refresh (`pick_models=False`: reuse each series' picked model) call, one target per task on
the `forecast` queue, so adding `forecast` workers spreads the targets over more machines.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aiops import events
from apps.metrics.client import MetricQueryError, PrometheusClient, Series

from . import alerting, conf, detection, forecasting
from .choices import AnomalySeverity, Direction, ModelChoice, TaskStatus
from .models import AnomalyDetection, ForecastTarget, MetricForecast, PredictionTask, PredictiveRule, RuleSeriesState


class PredictionError(Exception):
    pass


@transaction.atomic
def target_create(*, organization, name: str, source, query: str, created_by=None, **fields) -> ForecastTarget:
    """Create a forecast target on one of the organisation's metric sources."""
    if source.organization_id != organization.pk:
        raise PredictionError(_("Unknown metric source."))
    target = ForecastTarget(organization=organization, name=name, source=source, query=query,
                            created_by=created_by, **fields)
    target.full_clean(exclude=["organization", "created_by", "source"])
    target.save()
    return target


def series_hash(labels: dict) -> str:
    return alerting.fingerprint(*sorted(f"{k}={v}" for k, v in labels.items()))


def _models_for(target: ForecastTarget) -> tuple[str, ...]:
    if target.model_choice == ModelChoice.PROPHET:
        return ("prophet",)
    if target.model_choice == ModelChoice.AUTO_PROPHET:
        return (*forecasting.FAST_MODELS, "prophet")
    return forecasting.FAST_MODELS


def fetch(target: ForecastTarget, *, end: datetime | None = None) -> list[Series]:
    end = end or timezone.now()
    start = end - timedelta(days=target.history_days)
    return PrometheusClient(target.source).query_range(target.query, start=start, end=end, step=target.step_seconds)


def forecast_run(*, target: ForecastTarget, pick_models: bool = True, end: datetime | None = None) -> list[MetricForecast]:
    """Fetch the target's history, forecast every series, detect anomalies, evaluate its rules."""
    now = timezone.now()
    try:
        series = fetch(target, end=end)
    except MetricQueryError as exc:
        ForecastTarget.objects.filter(pk=target.pk).update(last_run_at=now, last_error=str(exc)[:2000])
        raise
    return forecast_series(target=target, series=series, pick_models=pick_models)


def forecast_series(*, target: ForecastTarget, series: list[Series], pick_models: bool = True) -> list[MetricForecast]:
    """Forecast already-fetched series of `target`, record anomalies, evaluate rules (see forecast_run)."""
    now = timezone.now()
    horizon_rows = max(1, int(target.horizon_hours * 3600 // target.step_seconds))
    previous = {f.series_hash: f for f in MetricForecast.objects.filter(target=target)}
    results = []
    for one in series:
        if len(one.values) < 8:
            continue
        key = series_hash(one.labels)
        old = previous.get(key)
        models = _models_for(target) if pick_models or old is None else (old.model_type,)
        fc = forecasting.forecast(one.timestamps, one.values, step=target.step_seconds, horizon_rows=horizon_rows,
                                  models=models)
        results.append((one, key, fc, old))
    saved = []
    with transaction.atomic():
        for one, key, fc, old in results:
            saved.append(_save_forecast(target, one, key, fc, old, now, pick_models))
        ForecastTarget.objects.filter(pk=target.pk).update(last_run_at=now, last_error="")
    if target.detect_anomalies:
        for one, key, _fc, _old in results:
            anomalies_record(target=target, series=one, key=key)
    for rule in PredictiveRule.objects.filter(target=target, is_enabled=True):
        for forecast_row in saved:
            rule_evaluate(rule=rule, forecast=forecast_row)
    return saved


def _save_forecast(target, one: Series, key, fc, old, now, picked) -> MetricForecast:
    keep_from = one.timestamps[-1] - conf.chart_history_hours() * 3600 if one.timestamps else 0
    stride = max(1, len([t for t in one.timestamps if t >= keep_from]) // 600)
    history = [[t, _finite(v)] for t, v in zip(one.timestamps, one.values) if t >= keep_from][::stride]
    fields = dict(
        organization_id=target.organization_id, metric_name=one.metric_name, labels=one.labels,
        forecast_time=now, predicted_values=fc.points(), history=history, model_type=fc.model,
        backtest_mase=fc.mase if picked or old is None else old.backtest_mase,
        candidates=fc.candidates if picked or old is None else old.candidates,
        confidence_level=0.9, last_value=_finite(one.values[-1]),
        trained_at=now if picked or old is None else old.trained_at,
    )
    row, _ = MetricForecast.objects.update_or_create(target=target, series_hash=key, defaults=fields)
    return row


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


# ---------------------------------------------------------------------------------------------- rules

def rule_matches(rule: PredictiveRule, forecast: MetricForecast) -> bool:
    if rule.metric_pattern and not re.search(rule.metric_pattern, forecast.metric_name or ""):
        return False
    return all(str(forecast.labels.get(k)) == str(v) for k, v in (rule.label_filters or {}).items())


def breach_eta(rule: PredictiveRule, forecast: MetricForecast) -> dict | None:
    """When (and with what band) the forecast crosses the rule's threshold within its horizon, else None.

    The compared curve sits between the point forecast and the band edge: `sensitivity` 1 compares
    the point forecast, 0 the band edge. A rise is vetoed when the trend of the series' daily peaks
    does not reach the threshold too (a sawtooth that always frees space before filling).
    """
    points = forecast.predicted_values or []
    if not points:
        return None
    start = forecast.history[-1][0] if forecast.history else points[0]["timestamp"]
    horizon_end = start + rule.forecast_horizon_hours * 3600
    weight = 1.0 - rule.anomaly_sensitivity
    above = rule.direction == Direction.ABOVE
    for point in points:
        if point["timestamp"] > horizon_end:
            break
        edge = point["upper"] if above else point["lower"]
        curve = point["value"] + weight * (edge - point["value"])
        if (curve >= rule.threshold) if above else (curve <= rule.threshold):
            if above and forecast.history:
                ts = [h[0] for h in forecast.history]
                vs = [np.nan if h[1] is None else h[1] for h in forecast.history]
                step = max(1, int(round(float(np.median(np.diff(ts)))))) if len(ts) > 1 else 300
                veto = forecasting.envelope_eta(ts, vs, threshold=rule.threshold, step=step,
                                                horizon_seconds=max(horizon_end - start, 0) * 2)
                if veto is None:
                    return None
            return {"at": point["timestamp"], "value": point["value"], "lower": point["lower"],
                    "upper": point["upper"], "in_seconds": max(point["timestamp"] - start, 0.0)}
    return None


def human_duration(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 1:
        return _("%(n)d minutes") % {"n": max(1, round(seconds / 60))}
    if hours < 48:
        return _("%(n)d hours") % {"n": round(hours)}
    return _("~%(n)d days") % {"n": round(hours / 24)}


def breach_sentence(rule: PredictiveRule, forecast: MetricForecast, eta: dict) -> str:
    """ "Disk on web-1 predicted to exceed 90% in 18 hours" """
    what = rule.target.name
    where = alerting.instance_of(forecast.labels)
    verb = _("exceed") if rule.direction == Direction.ABOVE else _("fall below")
    subject = _("%(what)s on %(where)s") % {"what": what, "where": where} if where else what
    return _("%(subject)s predicted to %(verb)s %(threshold)s in %(eta)s") % {
        "subject": subject, "verb": verb, "threshold": _fmt(rule.threshold), "eta": human_duration(eta["in_seconds"])}


def _fmt(value: float) -> str:
    return f"{value:g}"


def rule_evaluate(*, rule: PredictiveRule, forecast: MetricForecast) -> RuleSeriesState | None:
    """One evaluation of `rule` on one series: update its breach streak; fire or resolve its alert."""
    if not rule_matches(rule, forecast):
        return None
    eta = breach_eta(rule, forecast)
    with transaction.atomic():
        state, _ = RuleSeriesState.objects.select_for_update().get_or_create(rule=rule, series_hash=forecast.series_hash)
        fp = alerting.fingerprint("predictive", rule.pk, forecast.series_hash)
        if eta is None:
            state.streak = 0
            state.dismissed = False
            if state.firing:
                alerting.send(organization_id=rule.organization_id, fp=fp, labels=_labels(rule, forecast),
                              annotations={}, starts_at=state.alert_starts_at, firing=False)
                state.firing = False
            state.save()
            return state
        state.streak += 1
        if state.streak >= rule.consecutive_evaluations and rule.create_alert and not state.dismissed:
            if not state.firing:
                state.firing = True
                state.alert_starts_at = timezone.now().replace(microsecond=0)
                events.publish("prediction.breach_forecast", org=rule.organization_id, subject=forecast,
                               metric=breach_sentence(rule, forecast, eta), rule_id=rule.pk,
                               breach_at=datetime.fromtimestamp(eta["at"], UTC).isoformat(),
                               threshold=rule.threshold, model=forecast.model_type)
            alerting.send(organization_id=rule.organization_id, fp=fp, labels=_labels(rule, forecast),
                          annotations=_annotations(rule, forecast, eta), starts_at=state.alert_starts_at, firing=True)
        state.save()
    return state


def _labels(rule, forecast) -> dict:
    labels = {k: v for k, v in forecast.labels.items() if k != "__name__"}
    labels.update({"alertname": f"Predicted: {rule.name}", "severity": rule.severity, "kind": "predictive",
                   "predictive_rule": str(rule.pk)})
    if forecast.metric_name:
        labels["metric"] = forecast.metric_name
    return labels


def _annotations(rule, forecast, eta) -> dict:
    at = datetime.fromtimestamp(eta["at"], UTC)
    notes = {
        "summary": breach_sentence(rule, forecast, eta),
        "description": rule.recommended_actions,
        "kind": "predictive",
        "eta": at.isoformat(),
        "eta_seconds": str(round(eta["in_seconds"])),
        "threshold": _fmt(rule.threshold),
        "band": f"{eta['lower']:.4g}–{eta['upper']:.4g}",
        "model": forecast.model_type,
        "backtest_mase": "" if forecast.backtest_mase is None else f"{forecast.backtest_mase:.3f}",
        "forecast_id": str(forecast.pk),
        "current_value": "" if forecast.last_value is None else f"{forecast.last_value:.4g}",
    }
    if rule.suggested_runbook_id:
        notes["runbook_id"] = str(rule.suggested_runbook_id)
    return notes


def alert_dismiss(*, alert, user) -> None:
    """Dismiss a predictive alert: resolve it and stay quiet until the forecast stops breaching."""
    from apps.alerts.services import alert_resolve

    rule_id = alert.labels.get("predictive_rule")
    with transaction.atomic():
        for state in RuleSeriesState.objects.select_for_update().filter(rule_id=rule_id, firing=True,
                                                                       rule__organization_id=alert.organization_id):
            if alerting.fingerprint("predictive", state.rule_id, state.series_hash) == alert.fingerprint:
                state.dismissed, state.firing = True, False
                state.save(update_fields=["dismissed", "firing", "updated_at"])
        if alert.status == "firing":
            alert_resolve(alert=alert, user=user, note=_("Predictive alert dismissed"))


def task_create(*, alert, user, title: str = "") -> PredictionTask:
    """'Create Task' on a predictive alert card: a follow-up to act before the breach."""
    title = (title or alert.summary or alert.name).strip()[:300]
    return PredictionTask.objects.create(organization_id=alert.organization_id, alert=alert, title=title,
                                         created_by=user, status=TaskStatus.OPEN)


# ---------------------------------------------------------------------------------------------- anomalies

def _severity(score: float) -> str:
    if score >= 0.9:
        return AnomalySeverity.HIGH
    return AnomalySeverity.MEDIUM if score >= 0.7 else AnomalySeverity.LOW


def anomaly_context(kind: str, name: str, where: str, actual: float, expected: float, at: datetime) -> str:
    """A sentence of context: what normal looks like against what happened."""
    subject = f"{name} on {where}" if where else name
    ratio = actual / expected if expected else math.inf
    basis = {detection.PATTERN_BREAK: _("the same time on previous days"),
             detection.TREND_CHANGE: _("the level before it"),
             }.get(kind, _("the recent median"))
    times = (_("%(r).1f× normal") % {"r": ratio}) if math.isfinite(ratio) and ratio > 0 else ""
    return _("%(subject)s was %(actual).4g at %(at)s against %(expected).4g expected from %(basis)s %(times)s").strip() % {
        "subject": subject, "actual": actual, "at": at.strftime("%Y-%m-%d %H:%M UTC"), "expected": expected,
        "basis": basis, "times": f"({times})" if times else ""}


def anomalies_record(*, target: ForecastTarget, series: Series, key: str, lookback_rows: int | None = None) -> list:
    """Score the series online and record the detections of its most recent rows as episodes."""
    result = detection.score(series.timestamps, series.values)
    rows = lookback_rows or max(1, conf.refresh_every_seconds() // target.step_seconds)
    threshold = conf.anomaly_score_threshold()
    gap = conf.anomaly_episode_gap_seconds()
    recorded = []
    n = len(series.values)
    for i in range(max(0, n - rows), n):
        if result.scores[i] < threshold or not result.kinds[i]:
            continue
        at = datetime.fromtimestamp(series.timestamps[i], UTC)
        actual, expected = float(series.values[i]), float(result.expected[i])
        with transaction.atomic():
            episode = (AnomalyDetection.objects.select_for_update()
                       .filter(target=target, series_hash=key, last_seen_at__gte=at - timedelta(seconds=gap))
                       .order_by("-last_seen_at").first())
            if episode is not None:  # one episode, one row: later detections only extend it
                if at > episode.last_seen_at:
                    episode.last_seen_at = at
                    episode.score = max(episode.score, float(result.scores[i]))
                    episode.save(update_fields=["last_seen_at", "score", "updated_at"])
                continue
            deviation = (actual - expected) / abs(expected) * 100 if expected else 100.0
            anomaly = AnomalyDetection.objects.create(
                organization_id=target.organization_id, target=target, series_hash=key,
                metric_name=series.metric_name, labels=series.labels, detected_at=at, last_seen_at=at,
                anomaly_type=result.kinds[i], severity=_severity(float(result.scores[i])),
                score=float(result.scores[i]), expected_value=expected, actual_value=actual,
                deviation_percent=round(deviation, 2),
                context=anomaly_context(result.kinds[i], series.metric_name or target.name,
                                        alerting.instance_of(series.labels), actual, expected, at))
            events.publish("anomaly.detected", org=target.organization_id, subject=anomaly,
                           metric=anomaly.context, anomaly_type=anomaly.anomaly_type, severity=anomaly.severity)
            _anomaly_alert(anomaly)
            recorded.append(anomaly)
    return recorded


def _anomaly_alert(anomaly: AnomalyDetection) -> None:
    for rule in PredictiveRule.objects.filter(target_id=anomaly.target_id, is_enabled=True, alert_on_anomalies=True):
        probe = MetricForecast(metric_name=anomaly.metric_name, labels=anomaly.labels)
        if not rule_matches(rule, probe) or abs(anomaly.deviation_percent) < rule.threshold_breach_percent:
            continue
        if anomaly.score < rule.anomaly_sensitivity:
            continue
        labels = {k: v for k, v in anomaly.labels.items() if k != "__name__"}
        labels.update({"alertname": f"Anomaly: {rule.name}", "severity": rule.severity, "kind": "anomaly",
                       "anomaly_type": anomaly.anomaly_type})
        alert = alerting.send(
            organization_id=anomaly.organization_id, fp=alerting.fingerprint("anomaly", rule.pk, anomaly.pk),
            labels=labels, starts_at=anomaly.detected_at, firing=True,
            annotations={"summary": anomaly.context, "kind": "anomaly", "expected": f"{anomaly.expected_value:.4g}",
                         "actual": f"{anomaly.actual_value:.4g}", "deviation_percent": f"{anomaly.deviation_percent:.1f}",
                         "anomaly_id": str(anomaly.pk)})
        AnomalyDetection.objects.filter(pk=anomaly.pk).update(alert_generated=True, alert=alert)
        return

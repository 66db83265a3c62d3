"""Forecast runs against the real Prometheus fixture: a filling disk alerts days ahead, a sawtooth does not."""
from datetime import UTC, datetime

import pytest

from apps.alerts.models import Alert
from apps.predictions import services
from apps.predictions.models import AnomalyDetection, MetricForecast, RuleSeriesState
from tests.metrics.factories import MetricSourceFactory
from tests.predictions.factories import ForecastTargetFactory, PredictiveRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def disk(prometheus, org_a):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url)
    target = ForecastTargetFactory(organization=org_a, source=source, name="Disk", query="disk_used_percent",
                                   horizon_hours=7 * 24, detect_anomalies=False)
    rule = PredictiveRuleFactory(organization=org_a, target=target, name="Disk filling up", threshold=90,
                                 forecast_horizon_hours=7 * 24, consecutive_evaluations=2,
                                 recommended_actions="Clean up old logs\nExpand the volume")
    return target, rule, datetime.fromtimestamp(prometheus.end, UTC)


def _predictive_alerts(org):
    return Alert.objects.filter(organization=org, labels__kind="predictive")


def test_filling_disk_alerts_days_ahead_sawtooth_does_not(disk, org_a):
    target, rule, end = disk
    forecasts = services.forecast_run(target=target, end=end)
    assert {f.labels["pattern"] for f in forecasts} == {"filling", "sawtooth"}
    filling = next(f for f in forecasts if f.labels["pattern"] == "filling")
    assert len(filling.predicted_values) == 7 * 24 * 12
    assert set(filling.predicted_values[0]) == {"timestamp", "value", "lower", "upper"}
    assert filling.model_type in ("linear", "seasonal_trend") and filling.backtest_mase is not None
    assert not _predictive_alerts(org_a).exists()  # one breaching evaluation is not enough (no flapping)
    services.forecast_run(target=target, pick_models=False, end=end)
    [alert] = _predictive_alerts(org_a)
    assert alert.status == "firing" and alert.instance == "web-1"
    assert alert.summary.startswith("Disk on web-1 predicted to exceed 90 in ")
    eta_hours = int(alert.annotations["eta_seconds"]) / 3600
    # 45 → 85 % over 30 days is 1.33 %/day: 90 % is ~3.7 days away.
    assert 2 * 24 < eta_hours < 6 * 24
    assert alert.annotations["model"] == filling.model_type and "–" in alert.annotations["band"]
    assert alert.annotations["forecast_id"] == str(filling.pk)
    assert not RuleSeriesState.objects.filter(rule=rule, firing=True).exclude(series_hash=filling.series_hash)


def test_alert_resolves_when_the_forecast_no_longer_breaches(disk, org_a):
    target, rule, end = disk
    services.forecast_run(target=target, end=end)
    services.forecast_run(target=target, pick_models=False, end=end)
    assert _predictive_alerts(org_a).get().status == "firing"
    rule.threshold = 99.5
    rule.forecast_horizon_hours = 24
    rule.save()
    services.forecast_run(target=target, pick_models=False, end=end)
    assert _predictive_alerts(org_a).get().status == "resolved"


def test_refresh_reuses_the_picked_model_and_updates_rows(disk, org_a):
    target, _rule, end = disk
    services.forecast_run(target=target, end=end)
    first = {f.series_hash: (f.pk, f.model_type) for f in MetricForecast.objects.filter(target=target)}
    services.forecast_run(target=target, pick_models=False, end=end)
    again = {f.series_hash: (f.pk, f.model_type) for f in MetricForecast.objects.filter(target=target)}
    assert first == again


def test_spike_is_recorded_once_as_an_episode(prometheus, org_a):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url)
    target = ForecastTargetFactory(organization=org_a, source=source, name="Traffic", query="requests_per_second",
                                   history_days=7, horizon_hours=6)
    end = datetime.fromtimestamp(prometheus.end, UTC)
    services.forecast_run(target=target, end=end)
    services.forecast_run(target=target, pick_models=False, end=end)
    [anomaly] = AnomalyDetection.objects.filter(target=target)
    assert anomaly.anomaly_type == "spike"
    assert anomaly.actual_value > 2 * anomaly.expected_value and anomaly.deviation_percent > 100
    assert "requests_per_second on api-1 was" in anomaly.context


def test_unreachable_source_records_the_error(org_a):
    from apps.metrics.client import MetricQueryError

    source = MetricSourceFactory(organization=org_a, url="http://127.0.0.1:9", name="down")
    target = ForecastTargetFactory(organization=org_a, source=source)
    with pytest.raises(MetricQueryError):
        services.forecast_run(target=target)
    target.refresh_from_db()
    assert "down" in target.last_error and "could not connect" in target.last_error

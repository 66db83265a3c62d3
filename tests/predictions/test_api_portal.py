"""API (the plan's endpoints) and portal pages: forms, the predictive alert card, Dismiss and Create Task."""
import re

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.metrics.client import Series
from apps.predictions import services
from apps.predictions.models import ForecastTarget, PredictionTask
from tests.metrics.factories import MetricSourceFactory
from tests.predictions.factories import ForecastTargetFactory, PredictiveRuleFactory

pytestmark = pytest.mark.django_db


def _filling(now, days=10, step=3600):
    t = now - step * np.arange(days * 24)[::-1]
    return [Series({"__name__": "disk_used_percent", "instance": "db-primary"}, list(t),
                   list(50 + 3.0 * (t - t[0]) / 86400))]


@pytest.fixture
def predictive_alert(org_a):
    target = ForecastTargetFactory(organization=org_a, name="Disk", step_seconds=3600, history_days=10,
                                   horizon_hours=24 * 7, detect_anomalies=False)
    PredictiveRuleFactory(organization=org_a, target=target, threshold=90, forecast_horizon_hours=24 * 7,
                          consecutive_evaluations=1, recommended_actions="Clean up old logs")
    services.forecast_series(target=target, series=_filling(timezone.now().timestamp()))
    return Alert.objects.get(organization=org_a, labels__kind="predictive")


def test_card_shows_chart_and_buttons(predictive_alert, users_a, client):
    client.force_login(users_a["operator"])
    page = client.get(reverse("alerts:detail", kwargs={"pk": predictive_alert.pk})).content.decode()
    assert 'id="predictive-card"' in page and "Disk on db-primary predicted to exceed 90 in" in page
    assert "<svg" in page and 'class="threshold"' in page and 'class="breach"' in page and 'class="band"' in page
    assert "Dismiss" in page and "Create Task" in page and "Clean up old logs" in page
    assert "cdn" not in page.lower()


def test_dismiss_resolves_and_stays_quiet(predictive_alert, org_a, users_a, client):
    client.force_login(users_a["operator"])
    client.post(reverse("predictions:dismiss", kwargs={"pk": predictive_alert.pk}))
    predictive_alert.refresh_from_db()
    assert predictive_alert.status == "resolved"
    target = ForecastTarget.objects.get(organization=org_a, name="Disk")
    services.forecast_series(target=target, series=_filling(timezone.now().timestamp()), pick_models=False)
    assert not Alert.objects.filter(organization=org_a, labels__kind="predictive", status="firing").exists()


def test_create_task_and_viewer_cannot(predictive_alert, users_a, client):
    client.force_login(users_a["viewer"])
    assert client.post(reverse("predictions:task", kwargs={"pk": predictive_alert.pk})).status_code == 403
    client.force_login(users_a["operator"])
    client.post(reverse("predictions:task", kwargs={"pk": predictive_alert.pk}))
    [task] = PredictionTask.objects.filter(alert=predictive_alert)
    assert task.title.startswith("Disk on db-primary")


def test_predictions_page_and_target_form(predictive_alert, org_a, org_b, users_a, client):
    foreign = MetricSourceFactory(organization=org_b, name="foreign")
    mine = MetricSourceFactory(organization=org_a, name="mine")
    client.force_login(users_a["admin"])
    page = client.get(reverse("predictions:index")).content.decode()
    assert "db-primary" in page and "Forecast targets" in page
    form = client.get(reverse("predictions:target-create")).content.decode()
    assert "mine" in form and "foreign" not in form
    response = client.post(reverse("predictions:target-create"), {
        "name": "CPU", "source": foreign.pk, "query": "cpu", "step_seconds": 300, "history_days": 30,
        "horizon_hours": 48, "model_choice": "auto", "enabled": "on"})
    assert response.status_code == 200 and not ForecastTarget.objects.filter(name="CPU").exists()
    client.post(reverse("predictions:target-create"), {
        "name": "CPU", "source": mine.pk, "query": "cpu", "step_seconds": 300, "history_days": 30,
        "horizon_hours": 48, "model_choice": "auto", "enabled": "on"})
    assert ForecastTarget.objects.get(name="CPU").created_by == users_a["admin"]
    forecast = predictive_alert.annotations["forecast_id"]
    detail = client.get(reverse("predictions:forecast", kwargs={"pk": forecast})).content.decode()
    assert "<svg" in detail and "backtest" in detail.lower()


def test_metric_source_portal_and_api_keep_secrets(org_a, users_a, client, api_client_for):
    client.force_login(users_a["admin"])
    response = client.post(reverse("metrics:create"), {
        "name": "mimir", "kind": "mimir", "url": "http://127.0.0.1:9/prometheus", "enabled": "on",
        "auth_type": "bearer", "secret": "tok-123", "headers": '{"X-Scope-OrgID": "t1"}',
        "timeout_seconds": 10, "max_concurrency": 2})
    assert response.status_code == 302
    api = api_client_for(users_a["admin"], org_a)
    [row] = api.get(reverse("metricsource-list")).json()["results"]
    assert row["secret_set"] is True and row["headers_set"] is True
    assert "tok-123" not in str(row) and "t1" not in str(row)
    edit = client.get(reverse("metrics:edit", kwargs={"pk": row["id"]})).content.decode()
    assert "tok-123" not in edit
    assert '"t1"' not in edit  # the stored headers are not rendered (the help text names the header)
    bad = client.post(reverse("metrics:create"), {"name": "x", "kind": "prometheus", "url": "http://h",
                                                  "auth_type": "headers", "headers": "{not json",
                                                  "timeout_seconds": 10, "max_concurrency": 2})
    assert bad.status_code == 200 and "valid JSON" in bad.content.decode()
    tested = api.post(reverse("metricsource-test", kwargs={"pk": row["id"]})).json()
    assert tested["ok"] is False and "could not connect" in tested["message"]


def test_api_forecast_request_and_rules(org_a, org_b, users_a, api_client_for, django_capture_on_commit_callbacks):
    source = MetricSourceFactory(organization=org_a)
    foreign = MetricSourceFactory(organization=org_b)
    api = api_client_for(users_a["admin"], org_a)
    url = reverse("prediction-forecast")
    assert api.post(url, {"source": foreign.pk, "query": "up"}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(url, {"source": source.pk, "query": "disk_used_percent", "horizon_hours": 72},
                            format="json")
    assert response.status_code == 202 and response.json()["horizon_hours"] == 72 and len(callbacks) == 1
    target_id = response.json()["id"]
    rules = reverse("predictiverule-list")
    bad = api.post(rules, {"name": "r", "target": target_id, "threshold": 90, "metric_pattern": "(("}, format="json")
    assert bad.status_code == 400 and "metric_pattern" in bad.json()["error"]["fields"]
    ok = api.post(rules, {"name": "r", "target": target_id, "threshold": 90, "label_filters": {"mountpoint": "/"}},
                  format="json")
    assert ok.status_code == 201
    patched = api.patch(reverse("predictiverule-detail", kwargs={"pk": ok.json()["id"]}), {"threshold": 95},
                        format="json")
    assert patched.json()["threshold"] == 95
    viewer = api_client_for(users_a["viewer"], org_a)
    assert viewer.get(reverse("metricforecast-list")).status_code == 200
    assert viewer.get(reverse("anomalydetection-list")).status_code == 200
    assert re.match(r"^/api/v1/predictions/forecasts", reverse("metricforecast-list"))
    assert reverse("metricsource-list").startswith("/api/v1/metrics/sources")

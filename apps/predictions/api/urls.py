from django.urls import path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("predictions/forecasts", views.MetricForecastViewSet, basename="metricforecast")
router.register("predictions/targets", views.ForecastTargetViewSet, basename="forecasttarget")
router.register("predictions/rules", views.PredictiveRuleViewSet, basename="predictiverule")
router.register("predictions/anomalies", views.AnomalyDetectionViewSet, basename="anomalydetection")
router.register("predictions/tasks", views.PredictionTaskViewSet, basename="predictiontask")
urlpatterns = [
    path("predictions/forecast", views.ForecastRequestView.as_view(), name="prediction-forecast"),
    path("predictions/escalation/<int:alert_id>", views.EscalationView.as_view(), name="prediction-escalation"),
    path("predictions/trending", views.TrendingView.as_view(), name="prediction-trending"),
    path("predictions/insights", views.InsightsView.as_view(), name="prediction-insights"),
    *router.urls,
]

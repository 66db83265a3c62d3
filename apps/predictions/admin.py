from django.contrib import admin

from aiops.admin import OrgScopedAdmin

from .models import AnomalyDetection, ForecastTarget, MetricForecast, PredictionTask, PredictiveRule


@admin.register(ForecastTarget)
class ForecastTargetAdmin(OrgScopedAdmin):
    list_display = ["name", "source", "step_seconds", "history_days", "horizon_hours", "model_choice", "enabled",
                    "last_run_at"]
    list_filter = ["enabled", "model_choice"]
    search_fields = ["name", "query"]
    autocomplete_fields = ["source"]
    readonly_fields = ["last_run_at", "last_error"]


@admin.register(MetricForecast)
class MetricForecastAdmin(OrgScopedAdmin):
    list_display = ["metric_name", "target", "model_type", "backtest_mase", "last_value", "forecast_time"]
    list_filter = ["model_type"]
    search_fields = ["metric_name", "target__name"]
    list_select_related = ["target"]
    readonly_fields = [f for f in ["target", "series_hash", "metric_name", "labels", "forecast_time",
                                   "predicted_values", "history", "model_type", "backtest_mase", "candidates",
                                   "confidence_level", "last_value", "trained_at"]]

    def has_add_permission(self, request):
        return False


@admin.register(PredictiveRule)
class PredictiveRuleAdmin(OrgScopedAdmin):
    list_display = ["name", "target", "threshold", "direction", "forecast_horizon_hours", "anomaly_sensitivity",
                    "consecutive_evaluations", "create_alert", "alert_on_anomalies", "is_enabled"]
    list_filter = ["is_enabled", "direction", "create_alert", "alert_on_anomalies"]
    search_fields = ["name", "metric_pattern"]
    autocomplete_fields = ["target"]
    raw_id_fields = ["suggested_runbook"]


@admin.register(AnomalyDetection)
class AnomalyDetectionAdmin(OrgScopedAdmin):
    list_display = ["detected_at", "metric_name", "anomaly_type", "severity", "actual_value", "expected_value",
                    "deviation_percent", "alert_generated"]
    list_filter = ["anomaly_type", "severity", "alert_generated"]
    search_fields = ["metric_name", "context"]
    raw_id_fields = ["target", "alert"]

    def has_add_permission(self, request):
        return False


@admin.register(PredictionTask)
class PredictionTaskAdmin(OrgScopedAdmin):
    list_display = ["title", "status", "alert", "created_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    raw_id_fields = ["alert"]

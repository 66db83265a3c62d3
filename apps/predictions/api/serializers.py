from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer
from apps.metrics.models import MetricSource

from ..models import AnomalyDetection, ForecastTarget, MetricForecast, PredictionTask, PredictiveRule


class ForecastTargetSerializer(OrgOwnedSerializer):
    source = OrgScopedRelatedField(queryset=MetricSource.objects.all())

    class Meta:
        model = ForecastTarget
        fields = ["id", "name", "source", "query", "step_seconds", "history_days", "horizon_hours", "model_choice",
                  "detect_anomalies", "enabled", "last_run_at", "last_error", "created_at", "updated_at"]
        read_only_fields = ["last_run_at", "last_error", "created_at", "updated_at"]


class ForecastRequestSerializer(serializers.Serializer):
    """POST /predictions/forecast: forecast a metric (creates the target, queues the run)."""

    source = OrgScopedRelatedField(queryset=MetricSource.objects.all())
    query = serializers.CharField(max_length=5000)
    name = serializers.CharField(max_length=200, required=False)
    step_seconds = serializers.IntegerField(min_value=15, max_value=86400, default=300)
    history_days = serializers.IntegerField(min_value=1, max_value=400, default=30)
    horizon_hours = serializers.IntegerField(min_value=1, max_value=24 * 90, default=48)


class MetricForecastSerializer(OrgOwnedSerializer):
    target_name = serializers.CharField(source="target.name", read_only=True)

    class Meta:
        model = MetricForecast
        fields = ["id", "target", "target_name", "metric_name", "labels", "forecast_time", "predicted_values",
                  "model_type", "backtest_mase", "candidates", "confidence_level", "last_value", "trained_at"]
        read_only_fields = fields


class PredictiveRuleSerializer(OrgOwnedSerializer):
    target = OrgScopedRelatedField(queryset=ForecastTarget.objects.all())

    class Meta:
        model = PredictiveRule
        fields = ["id", "name", "target", "metric_pattern", "label_filters", "threshold", "direction",
                  "forecast_horizon_hours", "anomaly_sensitivity", "threshold_breach_percent",
                  "consecutive_evaluations", "severity", "create_alert", "alert_on_anomalies", "notify_channels",
                  "suggested_runbook", "recommended_actions", "is_enabled", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        from apps.runbooks.models import Runbook

        fields["suggested_runbook"] = OrgScopedRelatedField(queryset=Runbook.objects.all(), required=False,
                                                            allow_null=True)
        return fields

    def validate_label_filters(self, value):
        if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
            raise serializers.ValidationError("Must be an object of label → value.")
        return value

    def validate_notify_channels(self, value):
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise serializers.ValidationError("Must be a list of channel ids.")
        return value

    def validate_metric_pattern(self, value):
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise serializers.ValidationError(f"Not a regular expression: {exc}") from exc
        return value


class AnomalyDetectionSerializer(OrgOwnedSerializer):
    class Meta:
        model = AnomalyDetection
        fields = ["id", "target", "metric_name", "labels", "detected_at", "last_seen_at", "anomaly_type",
                  "severity", "score", "expected_value", "actual_value", "deviation_percent", "context",
                  "alert_generated", "alert"]
        read_only_fields = fields


class PredictionTaskSerializer(OrgOwnedSerializer):
    class Meta:
        model = PredictionTask
        fields = ["id", "alert", "title", "status", "created_at"]
        read_only_fields = ["alert", "created_at"]

from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer
from apps.metrics.models import MetricSource

from ..choices import ReportType
from ..models import CapacityMetric, CapacityReport, CapacityThreshold, ResourceQuery
from ..templates import defaults_for


class ResourceQuerySerializer(OrgOwnedSerializer):
    source = OrgScopedRelatedField(queryset=MetricSource.objects.all())
    usage_query = serializers.CharField(required=False, allow_blank=True)
    capacity_query = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = ResourceQuery
        fields = ["id", "name", "kind", "source", "usage_query", "capacity_query", "unit", "name_labels",
                  "step_seconds", "history_days", "enabled", "last_run_at", "last_error", "created_at", "updated_at"]
        read_only_fields = ["last_run_at", "last_error", "created_at", "updated_at"]

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        defaults = defaults_for(kind) if kind else {}
        for name in ("usage_query", "capacity_query"):
            if name in attrs and not attrs[name].strip():
                attrs[name] = defaults.get(name, "")
            if self.instance is not None and name in attrs and not attrs[name]:
                raise serializers.ValidationError({name: "This kind has no default; write the query."})
        return attrs


class CapacityMetricSerializer(OrgOwnedSerializer):
    class Meta:
        model = CapacityMetric
        fields = ["id", "query", "resource_type", "resource_name", "labels", "unit", "current_usage",
                  "current_capacity", "usage_percent", "usage_trend", "growth_per_day", "eta", "days_to_exhaustion",
                  "predicted_exhaustion", "last_updated"]
        read_only_fields = fields


class CapacityThresholdSerializer(OrgOwnedSerializer):
    class Meta:
        model = CapacityThreshold
        fields = ["id", "name", "resource_type", "resource_pattern", "warning_threshold", "critical_threshold",
                  "forecast_days", "notify_channels", "enabled", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_notify_channels(self, value):
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise serializers.ValidationError("A list of channel ids.")
        return value

    def validate(self, attrs):
        warning = attrs.get("warning_threshold", getattr(self.instance, "warning_threshold", 80.0))
        critical = attrs.get("critical_threshold", getattr(self.instance, "critical_threshold", 90.0))
        if warning > critical:
            raise serializers.ValidationError({"warning_threshold": "Must not be above the critical threshold."})
        return attrs


class CapacityReportSerializer(OrgOwnedSerializer):
    class Meta:
        model = CapacityReport
        fields = ["id", "report_type", "generated_at", "period_start", "report_data", "recommendations",
                  "generated_by", "emailed_at"]
        read_only_fields = fields


class ReportRequestSerializer(serializers.Serializer):
    report_type = serializers.ChoiceField(choices=ReportType.choices, default=ReportType.ON_DEMAND)
    email = serializers.BooleanField(default=False)

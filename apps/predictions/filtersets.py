import django_filters

from .models import AnomalyDetection, ForecastTarget, MetricForecast, PredictionTask, PredictiveRule


class ForecastTargetFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = ForecastTarget
        fields = ["name", "source", "enabled"]


class MetricForecastFilterSet(django_filters.FilterSet):
    metric_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = MetricForecast
        fields = ["target", "metric_name", "model_type"]


class PredictiveRuleFilterSet(django_filters.FilterSet):
    class Meta:
        model = PredictiveRule
        fields = ["target", "is_enabled"]


class AnomalyDetectionFilterSet(django_filters.FilterSet):
    after = django_filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="lt")

    class Meta:
        model = AnomalyDetection
        fields = ["target", "anomaly_type", "severity", "alert_generated", "after", "before"]


class PredictionTaskFilterSet(django_filters.FilterSet):
    class Meta:
        model = PredictionTask
        fields = ["status", "alert"]

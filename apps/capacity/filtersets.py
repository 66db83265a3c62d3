import django_filters

from .models import CapacityMetric, CapacityReport, CapacityThreshold, ResourceQuery


class ResourceQueryFilterSet(django_filters.FilterSet):
    class Meta:
        model = ResourceQuery
        fields = ["kind", "source", "enabled"]


class CapacityMetricFilterSet(django_filters.FilterSet):
    resource_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = CapacityMetric
        fields = ["resource_type", "usage_trend", "query", "resource_name"]


class CapacityThresholdFilterSet(django_filters.FilterSet):
    class Meta:
        model = CapacityThreshold
        fields = ["resource_type", "enabled"]


class CapacityReportFilterSet(django_filters.FilterSet):
    class Meta:
        model = CapacityReport
        fields = ["report_type"]

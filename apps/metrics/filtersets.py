import django_filters

from .models import MetricSource


class MetricSourceFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = MetricSource
        fields = ["name", "kind", "enabled"]

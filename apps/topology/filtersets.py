import django_filters
from django.db.models import Q

from .choices import Criticality, DependencyKind, DiscoveredFrom, ServiceType, Tier
from .models import Dependency, Service


class ServiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    type = django_filters.ChoiceFilter(choices=ServiceType.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    discovered_from = django_filters.ChoiceFilter(choices=DiscoveredFrom.choices)

    class Meta:
        model = Service
        fields = ["name", "environment", "namespace", "team", "type", "tier", "discovered_from"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(namespace__icontains=value) | Q(description__icontains=value)
        )


class DependencyFilterSet(django_filters.FilterSet):
    service = django_filters.NumberFilter(method="touching", label="Source or target service id")
    kind = django_filters.ChoiceFilter(choices=DependencyKind.choices)
    criticality = django_filters.ChoiceFilter(choices=Criticality.choices)

    class Meta:
        model = Dependency
        fields = ["source", "target", "kind", "criticality", "discovered_from"]

    def touching(self, queryset, name, value):
        return queryset.filter(Q(source_id=value) | Q(target_id=value))

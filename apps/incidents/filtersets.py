import django_filters
from django.db.models import Q

from apps.alerts.choices import Severity

from .choices import ACTIVE_STATUSES, IncidentStatus, Strategy
from .models import CorrelationConfig, Incident, IncidentAlert, IncidentComment


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    active = django_filters.BooleanFilter(method="only_active", label="Active (not resolved)")
    service = django_filters.CharFilter(method="has_service", label="Affected service")
    root_cause_service = django_filters.CharFilter(field_name="root_cause_service_name")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = ["number", "status", "severity", "team", "assignee", "commander", "correlation_strategy"]

    def search(self, queryset, name, value):
        query = Q(title__icontains=value) | Q(summary__icontains=value) | Q(root_cause_service_name__icontains=value)
        if value.lstrip("#").isdigit():
            query |= Q(number=int(value.lstrip("#")))
        return queryset.filter(query)

    def only_active(self, queryset, name, value):
        return queryset.filter(status__in=ACTIVE_STATUSES) if value else queryset.filter(status=IncidentStatus.RESOLVED)

    def has_service(self, queryset, name, value):
        # A JSON list: match the quoted name so "api" does not match "api-gateway".
        return queryset.filter(affected_services__icontains=f'"{value}"')


class IncidentAlertFilterSet(django_filters.FilterSet):
    strategy = django_filters.ChoiceFilter(choices=Strategy.choices)

    class Meta:
        model = IncidentAlert
        fields = ["incident", "alert", "strategy", "is_auto", "is_root_cause"]


class IncidentCommentFilterSet(django_filters.FilterSet):
    class Meta:
        model = IncidentComment
        fields = ["incident", "author"]


class CorrelationConfigFilterSet(django_filters.FilterSet):
    class Meta:
        model = CorrelationConfig
        fields = ["enabled"]

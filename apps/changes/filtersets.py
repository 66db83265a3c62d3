"""FilterSets for changes, change sources, change↔alert links and settings (API and portal share them)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ChangeOrigin, ChangeStatus, ChangeType, CorrelationStatus, SourceKind
from .models import ChangeCorrelation, ChangeEvent, ChangeSource, CorrelationSettings


class ChangeEventFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    event_type = django_filters.MultipleChoiceFilter(choices=ChangeType.choices, label=_("Type"))
    source = django_filters.MultipleChoiceFilter(choices=ChangeOrigin.choices, label=_("Source"))
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices, label=_("Status"))
    service = django_filters.CharFilter(field_name="service", label=_("Service"))
    environment = django_filters.CharFilter(field_name="environment", label=_("Environment"))
    after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte", label=_("After"))
    before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt", label=_("Before"))
    min_score = django_filters.NumberFilter(
        field_name="correlation_score", lookup_expr="gte", label=_("Minimum correlation score")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("started_at", "started_at"),
            ("correlation_score", "correlation_score"),
            ("service", "service"),
        )
    )

    class Meta:
        model = ChangeEvent
        fields = [
            "q",
            "event_type",
            "source",
            "status",
            "service",
            "environment",
            "after",
            "before",
            "min_score",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(service__icontains=value)
            | Q(description__icontains=value)
            | Q(version__icontains=value)
            | Q(author__icontains=value)
            | Q(commit_sha__istartswith=value)
        )


class ChangeSourceFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=SourceKind.choices)

    class Meta:
        model = ChangeSource
        fields = ["kind", "enabled"]


class ChangeCorrelationFilterSet(django_filters.FilterSet):
    change = django_filters.NumberFilter(field_name="change_id")
    alert = django_filters.NumberFilter(field_name="alert_id")
    status = django_filters.MultipleChoiceFilter(choices=CorrelationStatus.choices)
    min_confidence = django_filters.NumberFilter(field_name="confidence", lookup_expr="gte")

    class Meta:
        model = ChangeCorrelation
        fields = ["change", "alert", "status", "correlation_type", "min_confidence"]


class CorrelationSettingsFilterSet(django_filters.FilterSet):
    class Meta:
        model = CorrelationSettings
        fields = ["enabled"]

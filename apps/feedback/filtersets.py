"""One FilterSet per model, shared by the API lists and the portal's library page."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import FeedbackType, FixSource, Section
from .models import AnalysisFeedback, RemediationFeedback, RepeatCheck, SuccessfulRemediation


class RemediationFeedbackFilterSet(django_filters.FilterSet):
    alert = django_filters.NumberFilter(field_name="alert_id")
    analysis = django_filters.NumberFilter(field_name="analysis_id")
    execution = django_filters.NumberFilter(field_name="execution_id")
    incident = django_filters.NumberFilter(field_name="incident_id")
    feedback_type = django_filters.MultipleChoiceFilter(choices=FeedbackType.choices)
    min_rating = django_filters.NumberFilter(field_name="rating", lookup_expr="gte")
    alert_pattern = django_filters.CharFilter(field_name="alert_pattern")
    provider_kind = django_filters.CharFilter(field_name="provider_kind")
    user = django_filters.NumberFilter(field_name="user_id")
    after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = RemediationFeedback
        fields = [
            "alert",
            "analysis",
            "execution",
            "incident",
            "feedback_type",
            "alert_pattern",
            "provider_kind",
        ]


class AnalysisFeedbackFilterSet(django_filters.FilterSet):
    alert = django_filters.NumberFilter(field_name="alert_id")
    analysis = django_filters.NumberFilter(field_name="analysis_id")
    analysis_section = django_filters.MultipleChoiceFilter(choices=Section.choices)
    alert_pattern = django_filters.CharFilter(field_name="alert_pattern")
    provider_kind = django_filters.CharFilter(field_name="provider_kind")
    after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AnalysisFeedback
        fields = ["alert", "analysis", "analysis_section", "is_accurate", "alert_pattern", "provider_kind"]


class SuccessfulRemediationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    alert_pattern = django_filters.CharFilter(
        field_name="alert_pattern", lookup_expr="iexact", label=_("Alert pattern")
    )
    service = django_filters.CharFilter(field_name="service", label=_("Service"))
    runbook = django_filters.NumberFilter(field_name="runbook_id", label=_("Runbook"))
    source = django_filters.MultipleChoiceFilter(choices=FixSource.choices, label=_("Source"))
    is_active = django_filters.BooleanFilter(field_name="is_active", label=_("Active"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("success_count", "success_count"),
            ("use_count", "use_count"),
            ("verified_at", "verified_at"),
            ("alert_pattern", "alert_pattern"),
        ),
        label=_("Order by"),
    )

    class Meta:
        model = SuccessfulRemediation
        fields = ["q", "alert_pattern", "service", "runbook", "source", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(alert_pattern__icontains=value)
            | Q(problem_summary__icontains=value)
            | Q(solution_summary__icontains=value)
            | Q(manual_steps__icontains=value)
            | Q(service__icontains=value)
        )


class RepeatCheckFilterSet(django_filters.FilterSet):
    analysis = django_filters.NumberFilter(field_name="analysis_id")
    alert_pattern = django_filters.CharFilter(field_name="alert_pattern")
    provider_kind = django_filters.CharFilter(field_name="provider_kind")
    after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = RepeatCheck
        fields = ["analysis", "alert_pattern", "provider_kind", "repeated"]

"""One FilterSet per model, shared by the API and the portal history page."""

import django_filters

from .models import Analysis, AnalysisPolicy, LLMCall, LLMProvider


class LLMProviderFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = LLMProvider
        fields = ["kind", "enabled"]


class AnalysisPolicyFilterSet(django_filters.FilterSet):
    class Meta:
        model = AnalysisPolicy
        fields = ["auto_analyse", "analyse_incidents"]


class AnalysisFilterSet(django_filters.FilterSet):
    alert = django_filters.NumberFilter(field_name="alert_id")
    incident = django_filters.NumberFilter(field_name="incident_id")
    provider = django_filters.NumberFilter(field_name="provider_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Analysis
        fields = ["status", "subject_type", "provider_kind", "trigger"]


class LLMCallFilterSet(django_filters.FilterSet):
    # Plain ids, not model choices: a choice field would reveal whether another organisation's id exists.
    provider = django_filters.NumberFilter(field_name="provider_id")
    analysis = django_filters.NumberFilter(field_name="analysis_id")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")

    class Meta:
        model = LLMCall
        fields = ["status", "purpose"]

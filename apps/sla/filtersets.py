"""FilterSets for SLA definitions, clocks, breaches and reports (API and portal share them)."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import BreachReason, ClockState, Measures, SubjectKind, Target
from .models import ComplianceReport, SLABreach, SLAClock, SLADefinition, SLAReport


class SLADefinitionFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("Name"))
    is_active = django_filters.BooleanFilter(label=_("Active"))
    measures = django_filters.MultipleChoiceFilter(choices=Measures.choices, label=_("Measures"))

    class Meta:
        model = SLADefinition
        fields = ["name", "is_active", "measures", "team"]


class SLAClockFilterSet(django_filters.FilterSet):
    alert = django_filters.NumberFilter(method="for_alert", label=_("Alert id"))
    incident = django_filters.NumberFilter(method="for_incident", label=_("Incident id"))
    subject_kind = django_filters.ChoiceFilter(choices=SubjectKind.choices, label=_("Item"))
    target = django_filters.ChoiceFilter(choices=Target.choices, label=_("Target"))
    state = django_filters.MultipleChoiceFilter(choices=ClockState.choices, label=_("State"))
    due_before = django_filters.IsoDateTimeFilter(field_name="deadline_at", lookup_expr="lt", label=_("Due before"))

    class Meta:
        model = SLAClock
        fields = ["alert", "incident", "subject_kind", "target", "state", "sla", "due_before"]

    def for_alert(self, queryset, name, value):
        return queryset.filter(subject_kind=SubjectKind.ALERT, subject_id=value)

    def for_incident(self, queryset, name, value):
        return queryset.filter(subject_kind=SubjectKind.INCIDENT, subject_id=value)


class SLABreachFilterSet(django_filters.FilterSet):
    breach_type = django_filters.ChoiceFilter(choices=Target.choices, label=_("Type"))
    reason = django_filters.ChoiceFilter(choices=BreachReason.choices, label=_("Reason"))
    after = django_filters.IsoDateTimeFilter(field_name="breached_at", lookup_expr="gte", label=_("After"))
    before = django_filters.IsoDateTimeFilter(field_name="breached_at", lookup_expr="lt", label=_("Before"))

    class Meta:
        model = SLABreach
        fields = ["sla", "breach_type", "reason", "alert_id", "incident_id", "after", "before"]


class ComplianceReportFilterSet(django_filters.FilterSet):
    after = django_filters.IsoDateTimeFilter(field_name="period_start", lookup_expr="gte", label=_("From"))
    before = django_filters.IsoDateTimeFilter(field_name="period_end", lookup_expr="lte", label=_("Until"))

    class Meta:
        model = ComplianceReport
        fields = ["after", "before"]


class SLAReportFilterSet(django_filters.FilterSet):
    class Meta:
        model = SLAReport
        fields = ["sla", "report", "overall_compliant"]

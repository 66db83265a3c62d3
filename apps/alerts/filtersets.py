"""FilterSets for integrations, alerts and alert history, shared by the API and the portal list.

One FilterSet per model means the portal's filter form and the API's query parameters can never
disagree about what `severity=critical&q=payment` means.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db import connection
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aiops.querysets import choices_for_request
from apps.tenancy.models import Team

from .choices import ActionSource, AlertEventKind, AlertStatus, IntegrationKind, Severity
from .expressions import search_document, severity_rank
from .models import Alert, AlertEvent, Integration

# Prometheus label names: https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ANY_YES_NO = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and expects


class CommaSeparatedCheckboxes(forms.CheckboxSelectMultiple):
    """Accepts both `?severity=critical&severity=warning` and `?severity=critical,warning`."""

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name) or []
        if isinstance(values, str):
            values = [values]
        return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


class SeverityOrderingFilter(django_filters.OrderingFilter):
    """Ordering whose `severity` key sorts by rank (critical > warning > info), not alphabetically.

    Ties are broken newest first, then by `-id`, so that offset pagination is stable.
    """

    def filter(self, qs, value):
        if not value:
            return qs
        rank = severity_rank()
        terms = []
        for param in value:
            descending = param.startswith("-")
            name = self.param_map.get(param.lstrip("-"), param.lstrip("-"))
            if name == "severity":
                terms.append(rank.desc() if descending else rank.asc())
            else:
                terms.append(f"-{name}" if descending else name)
        if not any(str(v).lstrip("-") == "starts_at" for v in value):
            terms.append("-starts_at")
        return qs.order_by(*terms, "-id")


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices, label=_("Status"), empty_label=_("Any"))
    # distinct=False: no join can duplicate a row, and DISTINCT over a million rows sorts them all.
    severity = django_filters.MultipleChoiceFilter(
        choices=Severity.choices,
        distinct=False,
        widget=CommaSeparatedCheckboxes,
        label=_("Severity"),
    )
    service = django_filters.CharFilter(label=_("Service"))
    environment = django_filters.CharFilter(label=_("Environment"))
    name = django_filters.CharFilter(label=_("Alert name"))
    instance = django_filters.CharFilter(label=_("Instance"))
    fingerprint = django_filters.CharFilter(label=_("Fingerprint"))
    team = django_filters.ModelChoiceFilter(queryset=choices_for_request(Team), label=_("Team"), empty_label=_("Any"))
    integration = django_filters.ModelChoiceFilter(
        queryset=choices_for_request(Integration), label=_("Integration"), empty_label=_("Any")
    )
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at",
        lookup_expr="isnull",
        exclude=True,
        label=_("Acknowledged"),
        widget=forms.Select(choices=ANY_YES_NO),
    )
    silenced = django_filters.BooleanFilter(
        method="filter_silenced", label=_("Silenced"), widget=forms.Select(choices=ANY_YES_NO)
    )
    assignee = django_filters.CharFilter(field_name="assigned_to__username", label=_("Assignee (username)"))
    after = django_filters.DateTimeFilter(
        field_name="starts_at",
        lookup_expr="gte",
        label=_("Started after"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    before = django_filters.DateTimeFilter(
        field_name="starts_at",
        lookup_expr="lt",
        label=_("Started before"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    label = django_filters.CharFilter(
        method="filter_label",
        label=_("Label (key=value)"),
        validators=[
            RegexValidator(
                r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=", _("Use key=value with a Prometheus label name as key.")
            )
        ],
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    ordering = SeverityOrderingFilter(
        fields=(
            ("starts_at", "starts_at"),
            ("ends_at", "ends_at"),
            ("severity", "severity"),
            ("status", "status"),
            ("name", "name"),
            ("service", "service"),
            ("acknowledged_at", "acknowledged_at"),
            ("last_received_at", "last_received_at"),
        ),
        field_labels={
            "starts_at": _("Started"),
            "ends_at": _("Ended"),
            "severity": _("Severity"),
            "status": _("Status"),
            "name": _("Name"),
            "service": _("Service"),
            "acknowledged_at": _("Acknowledged"),
            "last_received_at": _("Last notification"),
        },
        label=_("Order by"),
    )

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_silenced(self, queryset, name, value):
        if value is None:
            return queryset
        active = Q(silenced_until__gt=timezone.now())
        return queryset.filter(active) if value else queryset.exclude(active)

    def filter_label(self, queryset, name, value):
        """`key=value` matches one label exactly.

        PostgreSQL gets JSON containment (`labels @> {...}`, which a GIN index on labels serves);
        other databases a portable key lookup.
        """
        key, _sep, expected = value.partition("=")
        key, expected = key.strip(), expected.strip()
        if connection.vendor == "postgresql":
            return queryset.filter(labels__contains={key: expected})
        return queryset.filter(Exact(KeyTextTransform(key, "labels"), expected))

    def filter_q(self, queryset, name, value):
        """Free text over name, summary, service, instance and labels (one `search_document()`).

        One expression rather than five ORed columns, so that PostgreSQL can serve it from a
        trigram index on `UPPER(search_document())`; it also matches label keys, an acceptable
        over-match for a search box.
        """
        value = value.strip()
        if not value:
            return queryset
        return queryset.annotate(_search=search_document()).filter(_search__icontains=value)


class IntegrationFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=IntegrationKind.choices)
    enabled = django_filters.BooleanFilter()
    team = django_filters.ModelChoiceFilter(queryset=choices_for_request(Team))
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    ordering = django_filters.OrderingFilter(fields=("name", "created_at", "last_received_at"))

    class Meta:
        model = Integration
        fields: list[str] = []


class AlertEventFilterSet(django_filters.FilterSet):
    # A plain id, not a model choice: a select of every alert would be rendered by the browsable API.
    alert = django_filters.NumberFilter(field_name="alert_id")
    kind = django_filters.MultipleChoiceFilter(
        choices=AlertEventKind.choices, distinct=False, widget=CommaSeparatedCheckboxes
    )
    source = django_filters.ChoiceFilter(choices=ActionSource.choices)
    after = django_filters.DateTimeFilter(field_name="at", lookup_expr="gte")
    before = django_filters.DateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AlertEvent
        fields: list[str] = []

"""The one FilterSet of timeline entries, shared by the API and the portal page."""
import django_filters
from django.utils.translation import gettext_lazy as _

from aiops.events import CATALOGUE

from .kinds import entry_type, type_label
from .models import TimelineEntry
from .selectors import incident_scope

KIND_CHOICES = [(name, name) for name in CATALOGUE]
TYPE_CHOICES = sorted({(entry_type(name), type_label(entry_type(name))) for name in CATALOGUE})


class TimelineEntryFilterSet(django_filters.FilterSet):
    incident = django_filters.NumberFilter(method="filter_incident", label=_("Incident id"),
                                           help_text=_("Entries of the incident and of the alerts it holds."))
    alert = django_filters.NumberFilter(field_name="alert_id", label=_("Alert id"))
    kind = django_filters.MultipleChoiceFilter(choices=KIND_CHOICES, label=_("Event"))
    type = django_filters.MultipleChoiceFilter(choices=TYPE_CHOICES, method="filter_type", label=_("Type"))
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte",
                                                      label=_("From"))
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte",
                                                       label=_("Until"))
    subject_type = django_filters.CharFilter(label=_("Subject type"))
    q = django_filters.CharFilter(field_name="summary", lookup_expr="icontains", label=_("Search"))

    class Meta:
        model = TimelineEntry
        fields = ["incident", "alert", "kind", "type", "occurred_after", "occurred_before", "subject_type",
                  "q"]

    def filter_incident(self, queryset, name, value):
        organization = getattr(self.request, "organization", None)
        if organization is None:
            return queryset.filter(incident_id=value)
        return queryset.filter(incident_scope(organization_id=organization.pk, incident_id=int(value)))

    def filter_type(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(kind__in=[kind for kind in CATALOGUE if entry_type(kind) in value])

"""One FilterSet per model, shared by the API and the portal lists."""
import django_filters

from .models import CalendarFeed, Layer, Override, Schedule


class ScheduleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="name contains")

    class Meta:
        model = Schedule
        fields = ["team", "time_zone"]


class LayerFilterSet(django_filters.FilterSet):
    class Meta:
        model = Layer
        fields = ["schedule", "kind"]


class OverrideFilterSet(django_filters.FilterSet):
    after = django_filters.IsoDateTimeFilter(field_name="end", lookup_expr="gt", label="ends after")
    before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt", label="starts before")

    class Meta:
        model = Override
        fields = ["schedule", "user", "layer"]


class CalendarFeedFilterSet(django_filters.FilterSet):
    revoked = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = CalendarFeed
        fields = ["schedule", "user"]

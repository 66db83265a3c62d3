"""One FilterSet per model, shared by the API and the portal."""

import django_filters

from .models import AlertLogContext, LogQuery, LogSource


class LogSourceFilterSet(django_filters.FilterSet):
    class Meta:
        model = LogSource
        fields = ["kind", "enabled", "is_default", "team"]


class LogQueryFilterSet(django_filters.FilterSet):
    class Meta:
        model = LogQuery
        fields = ["source", "enabled", "alert_name", "team"]


class AlertLogContextFilterSet(django_filters.FilterSet):
    class Meta:
        model = AlertLogContext
        fields = ["alert", "source", "status"]

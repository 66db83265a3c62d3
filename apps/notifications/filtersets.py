"""One FilterSet per model, shared by the API and the portal lists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import ChannelKind, DeliveryKind, DeliveryStatus, EscalationStatus, Grouping
from .models import (
    Escalation,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    Snooze,
)


class NotificationChannelFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices)

    class Meta:
        model = NotificationChannel
        fields = ["kind", "enabled", "team"]


class NotificationRuleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    grouping = django_filters.ChoiceFilter(choices=Grouping.choices)
    channel = django_filters.NumberFilter(field_name="channels", label=_("Channel"))

    class Meta:
        model = NotificationRule
        fields = ["enabled", "grouping", "escalate", "escalation_policy", "team"]


class EscalationPolicyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))

    class Meta:
        model = EscalationPolicy
        fields = ["is_default", "team"]


class NotificationDeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    kind = django_filters.ChoiceFilter(choices=DeliveryKind.choices)
    event = django_filters.CharFilter(field_name="event_name", label=_("Event"))
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("Since"))
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Until"))
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Subject"))

    class Meta:
        model = NotificationDelivery
        fields = ["status", "kind", "channel", "rule", "alert", "incident_id", "escalation"]


class EscalationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EscalationStatus.choices)
    subject = django_filters.CharFilter(
        field_name="subject__key", label=_("Subject key (alert:12, incident:3)")
    )

    class Meta:
        model = Escalation
        fields = ["status", "rule", "policy"]


class SnoozeFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(method="filter_active", label=_("Active"))

    class Meta:
        model = Snooze
        fields = ["rule", "team"]

    def filter_active(self, queryset, name, value):
        from django.utils import timezone

        now = timezone.now()
        if value:
            return queryset.filter(starts_at__lte=now, until__gt=now)
        return queryset.exclude(starts_at__lte=now, until__gt=now)

"""One FilterSet per model, shared by the API and the portal lists.

Related-row choices are scoped to the requesting user's organisation (a dropdown must not list
another tenant's rules), and rows that can number in the millions (alerts) filter by id.
"""
import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aiops.querysets import choices_for_request
from apps.tenancy.models import Team

from .choices import ChannelKind, DeliveryKind, DeliveryStatus, EscalationStatus, Grouping
from .models import (
    Escalation,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    Snooze,
)


def related(model, label, field_name=None):
    return django_filters.ModelChoiceFilter(queryset=choices_for_request(model), label=label, field_name=field_name)


class NotificationChannelFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices)
    team = related(Team, _("Team"))

    class Meta:
        model = NotificationChannel
        fields = ["kind", "enabled"]


class NotificationRuleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    grouping = django_filters.ChoiceFilter(choices=Grouping.choices)
    channel = related(NotificationChannel, _("Channel"), field_name="channels")
    escalation_policy = related(EscalationPolicy, _("Escalation policy"))
    team = related(Team, _("Team"))

    class Meta:
        model = NotificationRule
        fields = ["enabled", "escalate"]


class EscalationPolicyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    team = related(Team, _("Team"))

    class Meta:
        model = EscalationPolicy
        fields = ["is_default"]


class NotificationDeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    kind = django_filters.ChoiceFilter(choices=DeliveryKind.choices)
    event = django_filters.CharFilter(field_name="event_name", label=_("Event"))
    channel = related(NotificationChannel, _("Channel"))
    rule = related(NotificationRule, _("Rule"))
    alert = django_filters.NumberFilter(field_name="alert_id", label=_("Alert id"))
    incident_id = django_filters.NumberFilter(label=_("Incident id"))
    escalation = django_filters.NumberFilter(field_name="escalation_id", label=_("Escalation id"))
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("Since"))
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Until"))
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Subject"))

    class Meta:
        model = NotificationDelivery
        fields = []


class EscalationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EscalationStatus.choices)
    subject = django_filters.CharFilter(field_name="subject__key",
                                        label=_("Subject key (alert:12, incident:3)"))
    rule = related(NotificationRule, _("Rule"))
    policy = related(EscalationPolicy, _("Policy"))

    class Meta:
        model = Escalation
        fields = []


class SnoozeFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter(method="filter_active", label=_("Active"))
    rule = related(NotificationRule, _("Rule"))

    class Meta:
        model = Snooze
        fields = []

    def filter_active(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.filter(starts_at__lte=now, until__gt=now)
        return queryset.exclude(starts_at__lte=now, until__gt=now)

"""One FilterSet per model, shared by the API and the portal lists.

Related rows are filtered by id (NumberFilter), not ModelChoiceFilter: a choice filter would look
the id up across all organisations and so tell whether another organisation's row exists.
"""

import django_filters
from django.db.models import Q

from .choices import ExecutionStatus, Mode
from .models import (
    ExecutionEvent,
    Runbook,
    RunbookExecution,
    RunbookVersion,
    SshTarget,
    StepResult,
    TriggerWait,
)


class RunbookFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    mode = django_filters.ChoiceFilter(choices=Mode.choices)
    tag = django_filters.CharFilter(method="has_tag", label="Tag")
    team = django_filters.NumberFilter(field_name="team_id")

    class Meta:
        model = Runbook
        fields = ["enabled", "category"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | Q(slug__icontains=value)
        )

    def has_tag(self, queryset, name, value):
        # JSON containment is not portable to SQLite; tags are few, so match the serialised list.
        return queryset.filter(tags__icontains=f'"{value}"')


class RunbookVersionFilterSet(django_filters.FilterSet):
    runbook = django_filters.NumberFilter(field_name="runbook_id")

    class Meta:
        model = RunbookVersion
        fields = ["source"]


class SshTargetFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    team = django_filters.NumberFilter(field_name="team_id")

    class Meta:
        model = SshTarget
        fields = ["enabled", "host"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(host__icontains=value))


class RunbookExecutionFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ExecutionStatus.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    runbook = django_filters.NumberFilter(field_name="runbook_id")
    alert = django_filters.NumberFilter(field_name="alert_id")
    target = django_filters.NumberFilter(field_name="target_id")

    class Meta:
        model = RunbookExecution
        fields = ["trigger"]


class StepResultFilterSet(django_filters.FilterSet):
    execution = django_filters.NumberFilter(field_name="execution_id")

    class Meta:
        model = StepResult
        fields = ["status", "phase"]


class ExecutionEventFilterSet(django_filters.FilterSet):
    execution = django_filters.NumberFilter(field_name="execution_id")

    class Meta:
        model = ExecutionEvent
        fields = ["kind"]


class TriggerWaitFilterSet(django_filters.FilterSet):
    pending = django_filters.BooleanFilter(field_name="fired_at", lookup_expr="isnull")
    runbook = django_filters.NumberFilter(field_name="runbook_id")
    alert = django_filters.NumberFilter(field_name="alert_id")

    class Meta:
        model = TriggerWait
        fields = []

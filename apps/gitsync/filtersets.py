"""FilterSets for repositories, sync runs and Git-managed runbooks (API and portal share them)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import SyncStatus, Trigger
from .models import ManagedRunbook, PushDelivery, Repository, SyncRun


class RepositoryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    environment = django_filters.CharFilter(field_name="environment", label=_("Environment"))
    enabled = django_filters.BooleanFilter(field_name="enabled", label=_("Sync enabled"))
    last_sync_status = django_filters.MultipleChoiceFilter(choices=SyncStatus.choices, label=_("Last status"))

    class Meta:
        model = Repository
        fields = ["q", "environment", "enabled", "last_sync_status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(url__icontains=value))


class SyncRunFilterSet(django_filters.FilterSet):
    repository = django_filters.NumberFilter(field_name="repository_id", label=_("Repository"))
    status = django_filters.MultipleChoiceFilter(choices=SyncStatus.choices, label=_("Status"))
    trigger = django_filters.MultipleChoiceFilter(choices=Trigger.choices, label=_("Trigger"))
    commit = django_filters.CharFilter(field_name="commit_sha", lookup_expr="startswith", label=_("Commit"))

    class Meta:
        model = SyncRun
        fields = ["repository", "status", "trigger", "commit"]


class ManagedRunbookFilterSet(django_filters.FilterSet):
    repository = django_filters.NumberFilter(field_name="repository_id", label=_("Repository"))
    active = django_filters.BooleanFilter(field_name="active", label=_("In the repository"))

    class Meta:
        model = ManagedRunbook
        fields = ["repository", "active"]


class PushDeliveryFilterSet(django_filters.FilterSet):
    repository = django_filters.NumberFilter(field_name="repository_id", label=_("Repository"))

    class Meta:
        model = PushDelivery
        fields = ["repository"]

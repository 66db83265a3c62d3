"""Admin screens: integrations (with their webhook URL and Alertmanager snippet), alerts, history, payloads.

Ops staff configure integrations here. Alerts, their history and raw payloads are records of what
arrived, so they are read-only; the alert actions call the same lifecycle services as the portal.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib import admin, messages
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aiops.admin import OrgScopedAdmin
from aiops.fields import EncryptedTextField, SecretInput
from aiops.querysets import OrgScopedQuerySet
from aiops.roles import Role
from apps.tenancy.models import Team

from . import ingest, selectors, services
from .choices import ActionSource
from .forms import IntegrationAdminForm
from .models import Alert, AlertEvent, Integration, RawPayload
from .pagination import CappedCountPaginator


class BoundedDatesQuerySet(OrgScopedQuerySet):
    """Year and month lists for the admin's date hierarchy from the first and last start time.

    Django lists them with `SELECT DISTINCT date_trunc(...)` over every matching row: seconds at a
    million alerts. Two index lookups (min, max) and the calendar in between cost milliseconds;
    the price is that a year or month without alerts may be listed. Days stay exact (one month's rows).
    """

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind not in ("year", "month"):
            return super().datetimes(field_name, kind, order, tzinfo)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        tz = tzinfo or timezone.get_current_timezone()
        first, last = timezone.localtime(bounds["first"], tz), timezone.localtime(bounds["last"], tz)
        if kind == "year":
            points = [datetime(year, 1, 1, tzinfo=tz) for year in range(first.year, last.year + 1)]
        else:
            months = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
            points = [datetime(m // 12, m % 12 + 1, 1, tzinfo=tz) for m in months]
        return points if order == "ASC" else points[::-1]


def _pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


class _ScopedChoiceFilter(admin.SimpleListFilter):
    """A related-object filter whose choices come from the active organisation only (no DISTINCT scan)."""

    model = None
    field = ""

    def lookups(self, request, model_admin):
        qs = self.model.objects.all()
        if not request.user.is_superuser:
            qs = qs.visible_to(request.user, model_admin._org(request))
        return [(str(obj.pk), str(obj)) for obj in qs.order_by("name")[:200]]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{f"{self.field}_id": int(value)})
        return queryset


class IntegrationListFilter(_ScopedChoiceFilter):
    title = _("integration")
    parameter_name = "integration"
    model = Integration
    field = "integration"


class TeamListFilter(_ScopedChoiceFilter):
    title = _("team")
    parameter_name = "team"
    model = Team
    field = "team"


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(acknowledged_at__isnull=self.value() == "no")
        return queryset


@admin.register(Integration)
class IntegrationAdmin(OrgScopedAdmin):
    form = IntegrationAdminForm
    # The admin's TextField override would turn the write-only secret input into a textarea that
    # shows the stored value; keep the encrypted field's own widget.
    formfield_overrides = {EncryptedTextField: {"widget": SecretInput}}
    list_display = ["name", "kind", "team", "enabled", "auth_type", "last_received_at", "organization"]
    list_filter = ["kind", "enabled", "auth_type", TeamListFilter]
    list_select_related = ["team", "organization"]
    search_fields = ["name"]
    readonly_fields = ["webhook_url", "alertmanager_snippet", "last_received_at", "created_by"]
    actions = ["rotate_token"]

    def get_fieldsets(self, request, obj=None):
        first = ["name", "kind", "enabled", "team"] + (["organization"] if request.user.is_superuser else [])
        fieldsets = [(None, {"fields": first})]
        if obj is not None and self._role_at_least(request, Role.ADMIN):
            fieldsets.append(
                (
                    _("Webhook (secret: whoever has the URL can send alerts)"),
                    {"fields": ["webhook_url", "alertmanager_snippet"]},
                )
            )
        fieldsets += [
            (_("Authentication"), {"fields": ["auth_type", "auth_username", "auth_secret"]}),
            (
                _("Labels and severity"),
                {
                    "fields": [
                        "service_labels",
                        "instance_labels",
                        "environment_labels",
                        "team_labels",
                        "severity_label",
                        "severity_mapping",
                        "default_severity",
                    ]
                },
            ),
            (_("Generic JSON"), {"fields": ["field_mapping"], "classes": ["collapse"]}),
            (_("Limits and status"), {"fields": ["rate_limit_per_minute", "last_received_at", "created_by"]}),
        ]
        return fieldsets

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj):
        return (
            format_html("<code id='webhook-url'>{}</code>", selectors.integration_webhook_url(obj))
            if obj.pk
            else "—"
        )

    @admin.display(description=_("Alertmanager configuration"))
    def alertmanager_snippet(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            "<pre id='alertmanager-snippet'>{}</pre>", selectors.integration_alertmanager_snippet(obj)
        )

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # New integrations get their URL token from the ingest service, never from the form.
        organization = obj.organization if request.user.is_superuser else self._org(request)
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("name", "organization")}
        created = ingest.integration_create(
            organization=organization, name=form.cleaned_data["name"], created_by=request.user, **fields
        )
        obj.__dict__.update(created.__dict__)

    @admin.action(description=_("Rotate the URL token (the old URL stops working)"), permissions=["change"])
    def rotate_token(self, request, queryset):
        count = 0
        for integration in queryset:
            ingest.integration_rotate_token(integration=integration)
            count += 1
        self.message_user(
            request,
            ngettext(
                "New URL issued for %(n)d integration.", "New URLs issued for %(n)d integrations.", count
            )
            % {"n": count},
            messages.SUCCESS,
        )


@admin.register(Alert)
class AlertAdmin(OrgScopedAdmin):
    list_display = [
        "name",
        "severity",
        "status",
        "service",
        "starts_at",
        "acknowledged_at",
        "assigned_to",
        "organization",
    ]
    list_filter = ["status", "severity", AcknowledgedFilter, IntegrationListFilter, TeamListFilter]
    list_select_related = ["assigned_to", "organization"]
    search_fields = ["name", "service", "instance", "=fingerprint"]
    date_hierarchy = "starts_at"
    paginator = CappedCountPaginator  # the changelist's row count stops at ALERTS_LIST_COUNT_CAP
    actions = ["acknowledge", "resolve"]
    readonly_fields = ["labels_pretty", "annotations_pretty"]
    exclude = ["labels", "annotations"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if type(qs) is OrgScopedQuerySet:
            qs.__class__ = BoundedDatesQuerySet  # cheap year/month links for the date hierarchy
        return qs

    def get_readonly_fields(self, request, obj=None):
        # Alerts are records of what Alertmanager sent: every field is shown, none is edited.
        own = [f.name for f in Alert._meta.concrete_fields if f.name not in ("id", "labels", "annotations")]
        return own + list(self.readonly_fields)

    def has_add_permission(self, request):
        return False  # alerts arrive through webhooks

    def has_change_permission(self, request, obj=None):
        return False

    def has_operate_permission(self, request):
        return self._role_at_least(request, Role.OPERATOR)

    @admin.display(description=_("labels"))
    def labels_pretty(self, obj):
        return _pretty_json(obj.labels)

    @admin.display(description=_("annotations"))
    def annotations_pretty(self, obj):
        return _pretty_json(obj.annotations)

    def _apply(self, request, queryset, service, done_message):
        done, refused = 0, []
        for alert in queryset:
            try:
                service(alert=alert, user=request.user, source=ActionSource.WEB)
                done += 1
            except services.AlertActionError as exc:
                refused.append(f"{alert}: {exc}")
        self.message_user(request, done_message % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Acknowledge selected alerts"), permissions=["operate"])
    def acknowledge(self, request, queryset):
        self._apply(request, queryset, services.alert_acknowledge, _("Acknowledged %(n)d alert(s)."))

    @admin.action(description=_("Resolve selected alerts by hand"), permissions=["operate"])
    def resolve(self, request, queryset):
        self._apply(request, queryset, services.alert_resolve, _("Resolved %(n)d alert(s)."))


class _ReadOnlyAdmin(OrgScopedAdmin):
    paginator = CappedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AlertEvent)
class AlertEventAdmin(_ReadOnlyAdmin):
    list_display = ["at", "alert", "kind", "source", "actor", "organization"]
    list_filter = ["kind", "source"]
    list_select_related = ["alert", "actor", "organization"]
    search_fields = ["alert__name", "note"]
    readonly_fields = ["data_pretty"]
    exclude = ["data"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return selectors.restrict_events_to_visible_alerts(
            qs, user=request.user, organization=self._org(request)
        )

    @admin.display(description=_("data"))
    def data_pretty(self, obj):
        return _pretty_json(obj.data)


@admin.register(RawPayload)
class RawPayloadAdmin(_ReadOnlyAdmin):
    list_display = ["received_at", "integration", "alert_count", "source_ip", "organization"]
    list_filter = [IntegrationListFilter]
    list_select_related = ["integration", "organization"]
    search_fields = ["=source_ip"]
    readonly_fields = ["body_pretty"]
    exclude = ["body"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        # Payloads carry no team: show those of integrations the user may see.
        integrations = selectors.integration_list(user=request.user, organization=self._org(request))
        return qs.filter(integration_id__in=integrations.values("pk"))

    @admin.display(description=_("body"))
    def body_pretty(self, obj):
        return _pretty_json(obj.body)

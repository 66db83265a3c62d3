"""Admin screens: change sources (with their secret URL and set-up snippet), changes, links, settings.

Ops staff wire senders up here; changes may also be entered by hand. Links are verdicts, so they
are changed only through the confirm/reject actions (operators), which call the same service as
the portal buttons and the API.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin
from aiops.roles import Role

from . import correlation, selectors, services, snippets
from .choices import ChangeOrigin, CorrelationStatus
from .forms import ChangeSourceAdminForm, CorrelationSettingsForm
from .models import (
    CORRECTABLE_FIELDS,
    SETTINGS_FIELDS,
    SOURCE_CONFIG_FIELDS,
    ChangeCorrelation,
    ChangeEvent,
    ChangeSource,
    CorrelationSettings,
)
from .payloads import ChangeData


def _pretty(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


@admin.register(ChangeSource)
class ChangeSourceAdmin(OrgScopedAdmin):
    form = ChangeSourceAdminForm
    list_display = ["name", "kind", "enabled", "default_environment", "last_received_at", "organization"]
    list_filter = ["kind", "enabled"]
    list_select_related = ["organization"]
    search_fields = ["name"]
    readonly_fields = ["webhook_url", "setup", "last_received_at", "created_by"]
    actions = ["rotate_token"]

    def get_fieldsets(self, request, obj=None):
        first = ["name", "kind", "enabled"] + (["organization"] if request.user.is_superuser else [])
        fieldsets = [(None, {"fields": first})]
        if obj is not None and self._role_at_least(request, Role.ADMIN):
            fieldsets.append(
                (
                    _("Webhook (secret: whoever has the URL can report changes)"),
                    {"fields": ["webhook_url", "setup"]},
                )
            )
        fieldsets.append(
            (
                _("Reading deliveries"),
                {"fields": [*SOURCE_CONFIG_FIELDS, "last_received_at", "created_by"]},
            )
        )
        return fieldsets

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj):
        return (
            format_html("<code id='change-webhook-url'>{}</code>", selectors.source_webhook_url(obj)) if obj.pk else "—"
        )

    @admin.display(description=_("set-up"))
    def setup(self, obj):
        return format_html("<pre id='change-source-setup'>{}</pre>", snippets.setup_snippet(obj)) if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        organization = obj.organization if request.user.is_superuser else self._org(request)
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("name", "organization")}
        created = services.change_source_create(
            organization=organization, name=form.cleaned_data["name"], created_by=request.user, **fields
        )
        obj.__dict__.update(created.__dict__)

    @admin.action(description=_("Rotate the URL token (the old URL stops working)"), permissions=["change"])
    def rotate_token(self, request, queryset):
        for source in queryset:
            services.change_source_rotate_token(source=source)
        self.message_user(request, _("New URLs issued."), messages.SUCCESS)


@admin.register(ChangeEvent)
class ChangeEventAdmin(OrgScopedAdmin):
    list_display = [
        "started_at",
        "event_type",
        "service",
        "environment",
        "version",
        "status",
        "source",
        "correlation_score",
        "organization",
    ]
    list_filter = ["event_type", "status", "source", "environment"]
    list_select_related = ["organization"]
    search_fields = ["service", "version", "description", "author", "=commit_sha", "=external_id"]
    date_hierarchy = "started_at"
    readonly_fields = ["correlation_score", "change_source", "created_by"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = [
        "source",
        *CORRECTABLE_FIELDS,
        "duration_seconds",
        "external_id",
        "change_source",
        "correlation_score",
        "created_by",
    ]

    def get_changeform_initial_data(self, request):
        return {"source": ChangeOrigin.MANUAL, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k in ChangeData.__dataclass_fields__}
        data["metadata"] = data.get("metadata") or {}
        if change:
            # The form already wrote its values onto `obj`; the service compares against the stored row.
            stored = ChangeEvent.objects.get(pk=obj.pk)
            services.change_update(
                change=stored, user=request.user, **{k: v for k, v in data.items() if k in form.changed_data}
            )
            obj.__dict__.update(stored.__dict__)
            return
        organization = obj.organization if request.user.is_superuser else self._org(request)
        result = services.change_record(organization=organization, data=ChangeData(**data), created_by=request.user)
        obj.__dict__.update(result.change.__dict__)


@admin.register(ChangeCorrelation)
class ChangeCorrelationAdmin(OrgScopedAdmin):
    list_display = [
        "change",
        "alert",
        "confidence",
        "status",
        "correlation_type",
        "decided_by",
        "organization",
    ]
    list_filter = ["status", "correlation_type"]
    list_select_related = ["change", "alert", "decided_by", "organization"]
    search_fields = ["change__service", "alert__name"]
    readonly_fields = ["factors_pretty"]
    exclude = ["factors"]
    actions = ["confirm", "reject"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(alert__in=selectors.visible_alerts(user=request.user, organization=self._org(request)))

    def get_readonly_fields(self, request, obj=None):
        own = [f.name for f in ChangeCorrelation._meta.concrete_fields if f.name not in ("id", "factors")]
        return own + list(self.readonly_fields)

    def has_add_permission(self, request):
        return False  # links are found by the engine or made with the API/portal

    def has_change_permission(self, request, obj=None):
        return False

    def has_operate_permission(self, request):
        return self._role_at_least(request, Role.OPERATOR)

    @admin.display(description=_("factors"))
    def factors_pretty(self, obj):
        return _pretty(obj.factors)

    def _decide(self, request, queryset, status):
        for row in queryset:
            correlation.correlation_decide(correlation=row, status=status, user=request.user)
        self.message_user(request, _("Done."), messages.SUCCESS)

    @admin.action(description=_("Confirm: the change caused the alert"), permissions=["operate"])
    def confirm(self, request, queryset):
        self._decide(request, queryset, CorrelationStatus.CONFIRMED)

    @admin.action(description=_("Reject: the change is unrelated"), permissions=["operate"])
    def reject(self, request, queryset):
        self._decide(request, queryset, CorrelationStatus.REJECTED)


@admin.register(CorrelationSettings)
class CorrelationSettingsAdmin(OrgScopedAdmin):
    form = CorrelationSettingsForm
    list_display = ["__str__", *SETTINGS_FIELDS[:7], "organization"]
    list_filter = ["enabled"]
    list_select_related = ["organization"]
    search_fields = ["organization__name"]

    def has_add_permission(self, request):
        if not super().has_add_permission(request):
            return False
        # One row per organisation; it is created with the plan's defaults on first use.
        return request.user.is_superuser or not CorrelationSettings.objects.for_org(self._org(request)).exists()

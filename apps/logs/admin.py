"""Admin: log sources (config write-only, a Test connection action), query templates, stored contexts.

List filters are choice fields only: a related-field filter would list other organisations' rows.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from . import services
from .models import AlertLogContext, LogQuery, LogSource


@admin.register(LogSource)
class LogSourceAdmin(OrgScopedAdmin):
    list_display = ["name", "kind", "team", "enabled", "is_default", "last_test_ok", "last_tested_at", "organization"]
    list_filter = ["kind", "enabled", "is_default"]
    list_select_related = ["organization", "team"]
    search_fields = ["name", "url"]
    readonly_fields = ["last_tested_at", "last_test_ok", "last_test_message", "created_by"]
    actions = ["test_connection"]

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.organization = self._org(request)
        if not change:
            obj.created_by = request.user
        if obj.is_default:
            services._clear_default(obj)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Test connection"), permissions=["change"])
    def test_connection(self, request, queryset):
        for source in queryset:
            ok, message = services.source_test(source=source)
            self.message_user(request, f"{source.name}: {message}", messages.SUCCESS if ok else messages.ERROR)


@admin.register(LogQuery)
class LogQueryAdmin(OrgScopedAdmin):
    list_display = ["name", "source", "alert_name", "time_range_minutes", "enabled", "organization"]
    list_filter = ["enabled"]
    list_select_related = ["organization", "source"]
    search_fields = ["name", "alert_name", "query_template"]
    autocomplete_fields = ["source"]
    readonly_fields = ["created_by"]


@admin.register(AlertLogContext)
class AlertLogContextAdmin(OrgScopedAdmin):
    list_display = ["alert", "source", "status", "entries", "queried_at", "duration_ms", "organization"]
    list_filter = ["status"]
    list_select_related = ["organization", "alert", "source"]
    search_fields = ["query_used", "reason"]
    readonly_fields = [f.name for f in AlertLogContext._meta.fields]

    def has_add_permission(self, request):
        return False  # contexts are fetched, not typed in

    def has_change_permission(self, request, obj=None):
        return False

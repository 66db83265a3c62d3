from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from . import reports, services
from .models import CapacityMetric, CapacityReport, CapacityThreshold, ResourceQuery
from .templates import DEFAULTS


class ResourceQueryForm(forms.ModelForm):
    """Empty templates are filled from the kind's defaults (node_exporter, postgres_exporter, RabbitMQ)."""

    class Meta:
        model = ResourceQuery
        fields = ["name", "kind", "source", "usage_query", "capacity_query", "unit", "name_labels",
                  "step_seconds", "history_days", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("usage_query", "capacity_query"):
            self.fields[name].required = False
            self.fields[name].help_text = str(self.fields[name].help_text) + " " + str(
                _("Leave empty for the kind's default."))

    def clean(self):
        data = super().clean()
        defaults = DEFAULTS.get(data.get("kind"), {})
        for name in ("usage_query", "capacity_query"):
            if not data.get(name):
                data[name] = defaults.get(name, "")
                if not data[name]:
                    self.add_error(name, _("This kind has no default; write the query."))
        return data


@admin.register(ResourceQuery)
class ResourceQueryAdmin(OrgScopedAdmin):
    form = ResourceQueryForm
    list_display = ["name", "kind", "source", "unit", "step_seconds", "history_days", "enabled", "last_run_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "usage_query"]
    autocomplete_fields = ["source"]
    readonly_fields = ["last_run_at", "last_error"]
    actions = ["scan_now"]

    @admin.action(description=_("Scan now"))
    def scan_now(self, request, queryset):
        for query in queryset:
            try:
                found = services.scan(query=query)
                self.message_user(request, f"{query.name}: {len(found)}", messages.SUCCESS)
            except Exception as exc:  # noqa: BLE001 - shown to the operator, recorded on the row
                self.message_user(request, f"{query.name}: {exc}", messages.ERROR)


@admin.register(CapacityMetric)
class CapacityMetricAdmin(OrgScopedAdmin):
    list_display = ["resource_name", "resource_type", "usage_percent", "usage_trend", "growth_per_day",
                    "days_to_exhaustion", "last_updated"]
    list_filter = ["resource_type", "usage_trend"]
    search_fields = ["resource_name"]
    list_select_related = ["query"]
    readonly_fields = ["query", "series_hash", "resource_type", "resource_name", "labels", "unit", "current_usage",
                       "current_capacity", "usage_percent", "usage_trend", "growth_per_day", "eta",
                       "days_to_exhaustion", "predicted_exhaustion", "history", "trend_line", "last_updated"]

    def has_add_permission(self, request):
        return False


@admin.register(CapacityThreshold)
class CapacityThresholdAdmin(OrgScopedAdmin):
    list_display = ["name", "resource_type", "resource_pattern", "warning_threshold", "critical_threshold",
                    "forecast_days", "enabled"]
    list_filter = ["resource_type", "enabled"]
    search_fields = ["name", "resource_pattern"]


@admin.register(CapacityReport)
class CapacityReportAdmin(OrgScopedAdmin):
    list_display = ["generated_at", "report_type", "period_start", "emailed_at"]
    list_filter = ["report_type"]
    readonly_fields = ["report_type", "generated_at", "period_start", "report_data", "recommendations",
                       "generated_by", "emailed_at"]
    actions = ["email_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("E-mail again"))
    def email_again(self, request, queryset):
        for report in queryset:
            reports.report_announce(report=report)
        self.message_user(request, _("Queued."), messages.SUCCESS)

"""Admin: ops staff manage SLA definitions here; clocks, timers, facts and reports are records."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from . import services
from .models import (
    DEFINITION_FIELDS,
    ComplianceReport,
    ItemEvent,
    SLABreach,
    SLAClock,
    SLADefinition,
    SLAReport,
    SLATimer,
)


class SLADefinitionForm(forms.ModelForm):
    class Meta:
        model = SLADefinition
        fields = DEFINITION_FIELDS

    def clean(self):
        data = super().clean()
        try:
            services.sla_definition_validate(dict(data))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


@admin.register(SLADefinition)
class SLADefinitionAdmin(OrgScopedAdmin):
    form = SLADefinitionForm
    list_display = ["name", "target_mtta_minutes", "target_mttr_minutes", "measures", "calendar",
                    "warning_threshold_percent", "is_active", "team", "organization"]
    list_filter = ["is_active", "measures", "calendar"]
    search_fields = ["name", "description"]
    filter_horizontal = ["applies_to_teams"]
    fieldsets = [
        (None, {"fields": ["name", "description", "team", "is_active"]}),
        (_("Targets"), {"fields": ["target_mtta_minutes", "target_mttr_minutes", "target_availability",
                                   "target_success_rate"]}),
        (_("Scope"), {"fields": ["measures", "applies_to_severity", "applies_to_services", "applies_to_teams",
                                 "label_matchers"]}),
        (_("Business hours"), {"fields": ["calendar", "time_zone", "work_start", "work_end", "work_days",
                                          "holidays"]}),
        (_("Pauses and re-opening"), {"fields": ["pause_when_silenced", "pause_in_maintenance",
                                                 "pause_waiting_third_party", "reopen_policy"]}),
        (_("Alerting"), {"fields": ["warning_threshold_percent", "breach_notify_channels"]}),
    ]


class _RecordAdmin(OrgScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SLAClock)
class SLAClockAdmin(_RecordAdmin):
    list_display = ["__str__", "sla", "state", "started_at", "deadline_at", "breached_at", "stopped_at",
                    "organization"]
    list_filter = ["state", "target", "subject_kind"]
    list_select_related = ["sla", "organization"]
    search_fields = ["title", "service", "sla__name"]
    actions = ["recompute"]

    @admin.action(description=_("Recompute from the items' events"))
    def recompute(self, request, queryset):
        items = sorted(set(queryset.values_list("organization_id", "subject_kind", "subject_id")))
        from .clocks import items_refresh

        count = items_refresh(items=items)
        self.message_user(request, _("%(n)s clocks recomputed.") % {"n": count}, messages.SUCCESS)


@admin.register(SLATimer)
class SLATimerAdmin(_RecordAdmin):
    list_display = ["clock", "kind", "due_at", "fired_at", "outcome", "organization"]
    list_filter = ["kind", "outcome"]
    list_select_related = ["clock", "organization"]


@admin.register(ItemEvent)
class ItemEventAdmin(_RecordAdmin):
    list_display = ["subject_kind", "subject_id", "kind", "at", "until", "organization"]
    list_filter = ["subject_kind", "kind"]
    search_fields = ["event_id"]


@admin.register(SLABreach)
class SLABreachAdmin(OrgScopedAdmin):
    list_display = ["breached_at", "sla", "breach_type", "target_value", "actual_value", "alert_id", "incident_id",
                    "suggested_reason", "reason", "notified", "organization"]
    list_filter = ["breach_type", "reason", "suggested_reason", "notified"]
    list_select_related = ["sla", "organization"]
    readonly_fields = ["sla", "clock", "alert_id", "incident_id", "breach_type", "target_value", "actual_value",
                       "breached_at", "notified", "suggested_reason", "suggestion_evidence", "team"]
    fields = readonly_fields + ["reason", "reason_text"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        from .breaches import BreachReasonError

        try:
            services.breach_set_reason(breach=obj, reason=obj.reason, text=obj.reason_text, user=request.user)
        except BreachReasonError as exc:
            self.message_user(request, str(exc), messages.ERROR)


class SLAReportInline(admin.TabularInline):
    model = SLAReport
    extra = 0
    can_delete = False
    fields = ["sla", "compliance_percent", "actual_mtta_minutes", "actual_mttr_minutes", "actual_availability",
              "actual_success_rate", "overall_compliant", "total_incidents", "breached_incidents"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ComplianceReport)
class ComplianceReportAdmin(_RecordAdmin):
    list_display = ["period_start", "period_end", "overall_compliance", "total_items", "breach_count",
                    "generated_at", "emailed_at", "organization"]
    inlines = [SLAReportInline]


@admin.register(SLAReport)
class SLAReportAdmin(_RecordAdmin):
    list_display = ["sla", "period_start", "period_end", "compliance_percent", "overall_compliant", "organization"]
    list_filter = ["overall_compliant"]
    list_select_related = ["sla", "organization"]

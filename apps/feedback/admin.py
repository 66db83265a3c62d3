"""Admin: ratings and repeat checks are records (read-only; admins may delete abuse), the fix library
is curated here as well as in the portal."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from .library import EDITABLE
from .models import AnalysisFeedback, RemediationFeedback, RepeatCheck, SuccessfulRemediation


class _RecordAdmin(OrgScopedAdmin):
    """Rows written by people through the portal, the API or the analyser: viewable, not editable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RemediationFeedback)
class RemediationFeedbackAdmin(_RecordAdmin):
    list_display = [
        "created_at",
        "feedback_type",
        "rating",
        "alert_pattern",
        "analysis",
        "execution",
        "user",
        "provider_kind",
        "organization",
    ]
    list_filter = ["feedback_type", "rating", "provider_kind"]
    list_select_related = ["user", "organization", "analysis", "execution"]
    search_fields = ["alert_pattern", "comment", "correct_action", "suggestion", "user__username"]
    date_hierarchy = "created_at"


@admin.register(AnalysisFeedback)
class AnalysisFeedbackAdmin(_RecordAdmin):
    list_display = [
        "created_at",
        "analysis_section",
        "is_accurate",
        "alert_pattern",
        "analysis",
        "user",
        "provider_kind",
        "organization",
    ]
    list_filter = ["analysis_section", "is_accurate", "provider_kind"]
    list_select_related = ["user", "organization", "analysis"]
    search_fields = ["alert_pattern", "user_correction", "user__username"]
    date_hierarchy = "created_at"


@admin.register(RepeatCheck)
class RepeatCheckAdmin(_RecordAdmin):
    list_display = [
        "created_at",
        "analysis",
        "alert_pattern",
        "provider_kind",
        "known_bad",
        "repeated",
        "organization",
    ]
    list_filter = ["repeated", "provider_kind"]
    list_select_related = ["organization", "analysis"]
    search_fields = ["alert_pattern", "repeated_suggestion"]


@admin.register(SuccessfulRemediation)
class SuccessfulRemediationAdmin(OrgScopedAdmin):
    list_display = [
        "alert_pattern",
        "service",
        "short_solution",
        "runbook",
        "success_count",
        "use_count",
        "verified_by",
        "verified_at",
        "is_active",
        "organization",
    ]
    list_filter = ["is_active", "source"]
    list_select_related = ["runbook", "verified_by", "organization"]
    search_fields = ["alert_pattern", "service", "problem_summary", "solution_summary", "manual_steps"]
    autocomplete_fields = ["runbook"]
    readonly_fields = [
        "use_count",
        "last_used_at",
        "verified_by",
        "verified_at",
        "source",
        "source_alert",
        "source_incident",
        "source_execution",
        "created_by",
    ]
    fields = [*EDITABLE, "team", "success_count", *readonly_fields]
    actions = ["retire", "reactivate"]

    @admin.display(description=_("what fixed it"))
    def short_solution(self, obj):
        return obj.solution_summary[:80]

    def save_model(self, request, obj, form, change):
        # Whoever saves an entry in the admin vouches for it.
        obj.verified_by, obj.verified_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Retire (no longer offered to the analyser)"), permissions=["change"])
    def retire(self, request, queryset):
        count = queryset.update(is_active=False)
        messages.success(request, _("%(n)d entries retired.") % {"n": count})

    @admin.action(description=_("Reactivate"), permissions=["change"])
    def reactivate(self, request, queryset):
        count = queryset.update(is_active=True)
        messages.success(request, _("%(n)d entries reactivated.") % {"n": count})

"""Admin: incidents (with their alerts and comments), links, comments and the correlation settings."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from .models import CorrelationConfig, Incident, IncidentAlert, IncidentComment


class IncidentAlertInline(admin.TabularInline):
    model = IncidentAlert
    extra = 0
    fields = ["alert", "strategy", "reason", "is_root_cause", "is_auto", "added_by", "added_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # membership changes go through the services (portal/API), which keep counters right

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Roles, not Django model permissions, decide (like the parent OrgScopedAdmin).
        return self.admin_site._registry[self.parent_model].has_view_permission(request, obj)


@admin.register(Incident)
class IncidentAdmin(OrgScopedAdmin):
    list_display = [
        "number",
        "title",
        "status",
        "severity",
        "alert_count",
        "root_cause_service_name",
        "correlation_strategy",
        "started_at",
        "assignee",
        "portal_link",
    ]
    list_filter = ["status", "severity", "correlation_strategy", "customer_impact", "team"]
    search_fields = ["title", "summary", "root_cause_service_name", "=number"]
    date_hierarchy = "started_at"
    list_select_related = ["assignee"]
    readonly_fields = [
        "number",
        "status",
        "severity",
        "alert_count",
        "firing_count",
        "root_cause_service",
        "root_cause_service_name",
        "root_cause_alert",
        "root_cause_evidence",
        "affected_services",
        "affected_environments",
        "started_at",
        "last_alert_at",
        "acknowledged_at",
        "identified_at",
        "mitigated_at",
        "resolved_at",
        "correlation_strategy",
        "correlation_reason",
        "merged_into",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["number", "title", "summary", "status", "severity", "team", "commander", "assignee"]},
        ),
        (
            _("Root cause"),
            {
                "fields": [
                    "root_cause_service_name",
                    "root_cause_service",
                    "root_cause_alert",
                    "root_cause_evidence",
                ]
            },
        ),
        (
            _("Impact and timing"),
            {
                "fields": [
                    "affected_services",
                    "affected_environments",
                    "alert_count",
                    "firing_count",
                    "started_at",
                    "last_alert_at",
                    "acknowledged_at",
                    "identified_at",
                    "mitigated_at",
                    "resolved_at",
                ]
            },
        ),
        (
            _("Post-mortem"),
            {
                "fields": [
                    "impact",
                    "customer_impact",
                    "root_cause_analysis",
                    "lessons_learned",
                    "action_items",
                    "postmortem_url",
                ]
            },
        ),
        (
            _("Correlation"),
            {
                "fields": [
                    "correlation_strategy",
                    "correlation_reason",
                    "merged_into",
                    "created_by",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [IncidentAlertInline]

    def has_add_permission(self, request):
        return False  # opened by the engine or in the portal/API, which number and announce it

    @admin.display(description=_("portal"))
    def portal_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("incidents:detail", args=[obj.pk]), _("open"))


@admin.register(IncidentAlert)
class IncidentAlertAdmin(OrgScopedAdmin):
    list_display = ["incident", "alert", "strategy", "is_root_cause", "is_auto", "added_by", "added_at"]
    list_filter = ["strategy", "is_root_cause", "is_auto"]
    search_fields = ["reason", "alert__name", "alert__service", "=incident__number"]
    list_select_related = ["incident", "alert", "added_by"]
    readonly_fields = [
        "incident",
        "alert",
        "strategy",
        "reason",
        "is_root_cause",
        "is_auto",
        "added_by",
        "added_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IncidentComment)
class IncidentCommentAdmin(OrgScopedAdmin):
    list_display = ["incident", "author", "created_at", "short_body"]
    search_fields = ["body", "=incident__number"]
    list_select_related = ["incident", "author"]
    readonly_fields = ["incident", "author", "created_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("comment"))
    def short_body(self, obj):
        return obj.body[:80]


@admin.register(CorrelationConfig)
class CorrelationConfigAdmin(OrgScopedAdmin):
    list_display = [
        "organization",
        "enabled",
        "window_minutes",
        "topology_enabled",
        "labels_enabled",
        "group_key_enabled",
        "auto_merge",
        "auto_resolve",
        "reopen_window_minutes",
    ]
    list_filter = ["enabled", "auto_resolve"]
    search_fields = ["organization__name"]
    fieldsets = [
        (None, {"fields": ["organization", "enabled", "window_minutes"]}),
        (
            _("Strategies"),
            {
                "fields": [
                    "temporal_enabled",
                    "topology_enabled",
                    "topology_max_hops",
                    "labels_enabled",
                    "label_keys",
                    "group_key_enabled",
                    "auto_merge",
                ]
            },
        ),
        (_("Lifecycle"), {"fields": ["auto_resolve", "reopen_window_minutes"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        sets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return sets
        return [(name, {"fields": [f for f in opts["fields"] if f != "organization"]}) for name, opts in sets]

    def has_add_permission(self, request):
        # One row per organisation, created on first use; non-superusers edit theirs.
        return request.user.is_superuser and super().has_add_permission(request)

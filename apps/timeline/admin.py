"""Read-only admin for timeline entries: the record is append-only, so nobody adds, edits or deletes."""
from django.contrib import admin

from aiops.admin import OrgScopedAdmin

from .models import TimelineEntry


@admin.register(TimelineEntry)
class TimelineEntryAdmin(OrgScopedAdmin):
    list_display = ["occurred_at", "kind", "summary", "actor_label", "incident_id", "alert_id", "team",
                    "organization"]
    list_filter = ["kind", "occurred_at"]
    list_select_related = ["organization", "team"]
    search_fields = ["summary", "event_id", "=incident_id", "=alert_id"]
    readonly_fields = [f.name for f in TimelineEntry._meta.fields]
    ordering = ["-occurred_at", "-id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

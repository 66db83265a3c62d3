from django.contrib import admin

from aiops.admin import OrgScopedAdmin

from .models import CalendarFeed, ContactMethod, Layer, Override, QuietHours, Schedule


class _MembersAdmin(OrgScopedAdmin):
    """Person fields offer the active organisation's members only (never another organisation's users)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("user", "lead") and formfield is not None and not request.user.is_superuser:
            formfield.queryset = formfield.queryset.filter(memberships__organization=self._org(request)).distinct()
        return formfield


@admin.register(Schedule)
class ScheduleAdmin(_MembersAdmin):
    list_display = ("name", "team", "time_zone", "lead", "announce_shift_changes")
    list_filter = ("time_zone",)
    search_fields = ("name",)


@admin.register(Layer)
class LayerAdmin(OrgScopedAdmin):
    list_display = ("name", "schedule", "kind", "position", "shift_unit", "shift_length", "start_date")
    list_filter = ("kind", "shift_unit")
    search_fields = ("name", "schedule__name")
    autocomplete_fields = ("schedule",)


@admin.register(Override)
class OverrideAdmin(_MembersAdmin):
    list_display = ("schedule", "user", "start", "end", "reason", "layer", "created_by")
    list_filter = ("start",)
    search_fields = ("schedule__name", "user__username", "reason")
    autocomplete_fields = ("schedule", "layer")
    date_hierarchy = "start"


@admin.register(CalendarFeed)
class CalendarFeedAdmin(_MembersAdmin):
    """Feeds are created in the portal or API (the URL is shown once); the admin lists and revokes."""

    list_display = ("__str__", "schedule", "user", "prefix", "revoked_at", "last_used_at", "created_by")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("schedule", "user", "name", "prefix", "revoked_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected feeds")
    def revoke(self, request, queryset):
        from . import services

        for feed in queryset:
            services.feed_revoke(feed=feed)


@admin.register(ContactMethod)
class ContactMethodAdmin(_MembersAdmin):
    """Personal notification methods; the target is write-only (blank keeps the stored one)."""

    list_display = ("user", "kind", "position", "label", "critical_only", "enabled")
    list_filter = ("kind", "enabled", "critical_only")
    search_fields = ("user__username", "label")

    def save_model(self, request, obj, form, change):
        from django.core.exceptions import ValidationError

        from . import services

        if "target" in form.changed_data or not change:
            try:
                obj.target = services._clean_target(obj.kind, obj.target)
            except ValidationError as exc:
                form.add_error(None, exc)
                raise
        super().save_model(request, obj, form, change)


@admin.register(QuietHours)
class QuietHoursAdmin(_MembersAdmin):
    list_display = ("user", "start", "end", "time_zone", "enabled")
    list_filter = ("enabled",)
    search_fields = ("user__username",)

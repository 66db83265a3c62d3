"""Admin: where ops staff edit channels, rules and policies; the log and escalations are read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin
from aiops.roles import Role

from . import services
from .forms import RULE_FIELDSETS, NotificationChannelAdminForm, NotificationRuleAdminForm
from .models import (
    Escalation,
    EscalationLevel,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    Snooze,
)
from .providers import get_provider


@admin.register(NotificationChannel)
class NotificationChannelAdmin(OrgScopedAdmin):
    form = NotificationChannelAdminForm
    list_display = [
        "name",
        "kind",
        "where",
        "enabled",
        "team",
        "last_test_at",
        "last_test_status",
        "paused_until",
    ]
    list_filter = ["kind", "enabled", "team"]
    search_fields = ["name"]
    actions = ["send_test"]

    def save_model(self, request, obj, form, change):
        """Through `channel_create` / `channel_update`, like the API and the portal (form.clean has
        already merged the write-only secrets into the stored configuration)."""
        data = form.cleaned_data
        fields = {name: data[name] for name in ("name", "kind", "enabled", "team") if name in data}
        if request.user.is_superuser and data.get("organization") is not None:
            organization = data["organization"]
        else:
            organization = self._org(request)
        if change:
            stored = NotificationChannel.objects.get(pk=obj.pk)
            if organization is not None and organization.pk != stored.organization_id:
                fields["organization"] = organization
            saved = services.channel_update(channel=stored, config=data.get("config"), **fields)
        else:
            saved = services.channel_create(
                organization=organization, config=data.get("config") or {}, created_by=request.user, **fields
            )
        for field in saved._meta.concrete_fields:  # the admin goes on with `obj` (messages, redirect)
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    @admin.display(description=_("destination"))
    def where(self, obj):
        return get_provider(obj.kind).summary(obj.config or {}) if obj.config else "—"

    @admin.action(description=_("Send test notification"))
    def send_test(self, request, queryset):
        if not self.has_change_permission(request):
            self.message_user(request, _("Only admins may send test notifications."), messages.ERROR)
            return
        for channel in queryset:
            delivery = services.channel_send_test(channel=channel, user=request.user)
            level = messages.SUCCESS if delivery.status == "sent" else messages.ERROR
            self.message_user(
                request,
                _("%(channel)s: %(status)s %(reason)s")
                % {
                    "channel": channel.name,
                    "status": delivery.get_status_display(),
                    "reason": delivery.reason,
                },
                level,
            )


@admin.register(NotificationRule)
class NotificationRuleAdmin(OrgScopedAdmin):
    form = NotificationRuleAdminForm
    list_display = [
        "name",
        "priority",
        "enabled",
        "grouping",
        "escalate",
        "escalation_policy",
        "rate_limit_count",
        "team",
    ]
    list_filter = ["enabled", "grouping", "escalate", "team"]
    search_fields = ["name", "description", "alert_name_pattern"]
    filter_horizontal = ["channels", "teams"]
    fieldsets = [(title, {"fields": names}) for title, names in RULE_FIELDSETS]


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    extra = 1
    fields = ["position", "delay_minutes", "channels", "repeat_count", "repeat_interval_minutes",
              "oncall_schedule", "oncall_target", "oncall_user"]
    exclude = ["organization"]

    # Levels are part of the policy: the policy admin's organisation roles decide, not Django's
    # per-model permissions (organisation admins hold none of those).
    def _policy_admin(self):
        return self.admin_site._registry[EscalationPolicy]

    def has_view_permission(self, request, obj=None):
        return self._policy_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._policy_admin().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._policy_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._policy_admin().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        formfield.queryset = self._policy_admin()._narrow(request, formfield.queryset)
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self._policy_admin()._narrow(request, formfield.queryset)
        if db_field.name == "oncall_user" and formfield is not None and not request.user.is_superuser:
            # The active organisation's members only, never another organisation's users.
            org = self._policy_admin()._org(request)
            formfield.queryset = formfield.queryset.filter(memberships__organization=org).distinct()
        return formfield


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(OrgScopedAdmin):
    list_display = ["name", "is_default", "team", "created_at"]
    list_filter = ["is_default", "team"]
    search_fields = ["name"]
    inlines = [EscalationLevelInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.is_default:
            services.escalation_policy_make_default(policy=obj)

    def save_formset(self, request, form, formset, change):
        for level in formset.save(commit=False):
            level.organization_id = form.instance.organization_id
            level.save()
        for level in formset.deleted_objects:
            level.delete()
        formset.save_m2m()


class ReadOnlyAdmin(OrgScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "title",
        "channel",
        "rule",
        "status",
        "attempts",
        "latency_ms",
        "event_name",
    ]
    list_filter = ["status", "kind", "channel", "event_name"]
    search_fields = ["title", "reason", "event_id"]
    date_hierarchy = "created_at"
    list_select_related = ["channel", "rule"]
    readonly_fields = [f.name for f in NotificationDelivery._meta.fields]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "subject", "policy_name", "status", "current_level", "stopped_reason"]
    list_filter = ["status"]
    search_fields = ["policy_name", "subject__title", "subject__key"]
    list_select_related = ["subject"]
    readonly_fields = [f.name for f in Escalation._meta.fields]
    actions = ["cancel"]

    @admin.action(description=_("Cancel the escalation"))
    def cancel(self, request, queryset):
        if not self._role_at_least(request, Role.OPERATOR):
            return
        for escalation in queryset.filter(status="active"):
            services.escalation_cancel(escalation=escalation, user=request.user)


@admin.register(Snooze)
class SnoozeAdmin(OrgScopedAdmin):
    list_display = ["__str__", "starts_at", "until", "rule", "reason", "created_by", "team"]
    list_filter = ["team"]
    search_fields = ["alert_name_pattern", "reason"]

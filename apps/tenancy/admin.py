"""Admin screens for organisations, teams, members and tokens; owners manage members."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdminMixin

from aiops.admin import OrgScopedAdmin
from aiops.roles import Role

from . import services
from .models import ApiToken, Membership, Organization, Team


@admin.register(Organization)
class OrganizationAdmin(OrgScopedAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return self._role_at_least(request, Role.OWNER)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_exclude(self, request, obj=None):
        return []


@admin.register(Team)
class TeamAdmin(GuardedModelAdminMixin, OrgScopedAdmin):
    list_display = ["name", "slug", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__email"]
    filter_horizontal = ["teams"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user" and not request.user.is_superuser:
            # Owners choose among their organisation's people; platform operators add new users.
            org = self._org(request)
            formfield.queryset = formfield.queryset.filter(memberships__organization=org)
        return formfield

    def has_add_permission(self, request):
        return self._role_at_least(request, Role.OWNER)

    def has_change_permission(self, request, obj=None):
        return self._role_at_least(request, Role.OWNER)

    def has_delete_permission(self, request, obj=None):
        return self._role_at_least(request, Role.OWNER)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Keep staff status and cached access in line with the role (the service owns that rule).
        services.membership_set(organization=obj.organization, user=obj.user, role=Role(obj.role))


@admin.register(ApiToken)
class ApiTokenAdmin(OrgScopedAdmin):
    list_display = ["name", "prefix", "user", "organization", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organization", "revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "organization", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are issued in the portal or API, where the secret can be shown once

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)
        messages.success(request, _("Revoked %(count)d token(s).") % {"count": queryset.count()})

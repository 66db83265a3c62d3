"""Admin: Slack workspaces (manual bot-token install), Teams outgoing webhooks, linked accounts.

Tokens and secrets are encrypted fields: the form never shows them, an empty input keeps them.
Linked accounts are made only by the user's own confirmation in the portal; admins may remove one.
"""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from .models import ChatIdentity, IncidentChannel, SlackChannel, SlackWorkspace, TeamsWebhook


@admin.register(SlackWorkspace)
class SlackWorkspaceAdmin(OrgScopedAdmin):
    list_display = ["__str__", "team_id", "enabled", "organization"]
    list_filter = ["enabled"]
    list_select_related = ["organization"]
    search_fields = ["name", "team_id"]
    readonly_fields = ["request_url", "created_by"]

    def get_fields(self, request, obj=None):
        fields = ["name", "team_id", "bot_token", "signing_secret", "app_token", "api_url", "enabled",
                  "incident_channel_severity", "request_url"]
        return fields + (["organization"] if request.user.is_superuser else [])

    @admin.display(description=_("Slack request URL (slash command, interactivity)"))
    def request_url(self, obj):
        return format_html("<code>{}</code>", reverse("chatops-slack"))


@admin.register(TeamsWebhook)
class TeamsWebhookAdmin(OrgScopedAdmin):
    list_display = ["name", "enabled", "organization"]
    list_filter = ["enabled"]
    list_select_related = ["organization"]
    search_fields = ["name"]
    readonly_fields = ["callback_url", "created_by"]

    def get_fields(self, request, obj=None):
        fields = ["name", "secret", "enabled", "callback_url"]
        return fields + (["organization"] if request.user.is_superuser else [])

    @admin.display(description=_("callback URL for Teams"))
    def callback_url(self, obj):
        return format_html("<code>{}</code>", reverse("chatops-teams", args=[obj.pk])) if obj.pk else "—"


@admin.register(ChatIdentity)
class ChatIdentityAdmin(OrgScopedAdmin):
    list_display = ["__str__", "provider", "workspace", "user", "created_at"]
    list_filter = ["provider", "workspace"]
    list_select_related = ["workspace", "user"]
    search_fields = ["external_id", "display_name", "user__username"]
    readonly_fields = ["provider", "workspace", "external_id", "display_name", "user", "created_at"]

    def has_add_permission(self, request):
        return False  # only the user links their own account (portal page)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SlackChannel)
class SlackChannelAdmin(OrgScopedAdmin):
    """Channel ↔ team defaults: commands in a mapped channel list and declare that team's incidents."""

    list_display = ["__str__", "workspace", "team", "organization"]
    list_select_related = ["workspace", "team", "organization"]
    search_fields = ["channel_id", "name", "team__name"]

    def get_fields(self, request, obj=None):
        fields = ["workspace", "channel_id", "name", "team"]
        return fields + (["organization"] if request.user.is_superuser else [])

    def save_model(self, request, obj, form, change):
        if obj.workspace_id and not obj.organization_id:
            obj.organization_id = obj.workspace.organization_id
        super().save_model(request, obj, form, change)


@admin.register(IncidentChannel)
class IncidentChannelAdmin(OrgScopedAdmin):
    """Incidents' chat links: opened by the incident-channel subscriber, read-only here."""

    list_display = ["__str__", "incident", "workspace", "created_at"]
    list_select_related = ["incident", "workspace"]
    search_fields = ["name", "channel_id"]
    readonly_fields = ["incident", "workspace", "channel_id", "name", "invited", "card_ts", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

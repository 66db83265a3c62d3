"""Chat workspaces bound to an organisation, and chat identities linked (explicitly) to portal users."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel

from .choices import ChatProvider


class SlackWorkspace(OrgOwnedModel, CreatedByMixin):
    """One Slack workspace (team) installed for one organisation, by a manually pasted bot token."""

    team_id = models.CharField(
        _("Slack team ID"), max_length=32, unique=True,
        help_text=_("The workspace ID (T…); a workspace belongs to one organisation."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    bot_token = EncryptedTextField(_("bot token"), blank=True, help_text=_("xoxb-…; write-only."))
    signing_secret = EncryptedTextField(
        _("signing secret"), help_text=_("From the Slack app's Basic Information; write-only."))
    app_token = EncryptedTextField(
        _("app-level token"), blank=True,
        help_text=_("xapp-… with connections:write, for Socket Mode (no public URL); write-only."))
    api_url = models.URLField(_("Web API base URL"), blank=True,
                              help_text=_("Leave empty for https://slack.com/api/."))
    enabled = models.BooleanField(_("enabled"), default=True)
    incident_channel_severity = models.CharField(
        _("incident channels from severity"), max_length=10, blank=True,
        choices=[("critical", _("Critical")), ("warning", _("Warning")), ("info", _("Info"))],
        help_text=_("Open a #inc-<number>-<title> channel for each new incident at or above this severity; "
                    "empty = never."),
    )

    class Meta:
        db_table = "chatops_slack_workspaces"
        ordering = ["name", "team_id"]
        verbose_name = _("Slack workspace")

    def __str__(self):
        return self.name or self.team_id


class TeamsWebhook(OrgOwnedModel, CreatedByMixin):
    """A Microsoft Teams outgoing webhook: Teams signs each message with the secret it showed once."""

    name = models.CharField(_("name"), max_length=200)
    secret = EncryptedTextField(
        _("security token"), help_text=_("The base64 HMAC secret Teams shows when the webhook is created; write-only."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        db_table = "chatops_teams_webhooks"
        ordering = ["name"]
        verbose_name = _("Teams outgoing webhook")

    def __str__(self):
        return self.name


class ChatIdentity(OrgOwnedModel):
    """A chat user linked by that user's own confirmation in the portal (never guessed by e-mail)."""

    provider = models.CharField(_("provider"), max_length=10, choices=ChatProvider.choices, default=ChatProvider.SLACK)
    workspace = models.ForeignKey(SlackWorkspace, on_delete=models.CASCADE, related_name="identities",
                                  verbose_name=_("workspace"))
    external_id = models.CharField(_("chat user ID"), max_length=64)
    display_name = models.CharField(_("chat name"), max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_identities",
                             verbose_name=_("portal user"))

    class Meta:
        db_table = "chatops_identities"
        ordering = ["workspace", "external_id"]
        verbose_name = _("linked chat account")
        verbose_name_plural = _("linked chat accounts")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "external_id"], name="chatops_identity_unique"),
        ]

    def __str__(self):
        return f"{self.display_name or self.external_id} → {self.user}"


class SlackChannel(OrgOwnedModel):
    """A Slack channel mapped to a team: commands typed (and buttons clicked) there default to that team."""

    workspace = models.ForeignKey(SlackWorkspace, on_delete=models.CASCADE, related_name="channels",
                                  verbose_name=_("workspace"))
    channel_id = models.CharField(_("Slack channel ID"), max_length=32, help_text=_("C… or G… (not the #name)."))
    name = models.CharField(_("name"), max_length=80, blank=True, help_text=_("For display, e.g. #payments-ops."))
    team = models.ForeignKey("tenancy.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))

    class Meta:
        db_table = "chatops_slack_channels"
        ordering = ["workspace", "name", "channel_id"]
        verbose_name = _("Slack channel → team")
        verbose_name_plural = _("Slack channels → teams")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "channel_id"], name="chatops_channel_unique"),
        ]

    def __str__(self):
        return f"{self.name or self.channel_id} → {self.team}"

    def clean(self):
        from django.core.exceptions import ValidationError

        org = self.organization_id or getattr(self.workspace, "organization_id", None)
        problems = {}
        if self.workspace_id and self.workspace.organization_id != org:
            problems["workspace"] = _("The workspace belongs to another organisation.")
        if self.team_id and self.team.organization_id != org:
            problems["team"] = _("The team belongs to another organisation.")
        if problems:
            raise ValidationError(problems)


class IncidentChannel(OrgOwnedModel):
    """An incident's chat link: the Slack channel opened for it (one per incident and workspace)."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="chat_links",
                                 verbose_name=_("incident"))
    workspace = models.ForeignKey(SlackWorkspace, on_delete=models.CASCADE, related_name="incident_channels",
                                  verbose_name=_("workspace"))
    channel_id = models.CharField(_("Slack channel ID"), max_length=32)
    name = models.CharField(_("name"), max_length=80)
    invited = models.JSONField(_("invited Slack users"), default=list, blank=True)
    card_ts = models.CharField(_("incident card message ts"), max_length=32, blank=True)

    class Meta:
        db_table = "chatops_incident_channels"
        ordering = ["-created_at"]
        verbose_name = _("incident channel")
        constraints = [
            models.UniqueConstraint(fields=["incident", "workspace"], name="chatops_incident_channel_unique"),
        ]

    def __str__(self):
        return f"#{self.name}"

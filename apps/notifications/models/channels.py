"""Where notifications go: one row per Slack workspace channel, PagerDuty service, mailbox, ..."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedJSONField
from aiops.models import CreatedByMixin, TeamOwnedModel

from ..choices import ChannelKind


class NotificationChannel(TeamOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=ChannelKind.choices)
    # The whole provider config is encrypted: webhook URLs, routing keys and tokens are secrets.
    config = EncryptedJSONField(
        _("configuration"),
        help_text=_(
            "Write-only JSON; see docs/notifications.md for the keys of each channel type. "
            "Leave empty to keep the stored configuration."
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # Set from a provider's 429 Retry-After: this channel's sends wait, the others do not.
    paused_until = models.DateTimeField(
        _("paused until (rate limited by provider)"), null=True, blank=True, editable=False
    )
    last_test_at = models.DateTimeField(_("last test"), null=True, blank=True, editable=False)
    last_test_status = models.CharField(_("last test result"), max_length=20, blank=True, editable=False)

    class Meta:
        db_table = "notification_channels"
        ordering = ["name"]
        verbose_name = _("notification channel")

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChatProvider(models.TextChoices):
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")

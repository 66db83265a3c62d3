from django.db import models
from django.utils.translation import gettext_lazy as _


class ShiftUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")


class LayerKind(models.TextChoices):
    ROTATION = "rotation", _("Rotation")
    CALENDAR = "calendar", _("Calendar (imported shifts)")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class EscalationTarget(models.TextChoices):
    """Whom an escalation level pages on a schedule, resolved when the level fires."""

    PRIMARY = "primary", _("Whoever is on call")
    BACKUP = "backup", _("The backup (next layer)")
    LEAD = "lead", _("The team lead")


class ContactKind(models.TextChoices):
    """A personal notification method; each is sent through an organisation channel of its kind."""

    EMAIL = "email", _("E-mail")
    SLACK = "slack", _("Slack direct message")
    WEBHOOK = "webhook", _("Personal webhook")
    PAGERDUTY = "pagerduty", _("PagerDuty (user routing key)")

"""Schedules, their rotation layers, overrides and calendar feeds."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel

from .choices import ContactKind, LayerKind, ShiftUnit, Weekday


class Schedule(TeamOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                 help_text=_("IANA name, e.g. Europe/Berlin: handoffs and restrictions use it."))
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("team lead"),
                             help_text=_("Paged by escalation levels that target the team lead."))
    announce_shift_changes = models.BooleanField(
        _("announce shift changes"), default=True,
        help_text=_("Post “X is now on call” to the team's channels when the on-call person changes."))
    # Who was on call at the last shift check, so a change is announced once (see services.shifts_check).
    current_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # End of the coverage gap last notified, so each gap is notified once.
    gap_notified_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Shifts starting up to here have had their "you are on call from ..." notice published.
    shift_notice_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("on-call schedule")

    def __str__(self):
        return self.name


class Layer(OrgOwnedModel):
    """One rotation: participants in order take shifts of `shift_length` units from `start_date`."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=LayerKind.choices, default=LayerKind.ROTATION)
    position = models.PositiveSmallIntegerField(_("level"), default=1,
                                                help_text=_("Higher levels override lower ones."))
    participants = models.JSONField(_("participants (user ids, in order)"), default=list, blank=True)
    shift_unit = models.CharField(_("shift unit"), max_length=10, choices=ShiftUnit.choices, default=ShiftUnit.WEEKS)
    shift_length = models.PositiveSmallIntegerField(_("shift length"), default=1)
    start_date = models.DateField(_("start date"))
    handoff_time = models.TimeField(_("handoff time"), default="09:00")
    handoff_weekday = models.PositiveSmallIntegerField(_("handoff weekday"), choices=Weekday.choices,
                                                       null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    restriction_weekdays = models.JSONField(_("only on weekdays"), default=list, blank=True)
    restriction_start = models.TimeField(_("only from"), null=True, blank=True)
    restriction_end = models.TimeField(_("only until"), null=True, blank=True)

    class Meta:
        ordering = ["schedule", "-position", "pk"]
        verbose_name = _("rotation layer")

    def __str__(self):
        return f"{self.schedule} · {self.name}"


class Override(OrgOwnedModel, CreatedByMixin):
    """A person on call for a time range, above every layer; or one shift of a calendar layer."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, null=True, blank=True, related_name="shifts",
                              help_text=_("Set for the imported shifts of a calendar layer."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("why"), max_length=300, blank=True)
    source_uid = models.CharField(_("calendar event id"), max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["schedule", "start"]
        indexes = [models.Index(fields=["schedule", "end", "start"], name="oncall_override_range")]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                              name="oncall_override_ends_after_start")]
        verbose_name = _("override")

    def __str__(self):
        return f"{self.schedule} · {self.user} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"


class CalendarFeed(OrgOwnedModel, CreatedByMixin):
    """A secret iCalendar URL for one schedule or one person's shifts; revoking it ends it at once.

    Only a hash of the token is stored: the URL is shown once, when the feed is created.
    """

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, null=True, blank=True, related_name="feeds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("person"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calendar feed")
        constraints = [models.CheckConstraint(
            condition=models.Q(schedule__isnull=False) | models.Q(user__isnull=False), name="oncall_feed_has_target")]

    def __str__(self):
        return self.name or str(self.schedule or self.user)


class ContactMethod(OrgOwnedModel):
    """How to reach one person when they are paged or their shift starts, tried in `position` order.

    E-mail goes through an organisation e-mail channel (its SMTP server) to `target`; a Slack
    direct message through an organisation Slack channel with a bot token, to the member ID in
    `target`; a personal webhook through an organisation webhook channel (its method, template
    and signature), to the URL in `target`; PagerDuty through an organisation PagerDuty channel
    (its Events API URL and severity map), an Events API v2 `trigger` to the person's own routing
    key in `target`. `target` is encrypted and never shown again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    target = EncryptedTextField(_("address, Slack member ID, URL or routing key"))
    label = models.CharField(_("label"), max_length=100, blank=True,
                             help_text=_("Shown instead of the address (e.g. “work mail”)."))
    critical_only = models.BooleanField(
        _("critical alerts only"), default=False,
        help_text=_("Quiet rule: pages for non-critical alerts skip this method (shift notices still come)."))
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["user", "position", "pk"]
        verbose_name = _("personal notification method")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.label or self.user}"


class QuietHours(OrgOwnedModel):
    """A person's quiet hours: pages for non-critical alerts reach nobody personally in this window
    (critical pages and shift notices still come). The window may cross midnight (22:00–07:00)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    start = models.TimeField(_("quiet from"))
    end = models.TimeField(_("quiet until"))
    weekdays = models.JSONField(_("on weekdays"), default=list, blank=True, help_text=_("Empty: every day."))
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="oncall_quiet_hours_once")]
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")

    def __str__(self):
        return f"{self.user} {self.start:%H:%M}–{self.end:%H:%M}"

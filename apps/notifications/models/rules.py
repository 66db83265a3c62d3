"""Rules (when to notify whom) and snoozes (when not to)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.models import CreatedByMixin, TeamOwnedModel

from ..choices import Grouping, PatternMode
from ..conf import default_rate_limit_count


def _default_rate_limit():
    return default_rate_limit_count()


def _default_timezone():
    return settings.TIME_ZONE


class NotificationRule(TeamOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    priority = models.IntegerField(
        _("priority"),
        default=100,
        help_text=_("Rules are evaluated in ascending priority; see “stop after match”."),
    )
    stop_after_match = models.BooleanField(
        _("stop after match"),
        default=False,
        help_text=_(
            "When this rule matches, rules with a higher priority number are not evaluated for the event."
        ),
    )

    # Conditions (every non-empty condition must hold)
    trigger_on = models.JSONField(
        _("trigger events"),
        default=list,
        help_text=_(
            "List of: alert_received, analysis_complete, approval_needed, execution_started, "
            "execution_success, execution_failed, incident_created, incident_updated, incident_resolved, "
            "sla_breach, escalation."
        ),
    )
    severity_filter = models.JSONField(
        _("severities"),
        default=list,
        blank=True,
        help_text=_("Empty = every severity. critical, warning, info."),
    )
    alert_name_pattern = models.CharField(_("alert name pattern"), max_length=500, blank=True)
    alert_name_mode = models.CharField(
        _("pattern type"), max_length=10, choices=PatternMode.choices, default=PatternMode.GLOB
    )
    label_matchers = models.JSONField(
        _("label matchers"),
        default=list,
        blank=True,
        help_text=_(
            'List of {"label": "env", "op": "equals|not_equals|glob|not_glob|regex|not_regex", '
            '"value": "prod*"}.'
        ),
    )
    services = models.JSONField(
        _("services"),
        default=list,
        blank=True,
        help_text=_("Empty = every service; otherwise service names (glob allowed)."),
    )
    teams = models.ManyToManyField(
        "tenancy.Team",
        blank=True,
        related_name="+",
        verbose_name=_("teams"),
        help_text=_("Only events of these teams (empty = every team)."),
    )
    active_days = models.JSONField(
        _("weekdays"), default=list, blank=True, help_text=_("Empty = every day; 0 = Monday … 6 = Sunday.")
    )
    active_from = models.TimeField(_("active from"), null=True, blank=True)
    active_to = models.TimeField(
        _("active until"),
        null=True,
        blank=True,
        help_text=_("A window may wrap past midnight (22:00–06:00)."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default=_default_timezone)

    # Actions
    channels = models.ManyToManyField(
        "notifications.NotificationChannel", blank=True, related_name="rules", verbose_name=_("channels")
    )
    grouping = models.CharField(
        _("grouping"), max_length=20, choices=Grouping.choices, default=Grouping.PER_INCIDENT
    )
    escalate = models.BooleanField(_("escalate when nobody acknowledges"), default=False)
    escalation_policy = models.ForeignKey(
        "notifications.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rules",
        verbose_name=_("escalation policy"),
        help_text=_("Empty = the organisation's default policy."),
    )

    # Noise control
    rate_limit_count = models.PositiveIntegerField(
        _("rate limit (messages)"),
        null=True,
        blank=True,
        default=_default_rate_limit,
        help_text=_("Per alert pattern and window; empty = unlimited."),
    )
    rate_limit_window_minutes = models.PositiveIntegerField(_("rate limit window (minutes)"), default=60)

    class Meta:
        db_table = "notification_rules"
        ordering = ["priority", "name"]
        indexes = [models.Index(fields=["organization", "enabled", "priority"], name="notifrule_org_enabled")]
        verbose_name = _("notification rule")

    def __str__(self):
        return self.name


class Snooze(TeamOwnedModel, CreatedByMixin):
    """Hold back notifications for a known alert pattern until a time (they are logged as suppressed)."""

    alert_name_pattern = models.CharField(_("alert name pattern (glob)"), max_length=500, blank=True)
    label_matchers = models.JSONField(_("label matchers"), default=list, blank=True)
    services = models.JSONField(_("services"), default=list, blank=True)
    rule = models.ForeignKey(
        NotificationRule,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="snoozes",
        verbose_name=_("only for rule"),
    )
    starts_at = models.DateTimeField(_("from"))
    until = models.DateTimeField(_("until"), db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-until"]
        indexes = [models.Index(fields=["organization", "until"], name="snooze_org_until")]
        verbose_name = _("snooze")

    def __str__(self):
        what = self.alert_name_pattern or ", ".join(self.services) or _("matching alerts")
        return f"{what} → {self.until:%Y-%m-%d %H:%M}"

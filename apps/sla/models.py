"""SLA definitions, the live clocks of the items they cover, their timers, breaches and reports.

A clock is never the source of truth: it is computed from the item's events (`ItemEvent`, the
lifecycle facts of the alert or incident, copied from the domain events that also feed its timeline,
one row per event id), the SLA's calendar and the time. So after any outage the clocks are
recomputed exactly; the clock columns are a cache for lists, the portal and reports.
Alert and incident ids are plain integers: the SLA app reacts to events and imports neither model.
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel

from .choices import (
    BreachReason,
    CalendarKind,
    ClockState,
    ItemEventKind,
    Measures,
    ReopenPolicy,
    SubjectKind,
    Target,
    TimerKind,
)

# What ops staff edit on a definition (admin form and API), in the admin's order.
DEFINITION_FIELDS = [
    "name", "description", "team", "is_active", "target_mtta_minutes", "target_mttr_minutes", "target_availability",
    "target_success_rate", "measures", "applies_to_severity", "applies_to_services", "applies_to_teams",
    "label_matchers", "calendar", "time_zone", "work_start", "work_end", "work_days", "holidays",
    "pause_when_silenced", "pause_in_maintenance", "pause_waiting_third_party", "reopen_policy",
    "warning_threshold_percent", "breach_notify_channels",
]


def default_work_days():
    return [0, 1, 2, 3, 4]


class SLADefinition(TeamOwnedModel, CreatedByMixin):
    """The plan's `sla_definitions`: targets, scope, calendar, pause conditions and alerting."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    target_mtta_minutes = models.FloatField(_("target MTTA (minutes)"), null=True, blank=True)
    target_mttr_minutes = models.FloatField(_("target MTTR (minutes)"), null=True, blank=True)
    target_availability = models.FloatField(_("target availability (%)"), null=True, blank=True)
    target_success_rate = models.FloatField(_("target remediation success rate (%)"), null=True, blank=True)
    applies_to_severity = models.JSONField(_("severities"), default=list, blank=True,
                                           help_text=_("Empty: every severity."))
    applies_to_services = models.JSONField(
        _("service globs"), default=list, blank=True,
        help_text=_('Shell-style, case-insensitive, e.g. "payment-*". Empty: every service.'))
    applies_to_teams = models.ManyToManyField("tenancy.Team", blank=True, related_name="+",
                                              verbose_name=_("teams"), help_text=_("Empty: every team."))
    label_matchers = models.JSONField(_("label matchers"), default=dict, blank=True,
                                      help_text=_('Label → glob, all must match, e.g. {"env": "prod*"} (alerts only).'))
    measures = models.CharField(_("measures"), max_length=10, choices=Measures.choices, default=Measures.ALERTS)
    calendar = models.CharField(_("calendar"), max_length=10, choices=CalendarKind.choices, default=CalendarKind.ALWAYS)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    work_start = models.TimeField(_("working hours start"), default="09:00")
    work_end = models.TimeField(_("working hours end"), default="17:00")
    work_days = models.JSONField(_("working days"), default=default_work_days, blank=True,
                                 help_text=_("0 = Monday … 6 = Sunday."))
    holidays = models.JSONField(_("holidays"), default=list, blank=True, help_text=_("ISO dates, e.g. 2026-12-25."))
    pause_when_silenced = models.BooleanField(_("pause while silenced"), default=True)
    pause_in_maintenance = models.BooleanField(_("pause in maintenance"), default=True)
    pause_waiting_third_party = models.BooleanField(_("pause while waiting on a third party"), default=True)
    reopen_policy = models.CharField(_("on re-open"), max_length=10, choices=ReopenPolicy.choices,
                                     default=ReopenPolicy.RESUME)
    warning_threshold_percent = models.FloatField(_("warning threshold (%)"), default=80.0)
    breach_notify_channels = models.JSONField(
        _("breach channels"), default=list, blank=True,
        help_text=_("Notification channel names (or channel types such as email) told of warnings and breaches."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA definition")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="sla_definition_name")]

    def __str__(self):
        return self.name

    def target_minutes(self, target: str) -> float | None:
        return self.target_mtta_minutes if target == Target.MTTA else self.target_mttr_minutes


class ItemEvent(OrgOwnedModel):
    """One lifecycle fact of an alert or incident, in event time, stored once per domain event."""

    event_id = models.CharField(_("event id"), max_length=64, editable=False)
    subject_kind = models.CharField(_("item"), max_length=10, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(_("item id"))
    kind = models.CharField(_("kind"), max_length=20, choices=ItemEventKind.choices)
    at = models.DateTimeField(_("at"))
    until = models.DateTimeField(_("until"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("SLA item event")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["event_id", "subject_kind", "subject_id", "kind"],
                                               name="sla_itemevent_once")]
        indexes = [models.Index(fields=["organization", "subject_kind", "subject_id", "at"], name="sla_itemevent_item")]

    def __str__(self):
        return f"{self.subject_kind} #{self.subject_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M:%S}"


class SLAClock(TeamOwnedModel):
    """One target (MTTA or MTTR) of one item under the strictest SLA that covers it."""

    sla = models.ForeignKey(SLADefinition, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("SLA"))
    subject_kind = models.CharField(_("item"), max_length=10, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(_("item id"))
    target = models.CharField(_("target"), max_length=5, choices=Target.choices)
    target_seconds = models.FloatField(_("target (seconds)"))
    warning_threshold_percent = models.FloatField(_("warning threshold (%)"), default=80.0)
    title = models.CharField(_("title"), max_length=300, blank=True)
    severity = models.CharField(_("severity"), max_length=10, blank=True)
    service = models.CharField(_("service"), max_length=255, blank=True)
    url = models.URLField(_("URL"), max_length=2000, blank=True)
    started_at = models.DateTimeField(_("started"))
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    elapsed_seconds = models.FloatField(_("elapsed (seconds)"), default=0)
    paused_seconds = models.FloatField(_("paused (seconds)"), default=0)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True,
                                       help_text=_("Empty while the clock is paused with no known end."))
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    choice = models.JSONField(_("why this SLA"), default=dict, blank=True,
                              help_text=_("Every SLA that covers the item for this target, strictest first."))

    class Meta:
        verbose_name = _("SLA clock")
        ordering = ["deadline_at", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "subject_kind", "subject_id", "target"],
                                               name="sla_clock_one_per_target")]
        indexes = [
            models.Index(fields=["organization", "subject_kind", "subject_id"], name="sla_clock_item"),
            models.Index(fields=["organization", "state", "deadline_at"], name="sla_clock_open"),
            models.Index(fields=["sla", "started_at"], name="sla_clock_report"),
        ]

    def __str__(self):
        return f"{self.get_target_display()} · {self.subject_kind} #{self.subject_id}"


class SLATimer(OrgOwnedModel):
    """A due warning or breach of a clock, claimed by beat with SKIP LOCKED (never a sleeping task)."""

    clock = models.ForeignKey(SLAClock, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(_("kind"), max_length=10, choices=TimerKind.choices)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    fired_at = models.DateTimeField(_("fired"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("SLA timer")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["clock", "kind"], name="sla_timer_one_per_kind")]
        indexes = [models.Index(fields=["due_at"], name="sla_timer_due",
                                condition=Q(fired_at__isnull=True, due_at__isnull=False))]

    def __str__(self):
        return f"{self.kind} of {self.clock_id} due {self.due_at}"


class SLABreach(TeamOwnedModel):
    """The plan's `sla_breaches`: a clock that passed its deadline (at most one per clock)."""

    sla = models.ForeignKey(SLADefinition, on_delete=models.CASCADE, related_name="breaches", verbose_name=_("SLA"))
    clock = models.OneToOneField(SLAClock, on_delete=models.CASCADE, related_name="breach")
    alert_id = models.BigIntegerField(_("alert id"), null=True, blank=True)
    incident_id = models.BigIntegerField(_("incident id"), null=True, blank=True)
    breach_type = models.CharField(_("type"), max_length=5, choices=Target.choices)
    target_value = models.FloatField(_("target (minutes)"))
    actual_value = models.FloatField(_("actual (minutes)"),
                                     help_text=_("At the breach; the final time once the clock stops."))
    breached_at = models.DateTimeField(_("breached"))
    notified = models.BooleanField(_("notified"), default=False)
    suggested_reason = models.CharField(_("suggested reason"), max_length=20, choices=BreachReason.choices, blank=True)
    suggestion_evidence = models.TextField(_("why it is suggested"), blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=BreachReason.choices, blank=True)
    reason_text = models.TextField(_("reason details"), blank=True)

    class Meta:
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        ordering = ["-breached_at", "-id"]
        indexes = [models.Index(fields=["organization", "breached_at"], name="sla_breach_org_time")]

    def __str__(self):
        return f"{self.get_breach_type_display()} · {self.sla} @ {self.breached_at:%Y-%m-%d %H:%M}"

    @property
    def effective_reason(self) -> str:
        return self.reason or self.suggested_reason


class ComplianceReport(OrgOwnedModel, CreatedByMixin):
    """One period's compliance over every SLA of an organisation (the brief's report)."""

    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    overall_compliance = models.FloatField(_("overall compliance (%)"), null=True, blank=True)
    total_items = models.PositiveIntegerField(_("items"), default=0)
    breached_items = models.PositiveIntegerField(_("items breached"), default=0)
    breach_count = models.PositiveIntegerField(_("breaches"), default=0)
    breaches_by_type = models.JSONField(_("breaches by type"), default=list, blank=True)
    top_reasons = models.JSONField(_("top breach reasons"), default=list, blank=True)
    generated_at = models.DateTimeField(_("generated"))
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA compliance report")
        ordering = ["-period_start", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "period_start", "period_end"],
                                               name="sla_report_period")]

    def __str__(self):
        return f"{self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"


class SLAReport(OrgOwnedModel):
    """The plan's `sla_reports`: one SLA's actuals and compliance over the report's period."""

    report = models.ForeignKey(ComplianceReport, on_delete=models.CASCADE, related_name="slas")
    sla = models.ForeignKey(SLADefinition, on_delete=models.CASCADE, related_name="reports", verbose_name=_("SLA"))
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    actual_mtta_minutes = models.FloatField(_("MTTA mean (min)"), null=True, blank=True)
    mtta_p50_minutes = models.FloatField(_("MTTA p50 (min)"), null=True, blank=True)
    mtta_p90_minutes = models.FloatField(_("MTTA p90 (min)"), null=True, blank=True)
    actual_mttr_minutes = models.FloatField(_("MTTR mean (min)"), null=True, blank=True)
    mttr_p50_minutes = models.FloatField(_("MTTR p50 (min)"), null=True, blank=True)
    mttr_p90_minutes = models.FloatField(_("MTTR p90 (min)"), null=True, blank=True)
    actual_availability = models.FloatField(_("availability (%)"), null=True, blank=True)
    actual_success_rate = models.FloatField(_("remediation success rate (%)"), null=True, blank=True)
    mtta_compliant = models.BooleanField(_("MTTA compliant"), null=True)
    mttr_compliant = models.BooleanField(_("MTTR compliant"), null=True)
    availability_compliant = models.BooleanField(_("availability compliant"), null=True)
    success_rate_compliant = models.BooleanField(_("success rate compliant"), null=True)
    overall_compliant = models.BooleanField(_("compliant"), null=True)
    compliance_percent = models.FloatField(_("compliance (%)"), null=True, blank=True,
                                           help_text=_("Items that met every target, of the items covered."))
    total_incidents = models.PositiveIntegerField(_("items"), default=0)
    breached_incidents = models.PositiveIntegerField(_("items breached"), default=0)
    breach_details = models.JSONField(_("breaches"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA report")
        ordering = ["report", "sla__name"]
        constraints = [models.UniqueConstraint(fields=["report", "sla"], name="sla_report_one_per_sla")]

    def __str__(self):
        return f"{self.sla} {self.period_start:%Y-%m}"


class SLO(OrgOwnedModel):
    """An error-budget SLO: SLI = errors / total (two PromQL queries of a metric source), objective, window.

    The queries follow Sloth's convention: `{{.window}}` stands for the range, e.g.
    `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`.
    """

    name = models.CharField(_("name"), max_length=200)
    source = models.ForeignKey("metrics.MetricSource", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("metric source"))
    error_query = models.TextField(_("error query"), help_text=_("PromQL of bad events; {{.window}} is the range."))
    total_query = models.TextField(_("total query"), help_text=_("PromQL of all events; {{.window}} is the range."))
    objective = models.FloatField(_("objective (%)"), default=99.9)
    window_days = models.PositiveIntegerField(_("window (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLO")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="sla_slo_name")]

    def __str__(self):
        return self.name

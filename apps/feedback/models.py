"""The plan's three tables (remediation_feedback, analysis_feedback, successful_remediations) and
the repeat check behind the "repeat incorrect suggestions" figure.

Feedback rows keep a snapshot of what they judged — the alert name (pattern), the suggestion the
analysis led with, its runbook, the provider and model — so statistics and the learning context
stay right after an alert, analysis or execution is pruned, and never need a join into another
app's JSON to be grouped.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aiops.models import CreatedByMixin, TeamOwnedModel

from .choices import NEGATIVE, POSITIVE, FeedbackType, FixSource, Section


class Judgement(models.Model):
    """Who judged which alert or incident, and a snapshot of what was judged (see the module docstring)."""

    alert = models.ForeignKey(
        "alerts.Alert",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("alert"),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("incident"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("given by"),
    )
    alert_pattern = models.CharField(_("alert pattern"), max_length=255, blank=True)
    service = models.CharField(_("service"), max_length=255, blank=True)
    suggestion = models.TextField(
        _("suggestion judged"), blank=True, help_text=_("The step the analysis led with, or the runbook run.")
    )
    suggested_runbook = models.CharField(_("runbook judged"), max_length=200, blank=True)
    provider_kind = models.CharField(_("provider kind"), max_length=20, blank=True)
    model_name = models.CharField(_("model"), max_length=200, blank=True)

    class Meta:
        abstract = True


class RemediationFeedback(TeamOwnedModel, Judgement):
    """Thumbs up/down, stars, a comment and "what actually fixed it" on an analysis or a runbook run."""

    analysis = models.ForeignKey(
        "analysis.Analysis",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("analysis"),
    )
    execution = models.ForeignKey(
        "runbooks.RunbookExecution",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("runbook execution"),
    )
    feedback_type = models.CharField(_("verdict"), max_length=20, choices=FeedbackType.choices)
    rating = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    correct_action = models.TextField(_("what actually fixed it"), blank=True)

    class Meta:
        db_table = "remediation_feedback"
        ordering = ["-created_at", "-id"]
        verbose_name = _("remediation feedback")
        verbose_name_plural = _("remediation feedback")
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="remfb_org_recent"),
            models.Index(fields=["organization", "alert_pattern", "-created_at"], name="remfb_org_pattern"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "analysis"],
                condition=Q(analysis__isnull=False),
                name="remfb_one_per_user_analysis",
            ),
            models.UniqueConstraint(
                fields=["user", "execution"],
                condition=Q(analysis__isnull=True, execution__isnull=False),
                name="remfb_one_per_user_execution",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="remfb_rating_1_to_5"
            ),
        ]

    def __str__(self):
        target = f"analysis {self.analysis_id}" if self.analysis_id else f"execution {self.execution_id}"
        return f"{self.get_feedback_type_display()} · {target}"

    @property
    def is_positive(self) -> bool:
        return self.feedback_type in POSITIVE

    @property
    def is_negative(self) -> bool:
        return self.feedback_type in NEGATIVE


class AnalysisFeedback(TeamOwnedModel, Judgement):
    """Was one section (root cause, impact, remediation, prevention) of an analysis right? If not, what is?"""

    analysis = models.ForeignKey(
        "analysis.Analysis",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="section_feedback",
        verbose_name=_("analysis"),
    )
    analysis_section = models.CharField(_("section"), max_length=20, choices=Section.choices)
    is_accurate = models.BooleanField(_("accurate"))
    user_correction = models.TextField(_("correction"), blank=True)

    class Meta:
        db_table = "analysis_feedback"
        ordering = ["-created_at", "-id"]
        verbose_name = _("analysis section feedback")
        verbose_name_plural = _("analysis section feedback")
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="anfb_org_recent"),
            models.Index(fields=["organization", "alert_pattern", "-created_at"], name="anfb_org_pattern"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "analysis", "analysis_section"],
                condition=Q(analysis__isnull=False),
                name="anfb_one_per_user_section",
            ),
        ]

    def __str__(self):
        verdict = _("accurate") if self.is_accurate else _("inaccurate")
        return f"{self.get_analysis_section_display()} {verdict} · analysis {self.analysis_id}"


class SuccessfulRemediation(TeamOwnedModel, CreatedByMixin):
    """A curated, confirmed fix: the few-shot examples the analyser learns from."""

    alert_pattern = models.CharField(
        _("alert pattern"),
        max_length=255,
        help_text=_("The alert name, or a shell pattern such as Postgres*Connection*."),
    )
    alert_labels = models.JSONField(
        _("key labels"),
        default=dict,
        blank=True,
        help_text=_("Labels that make a later alert look like this one."),
    )
    service = models.CharField(_("service"), max_length=255, blank=True)
    problem_summary = models.TextField(_("problem"))
    solution_summary = models.TextField(_("what fixed it"))
    runbook = models.ForeignKey(
        "runbooks.Runbook",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("runbook"),
    )
    manual_steps = models.TextField(_("manual steps"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified"), default=timezone.now)
    use_count = models.PositiveIntegerField(_("times used as an example"), default=0)
    success_count = models.PositiveIntegerField(
        _("times confirmed"),
        default=1,
        help_text=_("Marking the same fix again for the same alert counts here."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=FixSource.choices, default=FixSource.MANUAL)
    source_alert = models.ForeignKey(
        "alerts.Alert",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("from alert"),
    )
    source_incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("from incident"),
    )
    source_execution = models.ForeignKey(
        "runbooks.RunbookExecution",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("from runbook execution"),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Retired entries are kept but no longer offered to the analyser."),
    )

    class Meta:
        db_table = "successful_remediations"
        ordering = ["-success_count", "-verified_at", "-id"]
        verbose_name = _("successful remediation")
        verbose_name_plural = _("successful remediations")
        indexes = [
            models.Index(fields=["organization", "alert_pattern"], name="fix_org_pattern"),
            models.Index(fields=["organization", "service"], name="fix_org_service"),
        ]

    def __str__(self):
        return f"{self.alert_pattern}: {self.solution_summary[:80]}"


class RepeatCheck(TeamOwnedModel):
    """Did a finished analysis lead with a suggestion that had already failed for its alert pattern?

    Written once per analysis that had known-bad suggestions to avoid; the share of checks that
    repeated one is the brief's "repeat incorrect suggestions" figure.
    """

    analysis = models.OneToOneField(
        "analysis.Analysis", on_delete=models.CASCADE, related_name="repeat_check", verbose_name=_("analysis")
    )
    alert_pattern = models.CharField(_("alert pattern"), max_length=255, blank=True)
    provider_kind = models.CharField(_("provider kind"), max_length=20, blank=True)
    model_name = models.CharField(_("model"), max_length=200, blank=True)
    known_bad = models.PositiveIntegerField(_("known failed suggestions"))
    repeated = models.BooleanField(_("repeated one"))
    repeated_suggestion = models.TextField(_("repeated suggestion"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("repeat check")
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="repeat_org_recent"),
            models.Index(fields=["organization", "alert_pattern"], name="repeat_org_pattern"),
        ]

    def __str__(self):
        return f"analysis {self.analysis_id}: {'repeated' if self.repeated else 'avoided'}"

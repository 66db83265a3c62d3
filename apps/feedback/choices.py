from django.db import models
from django.utils.translation import gettext_lazy as _


class FeedbackType(models.TextChoices):
    """The plan's four verdicts on a recommendation (thumbs up = helpful, thumbs down = not helpful)."""

    HELPFUL = "helpful", _("Helpful")
    PARTIALLY_HELPFUL = "partially_helpful", _("Partially helpful")
    NOT_HELPFUL = "not_helpful", _("Not helpful")
    INCORRECT = "incorrect", _("Incorrect")


POSITIVE = (FeedbackType.HELPFUL, FeedbackType.PARTIALLY_HELPFUL)
NEGATIVE = (FeedbackType.NOT_HELPFUL, FeedbackType.INCORRECT)


class Section(models.TextChoices):
    ROOT_CAUSE = "root_cause", _("Root cause")
    IMPACT = "impact", _("Impact")
    REMEDIATION = "remediation", _("Remediation")
    PREVENTION = "prevention", _("Prevention")


class FixSource(models.TextChoices):
    """Where a library entry came from ("Mark as successful fix" on which page, or typed in)."""

    ALERT = "alert", _("Alert")
    INCIDENT = "incident", _("Incident")
    EXECUTION = "execution", _("Runbook execution")
    MANUAL = "manual", _("Entered by hand")

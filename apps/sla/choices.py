"""Closed vocabularies of the SLA app (stored values never change once shipped)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Measures(models.TextChoices):
    ALERTS = "alerts", _("Alerts")
    INCIDENTS = "incidents", _("Incidents")
    BOTH = "both", _("Alerts and incidents")


class CalendarKind(models.TextChoices):
    ALWAYS = "24x7", _("24/7")
    BUSINESS = "business", _("Business hours")


class ReopenPolicy(models.TextChoices):
    RESUME = "resume", _("Resume the clock (time while resolved does not count)")
    RESTART = "restart", _("Restart the clock from the re-opening")


class Target(models.TextChoices):
    MTTA = "mtta", _("Time to acknowledge")
    MTTR = "mttr", _("Time to resolve")


class SubjectKind(models.TextChoices):
    ALERT = "alert", _("Alert")
    INCIDENT = "incident", _("Incident")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class TimerKind(models.TextChoices):
    WARNING = "warning", _("Warning threshold")
    BREACH = "breach", _("Breach")


class PauseReason(models.TextChoices):
    SILENCED = "silenced", _("Silenced")
    MAINTENANCE = "maintenance", _("In maintenance")
    THIRD_PARTY = "third_party", _("Waiting on a third party")
    OUTSIDE_HOURS = "outside_hours", _("Outside business hours")


class BreachReason(models.TextChoices):
    ONCALL_UNAVAILABLE = "oncall_unavailable", _("On-call not available")
    COMPLEX_ROOT_CAUSE = "complex_root_cause", _("Complex root cause")
    RUNBOOK_FAILURE = "runbook_failure", _("Runbook failure")
    THIRD_PARTY = "third_party", _("Third party")
    OTHER = "other", _("Other")


class ItemEventKind(models.TextChoices):
    """What the SLA app keeps of an item's timeline: the facts its clocks are computed from."""

    OPENED = "opened", _("Opened")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    UNACKNOWLEDGED = "unacknowledged", _("Acknowledgment withdrawn")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Re-opened")
    SILENCED = "silenced", _("Silenced")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    ESCALATED = "escalated", _("Escalation level fired")
    RUNBOOK_FAILED = "runbook_failed", _("Runbook failed")
    RUNBOOK_SUCCEEDED = "runbook_succeeded", _("Runbook succeeded")
    ROOT_CAUSE_CHANGED = "root_cause_changed", _("Root cause changed")

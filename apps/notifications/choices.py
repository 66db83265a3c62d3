"""Closed vocabularies of the notifications app (stored values never change once shipped)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    SLACK = "slack", _("Slack")
    PAGERDUTY = "pagerduty", _("PagerDuty")
    TEAMS = "teams", _("Microsoft Teams")
    EMAIL = "email", _("Email (SMTP)")
    WEBHOOK = "webhook", _("Generic webhook")


class Trigger(models.TextChoices):
    """What a rule reacts to; each maps from one or more domain events (see `triggers.py`)."""

    ALERT_RECEIVED = "alert_received", _("Alert received")
    ANALYSIS_COMPLETE = "analysis_complete", _("AI analysis complete")
    APPROVAL_NEEDED = "approval_needed", _("Runbook needs approval")
    EXECUTION_STARTED = "execution_started", _("Runbook execution started")
    EXECUTION_SUCCESS = "execution_success", _("Runbook execution succeeded")
    EXECUTION_FAILED = "execution_failed", _("Runbook execution failed")
    INCIDENT_CREATED = "incident_created", _("Incident created")
    INCIDENT_UPDATED = "incident_updated", _("Incident updated")
    INCIDENT_RESOLVED = "incident_resolved", _("Incident resolved")
    SLA_BREACH = "sla_breach", _("SLA breached")
    ESCALATION = "escalation", _("Escalation level fired")


class SubjectKind(models.TextChoices):
    """What a notification subject is about: the family of the events that speak of it."""

    ALERT = "alert", _("Alert")
    INCIDENT = "incident", _("Incident")
    EXECUTION = "execution", _("Runbook execution")
    ANALYSIS = "analysis", _("AI analysis")
    SLA = "sla", _("SLA")
    CAPACITY = "capacity", _("Capacity")
    ESCALATION = "escalation", _("Escalation")


class SubjectState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Grouping(models.TextChoices):
    PER_INCIDENT = "per_incident", _("One message per incident (updated as alerts join)")
    PER_ALERT = "per_alert", _("One message per alert")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    ESCALATED = "escalated", _("Escalated")
    SUPPRESSED = "suppressed", _("Suppressed")


FINAL_STATUSES = {DeliveryStatus.SENT, DeliveryStatus.FAILED}


class DeliveryKind(models.TextChoices):
    """What one delivery does to the conversation with a channel."""

    NEW = "new", _("New message")
    UPDATE = "update", _("Update of the original message")
    ACKNOWLEDGE = "acknowledge", _("Acknowledgment")
    UNACKNOWLEDGE = "unacknowledge", _("Acknowledgment withdrawn")
    RESOLVE = "resolve", _("Resolution")
    FOLLOWUP = "followup", _("Follow-up")
    ESCALATION = "escalation", _("Escalation")
    DIGEST = "digest", _("Digest of held-back notifications")
    TEST = "test", _("Test notification")


class EscalationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACKNOWLEDGED = "acknowledged", _("Stopped: acknowledged")
    RESOLVED = "resolved", _("Stopped: resolved")
    SNOOZED = "snoozed", _("Stopped: snoozed")
    CANCELLED = "cancelled", _("Cancelled")
    EXHAUSTED = "exhausted", _("Finished: every level fired")


class TimerKind(models.TextChoices):
    ESCALATE = "escalate", _("Escalation level")
    GROUP_WAIT = "group_wait", _("Wait for incident grouping")
    DIGEST = "digest", _("Send digest of rate-limited notifications")


class MatchOp(models.TextChoices):
    EQUALS = "equals", _("equals")
    NOT_EQUALS = "not_equals", _("does not equal")
    GLOB = "glob", _("matches glob")
    NOT_GLOB = "not_glob", _("does not match glob")
    REGEX = "regex", _("matches regex")
    NOT_REGEX = "not_regex", _("does not match regex")


class PatternMode(models.TextChoices):
    GLOB = "glob", _("Glob (shell-style: *, ?, [ab])")
    REGEX = "regex", _("Regular expression (full match)")


SEVERITIES = ("critical", "warning", "info")
WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, as Python's datetime.weekday()

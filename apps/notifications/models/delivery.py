"""The delivery log (the outbox) and the bookkeeping behind grouping, updates and timers.

A subject is what we notify about (an alert, an incident, a runbook execution, ...), known only
through event data. A thread is the conversation about one subject with one channel for one rule
(the Slack message to edit, the PagerDuty dedup_key to acknowledge). A delivery is one message to
one channel: written pending in the transaction that decided it, then sent by a `notify` task.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aiops.models import OrgOwnedModel, TeamOwnedModel

from ..choices import DeliveryKind, DeliveryStatus, SubjectKind, SubjectState, TimerKind


class NotificationSubject(TeamOwnedModel):
    key = models.CharField(_("key"), max_length=100)  # "alert:12", "incident:4", "execution:9"
    kind = models.CharField(_("kind"), max_length=30, choices=SubjectKind.choices)
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident_id = models.BigIntegerField(_("incident"), null=True, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=SubjectState.choices, default=SubjectState.OPEN)
    context = models.JSONField(_("latest facts"), default=dict)  # merged event data; rendered at send time

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="notification_subject_key")
        ]
        verbose_name = _("notification subject")

    def __str__(self):
        return self.title or self.key


class SubjectAlert(OrgOwnedModel):
    """An alert known (from incident events) to belong to an incident subject."""

    subject = models.ForeignKey(NotificationSubject, on_delete=models.CASCADE, related_name="alert_links")
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "alert"], name="subject_alert_unique")]


class NotificationThread(OrgOwnedModel):
    subject = models.ForeignKey(NotificationSubject, on_delete=models.CASCADE, related_name="threads")
    rule = models.ForeignKey(
        "notifications.NotificationRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        "notifications.NotificationChannel", on_delete=models.CASCADE, related_name="+"
    )
    # What the provider needs to refer back: Slack {"channel", "ts"}, PagerDuty {"dedup_key"}.
    provider_ref = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "rule", "channel"], name="thread_unique")]


class NotificationDelivery(TeamOwnedModel):
    rule = models.ForeignKey(
        "notifications.NotificationRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("rule"),
    )
    channel = models.ForeignKey(
        "notifications.NotificationChannel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("channel"),
    )
    escalation = models.ForeignKey(
        "notifications.Escalation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    level = models.PositiveSmallIntegerField(_("escalation level"), null=True, blank=True)
    subject = models.ForeignKey(
        NotificationSubject, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    thread = models.ForeignKey(
        NotificationThread, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident_id = models.BigIntegerField(_("incident"), null=True, blank=True)
    event_name = models.CharField(_("event"), max_length=60)
    event_id = models.CharField(_("event id"), max_length=64, blank=True)
    trigger = models.CharField(_("trigger"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DeliveryKind.choices, default=DeliveryKind.NEW)
    title = models.CharField(_("subject"), max_length=500, blank=True)
    pattern_key = models.CharField(_("pattern"), max_length=300, blank=True)
    data = models.JSONField(_("message data"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    response = models.TextField(_("provider response"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    event_at = models.DateTimeField(_("event time"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms, event → provider)"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("provider call (ms)"), null=True, blank=True)
    dedup_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)

    class Meta:
        db_table = "notification_logs"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="notiflog_org_recent"),
            models.Index(fields=["status", "next_attempt_at"], name="notiflog_outbox"),
            models.Index(fields=["rule", "pattern_key", "created_at"], name="notiflog_ratelimit"),
            models.Index(fields=["alert", "-created_at"], name="notiflog_alert"),
            models.Index(fields=["incident_id", "-created_at"], name="notiflog_incident"),
            models.Index(fields=["thread", "status"], name="notiflog_thread"),
        ]
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification log")

    def __str__(self):
        return (
            f"{self.get_kind_display()} · {self.title} → {self.channel or '—'} ({self.get_status_display()})"
        )


class NotificationTimer(OrgOwnedModel):
    """Something due later (an escalation step, the end of a grouping wait, a digest).

    The beat task claims due rows with `select_for_update(skip_locked=True)`, so a restarted worker
    loses none and two workers never fire one twice. `key` makes scheduling idempotent.
    """

    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    due_at = models.DateTimeField()
    key = models.CharField(max_length=200, blank=True)
    escalation = models.ForeignKey(
        "notifications.Escalation", null=True, blank=True, on_delete=models.CASCADE, related_name="timers"
    )
    step = models.PositiveIntegerField(null=True, blank=True)
    rule = models.ForeignKey(
        "notifications.NotificationRule", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.ForeignKey(
        NotificationSubject, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(fired_at__isnull=True) & ~Q(key=""),
                name="one_pending_timer_per_key",
            ),
        ]
        indexes = [models.Index(fields=["fired_at", "due_at"], name="notiftimer_due")]


__all__ = [
    "NotificationSubject",
    "SubjectAlert",
    "NotificationThread",
    "NotificationDelivery",
    "NotificationTimer",
    "DeliveryKind",
    "DeliveryStatus",
]

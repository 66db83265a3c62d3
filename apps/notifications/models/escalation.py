"""Escalation policies (ordered levels) and running escalations (a snapshot of a policy)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel
from apps.oncall.choices import EscalationTarget

from ..choices import EscalationStatus


class EscalationPolicy(TeamOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(
        _("organisation default"),
        default=False,
        help_text=_("Used by rules that escalate without naming a policy. One per organisation."),
    )

    class Meta:
        db_table = "escalation_policies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(is_default=True),
                name="one_default_escalation_policy_per_org",
            ),
        ]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self):
        return self.name


class EscalationLevel(OrgOwnedModel):
    """One step of a policy: after `delay_minutes` without acknowledgment, notify these channels."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(_("level"), default=1)
    delay_minutes = models.PositiveIntegerField(_("minutes after the escalation started"), default=0)
    channels = models.ManyToManyField(
        "notifications.NotificationChannel", related_name="escalation_levels", verbose_name=_("channels")
    )
    repeat_count = models.PositiveSmallIntegerField(
        _("repeats"),
        default=0,
        help_text=_(
            "Notify this level again this many times while nobody acknowledges (until the next level)."
        ),
    )
    repeat_interval_minutes = models.PositiveIntegerField(_("minutes between repeats"), default=5)
    # Page a person from an on-call schedule through this level's channels, resolved when it fires.
    oncall_schedule = models.ForeignKey(
        "oncall.Schedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("on-call schedule"),
        help_text=_("Page whoever this schedule names when the level fires (e-mail channels write to them)."),
    )
    oncall_target = models.CharField(
        _("whom on the schedule"), max_length=10, blank=True, choices=EscalationTarget.choices,
        default=EscalationTarget.PRIMARY,
    )
    # Or page one named person through their own notification methods.
    oncall_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("person"),
        help_text=_("Page this person through their own notification methods when the level fires."),
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="escalation_level_position")
        ]
        verbose_name = _("escalation level")

    def __str__(self):
        return f"{self.policy} · {self.position} (+{self.delay_minutes} min)"


class Escalation(TeamOwnedModel):
    """A running escalation for one subject (alert or incident) started by one rule.

    `snapshot` freezes the policy when the escalation starts, so editing a policy never changes
    one in flight; `schedule` in it lists every step (level firings and repeats) with its offset.
    `step` is the index of the next step: a timer whose step differs is stale and does nothing.
    """

    subject = models.ForeignKey(
        "notifications.NotificationSubject", on_delete=models.CASCADE, related_name="escalations"
    )
    rule = models.ForeignKey(
        "notifications.NotificationRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
    )
    policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    policy_name = models.CharField(_("policy"), max_length=200)
    snapshot = models.JSONField(_("policy snapshot"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=EscalationStatus.choices, default=EscalationStatus.ACTIVE
    )
    step = models.PositiveIntegerField(_("next step"), default=0)
    current_level = models.PositiveSmallIntegerField(_("last level fired"), default=0)
    started_at = models.DateTimeField(_("started"))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    stopped_reason = models.CharField(_("stopped because"), max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "rule"],
                condition=Q(status="active"),
                name="one_active_escalation_per_subject_rule",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-started_at"], name="escalation_org_status")
        ]
        verbose_name = _("escalation")

    def __str__(self):
        return f"{self.policy_name} · {self.subject} · {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status == EscalationStatus.ACTIVE

    @property
    def next_step(self) -> dict | None:
        schedule = self.snapshot.get("schedule", [])
        return schedule[self.step] if self.step < len(schedule) else None

"""Runs of a runbook: the execution (a state machine), per-step results, the audit trail, and the
timers that wait for an alert's minimum firing duration.

An execution snapshots the definition it runs, so editing a runbook never changes a run that is
waiting for approval or already under way, and the audit keeps what really ran.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.models import OrgOwnedModel, TeamOwnedModel

from ..choices import AuditKind, ExecutionStatus, StepPhase, StepStatus, StepType, TriggerKind
from .definitions import Runbook, SshTarget


class RunbookExecution(TeamOwnedModel):
    runbook = models.ForeignKey(
        Runbook, on_delete=models.SET_NULL, null=True, blank=True, related_name="executions"
    )
    runbook_name = models.CharField(_("runbook"), max_length=200)
    runbook_version = models.PositiveIntegerField(_("runbook version"))
    definition = models.JSONField(_("definition run"))
    alert = models.ForeignKey(
        "alerts.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="runbook_executions"
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=TriggerKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=ExecutionStatus.choices, db_index=True)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    reason = models.TextField(_("why it was run"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    target = models.ForeignKey(
        SshTarget, on_delete=models.SET_NULL, null=True, blank=True, related_name="executions"
    )
    target_display = models.CharField(_("target"), max_length=400, blank=True)
    approval_due_at = models.DateTimeField(_("approval due"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    cancel_requested_at = models.DateTimeField(_("cancel requested"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="rbexec_org_recent"),
            models.Index(fields=["runbook", "-created_at"], name="rbexec_runbook_recent"),
            models.Index(fields=["status", "approval_due_at"], name="rbexec_due"),
        ]
        verbose_name = _("runbook execution")

    def __str__(self):
        return f"{self.runbook_name} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        from ..choices import FINAL_STATUSES

        return self.status in FINAL_STATUSES


class StepResult(OrgOwnedModel):
    """What one step (or one rollback) rendered, how it ended, and a bounded excerpt of its output."""

    execution = models.ForeignKey(RunbookExecution, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("step"))  # index in the definition's steps
    phase = models.CharField(_("phase"), max_length=10, choices=StepPhase.choices, default=StepPhase.RUN)
    name = models.CharField(_("name"), max_length=200)
    step_type = models.CharField(_("type"), max_length=10, choices=StepType.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=StepStatus.choices, default=StepStatus.RUNNING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    rendered = models.TextField(_("what ran"))
    elevated = models.BooleanField(_("with sudo"), default=False)
    exit_code = models.IntegerField(_("exit code"), null=True, blank=True)
    http_status = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    stdout = models.TextField(_("output"), blank=True)
    stderr = models.TextField(_("error output"), blank=True)
    output_truncated = models.BooleanField(_("output truncated"), default=False)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        ordering = ["execution", "started_at", "id"]
        verbose_name = _("step result")

    def __str__(self):
        return f"{self.execution_id}/{self.position} {self.name} ({self.status})"


class ExecutionEvent(OrgOwnedModel):
    """The audit trail of an execution: who did what, when, and why."""

    execution = models.ForeignKey(RunbookExecution, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=AuditKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), db_index=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("execution audit event")

    def __str__(self):
        return f"{self.execution_id} {self.kind}"


class TriggerWait(OrgOwnedModel):
    """A matched alert waiting for the trigger's minimum firing duration; claimed by the beat task."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="trigger_waits")
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(_("due"))
    fired_at = models.DateTimeField(_("fired"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["runbook", "alert"], name="triggerwait_unique")]
        indexes = [models.Index(fields=["fired_at", "due_at"], name="triggerwait_due")]
        verbose_name = _("delayed trigger")

    def __str__(self):
        return f"{self.runbook} for alert {self.alert_id} at {self.due_at:%H:%M:%S}"

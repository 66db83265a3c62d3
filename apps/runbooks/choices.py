from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    AUTO = "auto", _("Automatic")
    SEMI_AUTO = "semi_auto", _("Semi-automatic (needs approval)")
    MANUAL = "manual", _("Manual (suggested only)")


class StepType(models.TextChoices):
    COMMAND = "command", _("Command over SSH")
    API = "api", _("HTTP API call")


class HostKeyPolicy(models.TextChoices):
    STRICT = "strict", _("Strict: refuse unknown or changed host keys")
    ACCEPT_NEW = "accept_new", _("Accept new: pin the key seen on first connect, refuse changes")


class ExecutionStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Approval expired")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused")


# An execution in one of these states may still run: they count against rate limit and cooldown.
ACTIVE_STATUSES = (ExecutionStatus.PENDING_APPROVAL, ExecutionStatus.APPROVED, ExecutionStatus.RUNNING)
RAN_STATUSES = (
    ExecutionStatus.RUNNING,
    ExecutionStatus.SUCCEEDED,
    ExecutionStatus.FAILED,
    ExecutionStatus.ROLLED_BACK,
)
FINAL_STATUSES = (
    ExecutionStatus.REJECTED,
    ExecutionStatus.EXPIRED,
    ExecutionStatus.SUCCEEDED,
    ExecutionStatus.FAILED,
    ExecutionStatus.ROLLED_BACK,
    ExecutionStatus.CANCELLED,
    ExecutionStatus.REFUSED,
)


class TriggerKind(models.TextChoices):
    ALERT = "alert", _("Alert trigger")
    MANUAL = "manual", _("Started by a person")


class StepPhase(models.TextChoices):
    RUN = "run", _("Run")
    ROLLBACK = "rollback", _("Rollback")


class StepStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("Timed out")
    CANCELLED = "cancelled", _("Cancelled")


class AuditKind(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    REFUSED = "refused", _("Refused")
    APPROVAL_NEEDED = "approval_needed", _("Approval requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Approval expired")
    STARTED = "started", _("Started")
    HOST_KEY_PINNED = "host_key_pinned", _("Host key pinned")
    STEP_FINISHED = "step_finished", _("Step finished")
    ROLLBACK_STARTED = "rollback_started", _("Rollback started")
    FINISHED = "finished", _("Finished")
    CANCEL_REQUESTED = "cancel_requested", _("Cancel requested")
    CANCELLED = "cancelled", _("Cancelled")


class VersionSource(models.TextChoices):
    YAML = "yaml", _("YAML import")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    RESTORE = "restore", _("Restored from an older version")
    GIT = "git", _("Git sync")

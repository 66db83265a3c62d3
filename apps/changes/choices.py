"""The closed vocabularies of change tracking (gap 5): what changed, where it came from, how it ended."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeType(models.TextChoices):
    DEPLOYMENT = "deployment", _("Deployment")
    CONFIG_CHANGE = "config_change", _("Configuration change")
    SCALING = "scaling", _("Scaling")
    ROLLBACK = "rollback", _("Rollback")
    MAINTENANCE = "maintenance", _("Maintenance")
    FEATURE_FLAG = "feature_flag", _("Feature flag")


class ChangeOrigin(models.TextChoices):
    """The plan's `source`: the system that reported the change."""

    GITHUB = "github", _("GitHub")
    GITLAB = "gitlab", _("GitLab")
    JENKINS = "jenkins", _("Jenkins")
    ARGOCD = "argocd", _("Argo CD")
    KUBERNETES = "kubernetes", _("Kubernetes")
    MANUAL = "manual", _("Manual entry")
    OTHER = "other", _("Other")


class ChangeStatus(models.TextChoices):
    STARTED = "started", _("Started")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class SourceKind(models.TextChoices):
    """How a change webhook reads its body: the plan's generic JSON or a tool's native payload."""

    GENERIC = "generic", _("Generic JSON (the plan's change payload)")
    GITHUB = "github", _("GitHub (deployment_status, workflow_run)")
    GITLAB = "gitlab", _("GitLab (deployment events)")
    ARGOCD = "argocd", _("Argo CD notifications")
    JENKINS = "jenkins", _("Jenkins (generic JSON from the httpRequest step)")
    KUBERNETES = "kubernetes", _("Kubernetes rollout script (generic JSON)")


# Kinds whose body is the generic payload; the kind only sets the default `source`.
GENERIC_KINDS = {
    SourceKind.GENERIC: ChangeOrigin.OTHER,
    SourceKind.JENKINS: ChangeOrigin.JENKINS,
    SourceKind.KUBERNETES: ChangeOrigin.KUBERNETES,
}


class CorrelationStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class CorrelationType(models.TextChoices):
    """How the link was found (the plan's correlation_type)."""

    TEMPORAL = "temporal", _("Time only")
    SERVICE_MATCH = "service_match", _("Service match")
    USER_CONFIRMED = "user_confirmed", _("Linked by a person")


DEFAULT_CHANGE_TYPE_RISK = {
    ChangeType.DEPLOYMENT: 1.0,
    ChangeType.ROLLBACK: 0.7,
    ChangeType.CONFIG_CHANGE: 0.6,
    ChangeType.FEATURE_FLAG: 0.6,
    ChangeType.MAINTENANCE: 0.5,
    ChangeType.SCALING: 0.3,
}


def default_change_type_risk() -> dict:
    return {str(k): v for k, v in DEFAULT_CHANGE_TYPE_RISK.items()}

"""Change events (deployments, config changes, ...), the webhooks they arrive through, their links to alerts.

A change is keyed by (organisation, source, external id) so that a webhook delivered twice, or a
deployment whose status moves from started to completed, updates one row instead of adding another.
Changes are organisation-wide on purpose: a deploy by one team is often the cause of another
team's alert, so hiding it by team would hide exactly the answer to "did anyone deploy?".
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel

from .choices import (
    ChangeOrigin,
    ChangeStatus,
    ChangeType,
    CorrelationStatus,
    CorrelationType,
    SourceKind,
    default_change_type_risk,
)

UNIT = [MinValueValidator(0.0), MaxValueValidator(1.0)]
# Free-text facts of a change; a later report of the same change overwrites them when it has a value.
TEXT_FIELDS = [
    "service",
    "environment",
    "version",
    "previous_version",
    "description",
    "author",
    "commit_sha",
    "url",
]
# What an admin may correct on a recorded change (admin form and API PATCH).
CORRECTABLE_FIELDS = ["event_type", *TEXT_FIELDS, "started_at", "finished_at", "status", "metadata"]
# How a change source reads and authenticates deliveries (admin form, admin page, API).
SOURCE_CONFIG_FIELDS = ["secret", "default_environment", "service_map", "workflows", "rate_limit_per_minute"]
# The per-organisation scoring knobs, first the ones worth a column in the admin list.
SETTINGS_FIELDS = [
    "enabled", "window_minutes", "threshold", "weight_time", "weight_service", "weight_environment",
    "weight_change_type", "dependency_factor", "dependency_max_hops", "dependent_factor",
    "service_mismatch_factor", "environment_mismatch_factor", "change_type_risk", "clock_skew_seconds",
]  # fmt: skip


class ChangeSource(OrgOwnedModel, CreatedByMixin):
    """A change webhook: a secret URL plus how to read and authenticate what arrives on it."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices, default=SourceKind.GENERIC)
    enabled = models.BooleanField(_("enabled"), default=True)
    # The URL token: shown to admins (it is pasted into GitHub, Jenkins, ...), looked up by hash.
    token = EncryptedTextField(_("URL token"), editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    secret = EncryptedTextField(
        _("signing secret"),
        blank=True,
        help_text=_(
            "GitHub: the webhook secret (X-Hub-Signature-256 is then required). GitLab: the secret token "
            "(X-Gitlab-Token). Other kinds: a bearer token the sender must present. Write-only."
        ),
    )
    default_environment = models.CharField(
        _("default environment"),
        max_length=100,
        blank=True,
        help_text=_("Used when a delivery names no environment (e.g. GitHub workflow runs)."),
    )
    service_map = models.JSONField(
        _("service names"),
        default=dict,
        blank=True,
        help_text=_(
            'Sender name → service name, e.g. {"acme/payment-svc": "payment-service"}. Unmapped '
            "repositories use their name without the owner."
        ),
    )
    workflows = models.CharField(
        _("deployment workflows"),
        max_length=500,
        blank=True,
        help_text=_(
            "GitHub workflow_run: comma-separated workflow names that deploy; empty accepts every "
            "workflow (CI runs that deploy nothing would then count as changes)."
        ),
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("Empty uses CHANGES_SOURCE_RATE_LIMIT.")
    )
    last_received_at = models.DateTimeField(_("last received"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def workflow_names(self) -> list[str]:
        return [w.strip() for w in self.workflows.split(",") if w.strip()]


class ChangeEvent(OrgOwnedModel, CreatedByMixin):
    """One change to one service (the plan's `change_events` row)."""

    event_type = models.CharField(_("type"), max_length=20, choices=ChangeType.choices, default=ChangeType.DEPLOYMENT)
    source = models.CharField(_("source"), max_length=20, choices=ChangeOrigin.choices, default=ChangeOrigin.MANUAL)
    change_source = models.ForeignKey(
        ChangeSource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("webhook"),
    )
    service = models.CharField(_("service"), max_length=255, blank=True)
    environment = models.CharField(_("environment"), max_length=100, blank=True)
    version = models.CharField(_("version"), max_length=255, blank=True)
    previous_version = models.CharField(_("previous version"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    author = models.CharField(_("author"), max_length=255, blank=True)
    commit_sha = models.CharField(_("commit"), max_length=64, blank=True)
    url = models.URLField(_("link"), max_length=2000, blank=True)
    started_at = models.DateTimeField(_("time"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.COMPLETED)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    external_id = models.CharField(
        _("external id"),
        max_length=255,
        blank=True,
        help_text=_("The sender's id for this change; a repeated delivery updates the row."),
    )
    # Highest confidence of the change's links that nobody rejected (the plan's correlation_score).
    correlation_score = models.FloatField(_("correlation score"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source", "external_id"],
                condition=~Q(external_id=""),
                name="change_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-started_at"], name="change_org_recent"),
            models.Index(fields=["organization", "service", "-started_at"], name="change_org_service"),
            models.Index(fields=["organization", "-correlation_score"], name="change_org_risk"),
        ]

    def __str__(self):
        what = " ".join(v for v in (self.service, self.version) if v) or self.description[:60]
        return f"{self.get_event_type_display()}: {what}" if what else self.get_event_type_display()

    @property
    def ended_at(self):
        """When the change was in place: its end if known, else its start."""
        return self.finished_at or self.started_at


class ChangeCorrelation(OrgOwnedModel):
    """A change that may have caused an alert, with the score, its factors and the operators' verdict."""

    change = models.ForeignKey(
        ChangeEvent, on_delete=models.CASCADE, related_name="correlations", verbose_name=_("change")
    )
    alert = models.ForeignKey(
        "alerts.Alert", on_delete=models.CASCADE, related_name="change_correlations", verbose_name=_("alert")
    )
    correlation_type = models.CharField(
        _("found by"), max_length=20, choices=CorrelationType.choices, default=CorrelationType.TEMPORAL
    )
    confidence = models.FloatField(_("confidence"), validators=UNIT)
    factors = models.JSONField(_("factors"), default=dict, blank=True)
    time_delta_seconds = models.IntegerField(_("alert time − change time (s)"))
    status = models.CharField(
        _("status"), max_length=10, choices=CorrelationStatus.choices, default=CorrelationStatus.SUGGESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-confidence", "-id"]
        constraints = [models.UniqueConstraint(fields=["change", "alert"], name="change_correlation_unique")]
        indexes = [
            models.Index(fields=["alert", "-confidence"], name="changecorr_alert"),
            models.Index(fields=["organization", "status"], name="changecorr_org_status"),
        ]

    def __str__(self):
        return f"{self.change} → alert {self.alert_id} ({self.confidence:.0%})"


class CorrelationSettings(OrgOwnedModel):
    """How one organisation scores changes against alerts (the plan's weights, tunable per org)."""

    enabled = models.BooleanField(_("correlate changes with alerts"), default=True)
    window_minutes = models.PositiveIntegerField(
        _("look-back window (minutes)"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
    )
    threshold = models.FloatField(
        _("threshold"),
        default=0.3,
        validators=UNIT,
        help_text=_("Links scoring above this are suggested to responders."),
    )
    weight_time = models.FloatField(_("weight: time proximity"), default=0.4, validators=UNIT)
    weight_service = models.FloatField(_("weight: service match"), default=0.3, validators=UNIT)
    weight_environment = models.FloatField(_("weight: environment match"), default=0.2, validators=UNIT)
    weight_change_type = models.FloatField(_("weight: change type"), default=0.1, validators=UNIT)
    dependency_factor = models.FloatField(
        _("dependency factor"),
        default=0.5,
        validators=UNIT,
        help_text=_("Service credit for a change to a service the alerting one depends on (divided by hops)."),
    )
    dependency_max_hops = models.PositiveSmallIntegerField(
        _("dependency hops"), default=2, validators=[MaxValueValidator(5)]
    )
    dependent_factor = models.FloatField(
        _("dependent factor"),
        default=0.25,
        validators=UNIT,
        help_text=_("Service credit for a change to a direct consumer of the alerting service."),
    )
    service_mismatch_factor = models.FloatField(
        _("unrelated-service multiplier"),
        default=0.4,
        validators=UNIT,
        help_text=_("Applied to the whole score when both name a service and they are unrelated."),
    )
    environment_mismatch_factor = models.FloatField(
        _("other-environment multiplier"),
        default=0.25,
        validators=UNIT,
        help_text=_("Applied to the whole score when both name an environment and they differ."),
    )
    change_type_risk = models.JSONField(
        _("risk per change type"),
        default=default_change_type_risk,
        blank=True,
        help_text=_("0–1 per type; deployments are riskier than config changes."),
    )
    clock_skew_seconds = models.PositiveIntegerField(
        _("clock skew (s)"),
        default=120,
        help_text=_("A change reported up to this long after the alert started still counts (clocks differ)."),
    )

    class Meta:
        verbose_name = _("change correlation settings")
        verbose_name_plural = _("change correlation settings")
        constraints = [models.UniqueConstraint(fields=["organization"], name="change_settings_one_per_org")]

    def __str__(self):
        return str(_("Change correlation settings"))

"""Integrations (where alerts come from), alerts (one row per firing episode), and their history.

An alert is keyed by (integration, fingerprint, starts_at): Alertmanager keeps the fingerprint
for a label set forever, so the start time tells one firing episode from the next.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel

from .choices import ActionSource, AlertEventKind, AlertStatus, AuthType, IntegrationKind, Severity
from .expressions import severity_rank

DEFAULT_SEVERITY_MAP = {
    "critical": "critical", "crit": "critical", "page": "critical", "error": "critical", "high": "critical",
    "p1": "critical", "p2": "critical", "fatal": "critical", "emergency": "critical",
    "warning": "warning", "warn": "warning", "medium": "warning", "p3": "warning", "major": "warning",
    "minor": "warning",
    "info": "info", "informational": "info", "low": "info", "none": "info", "p4": "info", "p5": "info",
    "notice": "info", "debug": "info",
}


def default_severity_map():
    return dict(DEFAULT_SEVERITY_MAP)


class Integration(TeamOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=IntegrationKind.choices, default=IntegrationKind.ALERTMANAGER)
    enabled = models.BooleanField(_("enabled"), default=True)
    # The URL token: shown to admins (it must be pasted into Alertmanager), looked up by hash.
    token = EncryptedTextField(_("URL token"), editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    auth_type = models.CharField(_("authentication"), max_length=10, choices=AuthType.choices, default=AuthType.NONE)
    auth_username = models.CharField(_("basic auth username"), max_length=200, blank=True)
    auth_secret = EncryptedTextField(_("bearer token or basic auth password"), blank=True)
    service_labels = models.CharField(_("service label keys"), max_length=200, default="service,job",
                                      help_text=_("Comma-separated; the first label present wins."))
    instance_labels = models.CharField(_("instance label keys"), max_length=200, default="instance")
    environment_labels = models.CharField(_("environment label keys"), max_length=200, default="env,environment")
    team_labels = models.CharField(_("team label keys"), max_length=200, default="team",
                                   help_text=_("A label whose value is a team slug routes the alert to that team."))
    severity_label = models.CharField(_("severity label key"), max_length=100, default="severity")
    severity_mapping = models.JSONField(_("severity mapping"), default=default_severity_map, blank=True,
                                        help_text=_("Label value → critical / warning / info."))
    default_severity = models.CharField(_("default severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    field_mapping = models.JSONField(_("generic field mapping"), default=dict, blank=True,
                                     help_text=_("For generic JSON: where to find alerts, name, status, labels, ..."))
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True,
        help_text=_("Webhook requests accepted per minute; empty uses the organisation default."))
    last_received_at = models.DateTimeField(_("last received"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def keys(value: str) -> list[str]:
        return [k.strip() for k in value.split(",") if k.strip()]


class Alert(TeamOwnedModel):
    # Every index costs each of the thousands of inserts a second: the FK indexes below are
    # covered by the composite indexes in Meta (organization first, integration first).
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"), db_index=False)
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    starts_at = models.DateTimeField(_("started"))
    ends_at = models.DateTimeField(_("ended"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.FIRING)
    name = models.CharField(_("alert name"), max_length=255)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    service = models.CharField(_("service"), max_length=255, blank=True)
    instance = models.CharField(_("instance"), max_length=255, blank=True)
    environment = models.CharField(_("environment"), max_length=100, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    description = models.TextField(_("description"), blank=True)
    labels = models.JSONField(_("labels"), default=dict)
    annotations = models.JSONField(_("annotations"), default=dict)
    generator_url = models.URLField(_("generator URL"), max_length=2000, blank=True)
    group_key = models.CharField(_("group key"), max_length=1000, blank=True)
    last_received_at = models.DateTimeField(_("last notification"), null=True, blank=True)
    receive_count = models.PositiveIntegerField(_("notifications received"), default=1)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("acknowledged by"), db_index=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("resolved by hand by"), db_index=False)
    silenced_until = models.DateTimeField(_("silenced until"), null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("assignee"))

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "fingerprint", "starts_at"], name="alert_episode_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "-starts_at"], name="alert_org_recent"),
            models.Index(fields=["organization", "status", "-starts_at"], name="alert_org_status"),
            models.Index(fields=["organization", "severity", "-starts_at"], name="alert_org_severity"),
            models.Index(fields=["organization", "service", "-starts_at"], name="alert_org_service"),
            models.Index(fields=["organization", "name"], name="alert_org_name"),
            models.Index(fields=["integration", "fingerprint", "-starts_at"], name="alert_fingerprint"),
            # Sorting the list by severity (see expressions.severity_rank).
            models.Index(models.F("organization"), severity_rank().desc(), models.F("starts_at").desc(),
                         name="alert_org_severity_rank"),
        ]

    def __str__(self):
        return f"{self.name} ({self.service or self.instance or self.fingerprint})"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def title(self) -> str:
        return self.summary or self.name


class AlertEvent(OrgOwnedModel):
    """What happened to an alert and who did it, from where (the alert's own history)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"), db_index=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AlertEventKind.choices)
    source = models.CharField(_("source"), max_length=20, choices=ActionSource.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["alert", "at"], name="alertevent_alert_at"),
            models.Index(fields=["organization", "-at"], name="alertevent_org_recent"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.alert_id}"


class RawPayload(OrgOwnedModel):
    """The body of each accepted webhook request, kept for audit and replay (bounded retention)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"), db_index=False)
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="payloads", db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    received_at = models.DateTimeField(_("received"))
    body = models.JSONField(_("body"))
    alert_count = models.PositiveIntegerField(_("alerts"), default=0)
    source_ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["integration", "-received_at"], name="rawpayload_integration_recent"),
            models.Index(fields=["organization", "-received_at"], name="rawpayload_org_recent"),
            models.Index(fields=["received_at"], name="rawpayload_retention"),
        ]

    def __str__(self):
        return f"{self.integration} @ {self.received_at:%Y-%m-%d %H:%M:%S}"


__all__ = ["Integration", "Alert", "AlertEvent", "RawPayload", "ActionSource", "AlertEventKind"]

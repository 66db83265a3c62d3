"""Incidents (gap 2): groups of alerts with one root cause, a lifecycle and a post-mortem.

Counters and the per-service breakdown are stored on the incident (`service_stats`, `alert_count`,
`firing_count`), maintained under the organisation's correlation lock, so lists and the incident
page stay constant-time however many alerts an incident holds.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel
from apps.alerts.choices import Severity

from .choices import IncidentStatus, Strategy


def default_label_keys():
    return ["deployment", "host", "pod", "node"]


class Incident(TeamOwnedModel, CreatedByMixin):
    number = models.PositiveIntegerField(_("number"), editable=False)
    title = models.CharField(_("title"), max_length=300)
    title_is_auto = models.BooleanField(_("title follows the root cause"), default=True)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=15, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING)

    root_cause_service = models.ForeignKey(
        "topology.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("root-cause service"),
    )
    root_cause_service_name = models.CharField(_("root-cause service name"), max_length=255, blank=True)
    root_cause_alert = models.ForeignKey(
        "alerts.Alert",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("root-cause alert"),
    )
    root_cause_evidence = models.JSONField(_("root-cause evidence"), default=dict, blank=True)

    affected_services = models.JSONField(_("affected services"), default=list, blank=True)
    affected_environments = models.JSONField(_("affected environments"), default=list, blank=True)
    service_stats = models.JSONField(_("alerts per service"), default=dict, blank=True, editable=False)
    alert_count = models.PositiveIntegerField(_("alerts"), default=0, editable=False)
    firing_count = models.PositiveIntegerField(_("firing alerts"), default=0, editable=False)

    started_at = models.DateTimeField(_("started"), default=timezone.now, help_text=_("Event time of the first alert."))
    last_alert_at = models.DateTimeField(
        _("last alert"),
        default=timezone.now,
        help_text=_("Event time of the latest alert; the correlation window extends from here."),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    identified_at = models.DateTimeField(_("root cause identified"), null=True, blank=True)
    mitigated_at = models.DateTimeField(_("mitigated"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident commander"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )

    # Post-mortem
    impact = models.TextField(_("impact"), blank=True)
    customer_impact = models.BooleanField(_("customers affected"), default=False)
    root_cause_analysis = models.TextField(_("root cause (post-mortem)"), blank=True)
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    action_items = models.JSONField(
        _("action items"),
        default=list,
        blank=True,
        help_text=_('A list of {"title", "owner", "done"} objects.'),
    )
    postmortem_url = models.URLField(_("post-mortem document"), max_length=2000, blank=True)

    correlation_strategy = models.CharField(
        _("correlation strategy"),
        max_length=15,
        choices=Strategy.choices,
        default=Strategy.OPENED,
        help_text=_("The strategy that grouped most of its alerts."),
    )
    correlation_reason = models.TextField(_("why the incident was opened"), blank=True)
    strategy_counts = models.JSONField(_("alerts per strategy"), default=dict, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="incident_number_unique")]
        indexes = [
            models.Index(fields=["organization", "-started_at"], name="incident_org_recent"),
            models.Index(fields=["organization", "status", "-started_at"], name="incident_org_status"),
            models.Index(fields=["organization", "status", "last_alert_at"], name="incident_org_window"),
        ]

    def __str__(self):
        return f"#{self.number} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status != IncidentStatus.RESOLVED

    def services_by_alerts(self) -> list[tuple[str, dict]]:
        """Affected services, the root cause first, then by alert count."""
        root = self.root_cause_service_name
        return sorted(self.service_stats.items(), key=lambda kv: (kv[0] != root, -kv[1].get("alerts", 0), kv[0]))


class IncidentAlert(OrgOwnedModel):
    """An alert's membership: one incident per alert (the unique key settles races)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    alert = models.OneToOneField("alerts.Alert", on_delete=models.CASCADE, related_name="incident_link")
    added_at = models.DateTimeField(_("added"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by (empty: the correlation engine)"),
    )
    is_auto = models.BooleanField(_("added automatically"), default=True)
    strategy = models.CharField(_("strategy"), max_length=15, choices=Strategy.choices)
    reason = models.TextField(_("reason"), blank=True)
    is_root_cause = models.BooleanField(_("root cause"), default=False)

    class Meta:
        ordering = ["incident", "added_at", "id"]
        indexes = [models.Index(fields=["incident", "added_at"], name="incidentalert_incident")]

    def __str__(self):
        return f"#{self.incident_id} ← alert {self.alert_id}"


class IncidentComment(OrgOwnedModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"#{self.incident_id}: {self.body[:40]}"


class CorrelationConfig(OrgOwnedModel):
    """How the engine groups alerts for one organisation; its row is also the per-org lock."""

    enabled = models.BooleanField(_("correlate alerts into incidents"), default=True)
    window_minutes = models.PositiveIntegerField(
        _("window (minutes)"), default=5, help_text=_("Event-time window around an incident's alerts.")
    )
    temporal_enabled = models.BooleanField(_("temporal strategy"), default=True)
    topology_enabled = models.BooleanField(_("topology strategy"), default=True)
    labels_enabled = models.BooleanField(_("label strategy"), default=True)
    group_key_enabled = models.BooleanField(_("Alertmanager group-key strategy"), default=True)
    topology_max_hops = models.PositiveSmallIntegerField(
        _("topology hops"),
        default=3,
        help_text=_("How far along a dependency chain services count as related."),
    )
    label_keys = models.JSONField(
        _("label keys"),
        default=default_label_keys,
        blank=True,
        help_text=_("Alerts sharing a value of one of these labels belong together."),
    )
    auto_merge = models.BooleanField(
        _("merge incidents with a common cause"),
        default=True,
        help_text=_(
            "When a new alert's service is a dependency of services in several open, untouched "
            "incidents, they are one failure: merge them."
        ),
    )
    auto_resolve = models.BooleanField(_("resolve when all alerts resolve"), default=True)
    reopen_window_minutes = models.PositiveIntegerField(
        _("re-open window (minutes)"),
        default=0,
        help_text=_(
            "A related alert arriving this soon after an incident resolved re-opens it; 0 never "
            "re-opens (a new incident is created)."
        ),
    )

    class Meta:
        verbose_name = _("correlation settings")
        verbose_name_plural = _("correlation settings")
        constraints = [models.UniqueConstraint(fields=["organization"], name="correlation_config_one_per_org")]

    def __str__(self):
        return str(_("Correlation settings"))


class CorrelationKey(models.Model):
    """Index of what an incident's alerts carry (topology nodes, labels, group keys).

    The engine asks "which open incident shares any of these keys with the new alert?" in one
    indexed query instead of reading every member alert. Internal: never shown or edited.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=400)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="correlation_key_unique")]
        indexes = [models.Index(fields=["organization", "key"], name="correlation_key_lookup")]

    def __str__(self):
        return self.key

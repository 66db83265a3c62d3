"""The service registry and its dependency graph (gap 2): what depends on what.

A service is identified by its name within an environment, the same `service` and `environment`
an alert carries, so the correlation engine can place an alert on the graph without a lookup
table. "source depends on target": arrows point from the consumer to what it needs.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aiops.models import OrgOwnedModel, TeamOwnedModel

from .choices import Criticality, DependencyKind, DiscoveredFrom, ServiceType, Tier


class Service(TeamOwnedModel):
    """A service in the registry; `team` is its owner team (empty = organisation-wide)."""

    name = models.CharField(_("name"), max_length=255)
    type = models.CharField(_("type"), max_length=20, choices=ServiceType.choices, default=ServiceType.OTHER)
    environment = models.CharField(
        _("environment"), max_length=100, blank=True, help_text=_("Empty matches alerts of any environment.")
    )
    namespace = models.CharField(_("namespace"), max_length=255, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.TIER2)
    description = models.TextField(_("description"), blank=True)
    health_check_url = models.URLField(_("health-check URL"), max_length=2000, blank=True)
    docs_url = models.URLField(_("documentation URL"), max_length=2000, blank=True)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    discovered_from = models.CharField(
        _("discovered from"), max_length=10, choices=DiscoveredFrom.choices, default=DiscoveredFrom.MANUAL
    )
    last_seen = models.DateTimeField(_("last seen in an alert"), null=True, blank=True)

    class Meta:
        ordering = ["name", "environment"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name", "environment"], name="service_unique_in_org"),
        ]
        indexes = [models.Index(fields=["organization", "name"], name="service_org_name")]

    def __str__(self):
        return f"{self.name} ({self.environment})" if self.environment else self.name


class Dependency(OrgOwnedModel):
    """`source` depends on `target` (a call, a queue, a database ...)."""

    source = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="dependencies",
        verbose_name=_("source (depends on target)"),
    )
    target = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="dependents", verbose_name=_("target (depended upon)")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DependencyKind.choices, default=DependencyKind.SYNC)
    criticality = models.CharField(
        _("criticality"), max_length=10, choices=Criticality.choices, default=Criticality.CRITICAL
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    discovered_from = models.CharField(
        _("discovered from"), max_length=10, choices=DiscoveredFrom.choices, default=DiscoveredFrom.MANUAL
    )

    class Meta:
        ordering = ["source__name", "target__name"]
        verbose_name_plural = _("dependencies")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="dependency_unique_edge"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="dependency_not_self"),
        ]

    def __str__(self):
        return f"{self.source.name} → {self.target.name}"

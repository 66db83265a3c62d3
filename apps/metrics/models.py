"""Metric sources: where Prometheus-API history comes from (Prometheus, Thanos, Mimir, VictoriaMetrics).

Shared by predictions, capacity and SLOs. Credentials are encrypted at rest and write-only; the
concurrency and timeout knobs live on the source because they protect *that* server.
"""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedJSONField, EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel

from .choices import SourceAuth, SourceKind


class MetricSource(OrgOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices, default=SourceKind.PROMETHEUS)
    url = models.URLField(
        _("base URL"), max_length=500,
        help_text=_("The API root, e.g. http://prometheus:9090 or https://mimir.example/prometheus "
                    "(the client appends /api/v1/query_range)."))
    enabled = models.BooleanField(_("enabled"), default=True)
    auth_type = models.CharField(_("authentication"), max_length=10, choices=SourceAuth.choices,
                                 default=SourceAuth.NONE)
    username = models.CharField(_("basic auth username"), max_length=200, blank=True)
    secret = EncryptedTextField(_("bearer token or basic auth password"), blank=True)
    headers = EncryptedJSONField(
        _("extra headers"),
        help_text=_('Sent with every query, e.g. {"X-Scope-OrgID": "tenant-1"} for Mimir. Write-only.'))
    timeout_seconds = models.FloatField(_("query timeout (s)"), default=30.0,
                                        validators=[MinValueValidator(0.5), MaxValueValidator(600)])
    max_concurrency = models.PositiveSmallIntegerField(
        _("queries in flight"), default=4, validators=[MinValueValidator(1), MaxValueValidator(32)],
        help_text=_("At most this many queries run against this source at once."))
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True, editable=False)
    last_check_ok = models.BooleanField(_("last check passed"), null=True, editable=False)
    last_check_message = models.TextField(_("last check result"), blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="metricsource_org_name")]

    def __str__(self):
        return self.name

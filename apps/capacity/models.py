"""Capacity planning: resource queries (PromQL templates), resources (`capacity_metrics`),
thresholds (`capacity_thresholds`) and reports (`capacity_reports`), the plan's tables.

A `ResourceQuery` names a metric source and two PromQL templates, usage and capacity; every series
its usage query returns is one resource, kept as a `CapacityMetric` row keyed by the hash of its
label set so a rescan updates it instead of adding one.
"""
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.models import CreatedByMixin, OrgOwnedModel

from .choices import ReportType, ResourceKind, Trend, Unit

PERCENT = [MinValueValidator(0.0), MaxValueValidator(100.0)]


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(_("Not a regular expression: %(error)s") % {"error": exc}) from None


class ResourceQuery(OrgOwnedModel, CreatedByMixin):
    """Where one kind of resource comes from: usage and capacity PromQL on a metric source."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("resource kind"), max_length=20, choices=ResourceKind.choices)
    source = models.ForeignKey("metrics.MetricSource", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("metric source"))
    usage_query = models.TextField(_("usage PromQL"), help_text=_("One series per resource, in `unit`."))
    capacity_query = models.TextField(
        _("capacity PromQL"),
        help_text=_("Same labels as the usage series (matched on the shared labels), or a constant such as 100."))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PERCENT)
    name_labels = models.CharField(_("name labels"), max_length=200, default="instance",
                                   help_text=_("Comma-separated labels that make the resource's name."))
    step_seconds = models.PositiveIntegerField(_("step (s)"), default=3600,
                                               validators=[MinValueValidator(60), MaxValueValidator(86400)])
    history_days = models.PositiveSmallIntegerField(_("history (days)"), default=30,
                                                    validators=[MinValueValidator(3), MaxValueValidator(400)])
    enabled = models.BooleanField(_("enabled"), default=True)
    last_run_at = models.DateTimeField(_("last scan"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        db_table = "capacity_queries"
        ordering = ["kind", "name"]
        verbose_name_plural = _("resource queries")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="capacityquery_org_name")]

    def __str__(self):
        return self.name


class CapacityMetric(OrgOwnedModel):
    """One resource's latest scan (the plan's `capacity_metrics`)."""

    query = models.ForeignKey(ResourceQuery, on_delete=models.CASCADE, related_name="resources")
    series_hash = models.CharField(max_length=64)
    resource_type = models.CharField(_("kind"), max_length=20, choices=ResourceKind.choices)
    resource_name = models.CharField(_("resource"), max_length=300)
    labels = models.JSONField(_("labels"), default=dict)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PERCENT)
    current_usage = models.FloatField(_("current usage"))
    current_capacity = models.FloatField(_("current capacity"))
    usage_percent = models.FloatField(_("usage %"))
    usage_trend = models.CharField(_("trend"), max_length=12, choices=Trend.choices, default=Trend.UNKNOWN)
    growth_per_day = models.FloatField(_("growth (points/day)"), default=0.0)
    eta = models.JSONField(_("time to threshold (days)"), default=dict,
                           help_text=_('{"80": {"p10": d, "p50": d, "p90": d}, "90": …, "100": …}; '
                                       'null = the trend does not reach it'))
    days_to_exhaustion = models.FloatField(_("days to 100 % (P50)"), null=True, blank=True)
    predicted_exhaustion = models.DateTimeField(_("predicted exhaustion"), null=True, blank=True)
    history = models.JSONField(_("history"), default=list, help_text=_("[[timestamp, usage %]] for the chart"))
    trend_line = models.JSONField(_("trend"), default=dict, help_text=_("level, slope per day, residual σ, at"))
    last_updated = models.DateTimeField(_("last updated"))

    class Meta:
        db_table = "capacity_metrics"
        ordering = [models.F("days_to_exhaustion").asc(nulls_last=True), "-usage_percent", "resource_name"]
        constraints = [models.UniqueConstraint(fields=["query", "series_hash"], name="capacitymetric_once")]
        indexes = [models.Index(fields=["organization", "resource_type"], name="capacitymetric_org_kind")]

    def __str__(self):
        return f"{self.resource_name}: {self.get_resource_type_display()}"


class CapacityThreshold(OrgOwnedModel, CreatedByMixin):
    """When a resource is predicted to cross warning or critical within `forecast_days`, raise an alert."""

    name = models.CharField(_("name"), max_length=200)
    resource_type = models.CharField(_("kind"), max_length=20, choices=ResourceKind.choices, blank=True,
                                     help_text=_("Empty: every kind."))
    resource_pattern = models.CharField(_("resource pattern"), max_length=255, blank=True, validators=[validate_regex],
                                        help_text=_("Regular expression on the resource name; empty matches all."))
    warning_threshold = models.FloatField(_("warning %"), default=80.0, validators=PERCENT)
    critical_threshold = models.FloatField(_("critical %"), default=90.0, validators=PERCENT)
    forecast_days = models.PositiveSmallIntegerField(_("forecast days"), default=30,
                                                     validators=[MinValueValidator(1), MaxValueValidator(365)])
    notify_channels = models.JSONField(_("notification channel ids"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        db_table = "capacity_thresholds"
        ordering = ["name"]

    def __str__(self):
        return self.name


class ThresholdState(models.Model):
    """Whether a threshold's predictive alert for one resource fires (so it can be resolved)."""

    threshold = models.ForeignKey(CapacityThreshold, on_delete=models.CASCADE, related_name="states")
    metric = models.ForeignKey(CapacityMetric, on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(max_length=10, blank=True)
    firing = models.BooleanField(default=False)
    alert_starts_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["threshold", "metric"], name="capacitystate_once")]

    def __str__(self):
        return f"{self.threshold_id}/{self.metric_id}: {'firing' if self.firing else 'quiet'}"


class CapacityReport(OrgOwnedModel):
    """A generated report (the plan's `capacity_reports`): summary, sections and recommendations."""

    report_type = models.CharField(_("type"), max_length=10, choices=ReportType.choices)
    generated_at = models.DateTimeField(_("generated at"))
    period_start = models.DateField(_("period start"))
    report_data = models.JSONField(_("report"), default=dict)
    recommendations = models.JSONField(_("recommendations"), default=list)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("generated by"))
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        db_table = "capacity_reports"
        ordering = ["-generated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "report_type", "period_start"],
                                               condition=~models.Q(report_type="on_demand"),
                                               name="capacityreport_once_per_period")]

    def __str__(self):
        return f"{self.get_report_type_display()} {self.period_start:%Y-%m-%d}"

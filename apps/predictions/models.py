"""Forecast targets, forecasts per series, predictive rules, anomalies, and per-series rule state.

Table names follow the plan (`metric_forecasts`, `anomaly_detections`, `predictive_rules`). A
series is identified by the hash of its sorted label set, so a refresh updates its forecast row
instead of adding one, and a rule remembers per series how many evaluations in a row breached.
"""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.models import CreatedByMixin, OrgOwnedModel

from .choices import AnomalySeverity, AnomalyType, Direction, ModelChoice, TaskStatus

UNIT = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class ForecastTarget(OrgOwnedModel, CreatedByMixin):
    """A PromQL expression (one or many series) forecast nightly and refreshed hourly."""

    name = models.CharField(_("name"), max_length=200)
    source = models.ForeignKey("metrics.MetricSource", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("metric source"))
    query = models.TextField(_("PromQL"), help_text=_("e.g. 100 * (1 - node_filesystem_avail_bytes / "
                                                      "node_filesystem_size_bytes); one forecast per series."))
    step_seconds = models.PositiveIntegerField(_("step (s)"), default=300,
                                               validators=[MinValueValidator(15), MaxValueValidator(86400)])
    history_days = models.PositiveSmallIntegerField(_("history (days)"), default=30,
                                                    validators=[MinValueValidator(1), MaxValueValidator(400)])
    horizon_hours = models.PositiveSmallIntegerField(_("horizon (hours)"), default=48,
                                                     validators=[MinValueValidator(1), MaxValueValidator(24 * 90)])
    model_choice = models.CharField(_("models"), max_length=20, choices=ModelChoice.choices, default=ModelChoice.AUTO)
    detect_anomalies = models.BooleanField(_("detect anomalies"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="forecasttarget_org_name")]

    def __str__(self):
        return self.name


class MetricForecast(OrgOwnedModel):
    """The latest forecast of one series of a target (the plan's `metric_forecasts`)."""

    target = models.ForeignKey(ForecastTarget, on_delete=models.CASCADE, related_name="forecasts")
    series_hash = models.CharField(max_length=64)
    metric_name = models.CharField(_("metric"), max_length=255, blank=True)
    labels = models.JSONField(_("labels"), default=dict)
    forecast_time = models.DateTimeField(_("forecast made"))
    predicted_values = models.JSONField(_("predicted values"), default=list,
                                        help_text=_("[{timestamp, value, lower, upper}]"))
    history = models.JSONField(_("recent history"), default=list, help_text=_("[[timestamp, value]] for the chart"))
    model_type = models.CharField(_("model"), max_length=40)
    backtest_mase = models.FloatField(_("backtest MASE"), null=True, blank=True)
    candidates = models.JSONField(_("backtest per model"), default=dict)
    confidence_level = models.FloatField(_("band confidence"), default=0.9)
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    trained_at = models.DateTimeField(_("model picked"), null=True, blank=True)

    class Meta:
        db_table = "metric_forecasts"
        ordering = ["target_id", "metric_name", "series_hash"]
        constraints = [models.UniqueConstraint(fields=["target", "series_hash"], name="forecast_series_once")]
        indexes = [models.Index(fields=["organization", "-forecast_time"], name="forecast_org_recent")]

    def __str__(self):
        return f"{self.metric_name or self.target.name} {self.labels}"

    @property
    def series_label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items()) if k != "__name__") or self.metric_name


class PredictiveRule(OrgOwnedModel, CreatedByMixin):
    """When a forecast crosses a threshold within the horizon (or an anomaly is found), raise an alert."""

    name = models.CharField(_("name"), max_length=200)
    target = models.ForeignKey(ForecastTarget, on_delete=models.CASCADE, related_name="rules",
                               verbose_name=_("forecast target"))
    metric_pattern = models.CharField(_("metric pattern"), max_length=255, blank=True,
                                      help_text=_("Regular expression on the metric name; empty matches all."))
    label_filters = models.JSONField(_("label filters"), default=dict, blank=True,
                                     help_text=_('Series whose labels match, e.g. {"mountpoint": "/"}.'))
    threshold = models.FloatField(_("threshold"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.ABOVE)
    forecast_horizon_hours = models.PositiveSmallIntegerField(_("horizon (hours)"), default=48,
                                                              validators=[MinValueValidator(1)])
    anomaly_sensitivity = models.FloatField(
        _("sensitivity"), default=0.5, validators=UNIT,
        help_text=_("0–1, lower is more sensitive: where in the band the threshold is compared "
                    "(0 = the band's edge, 1 = the point forecast); for anomalies, the score needed."))
    threshold_breach_percent = models.FloatField(_("anomaly deviation %"), default=50.0,
                                                 help_text=_("Anomalies deviating less than this are not alerted."))
    consecutive_evaluations = models.PositiveSmallIntegerField(
        _("evaluations in a row"), default=2, validators=[MinValueValidator(1), MaxValueValidator(48)],
        help_text=_("The forecast must breach this many refreshes in a row before an alert fires (no flapping)."))
    severity = models.CharField(_("alert severity"), max_length=10, default="warning",
                                choices=[("critical", _("Critical")), ("warning", _("Warning")), ("info", _("Info"))])
    create_alert = models.BooleanField(_("raise predictive alerts"), default=True)
    alert_on_anomalies = models.BooleanField(_("raise anomaly alerts"), default=False)
    notify_channels = models.JSONField(_("notification channel ids"), default=list, blank=True)
    suggested_runbook = models.ForeignKey("runbooks.Runbook", on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name=_("suggested runbook"))
    recommended_actions = models.TextField(_("recommended actions"), blank=True,
                                           help_text=_("One per line; shown on the predictive alert card."))
    is_enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        db_table = "predictive_rules"
        ordering = ["name"]

    def __str__(self):
        return self.name


class RuleSeriesState(models.Model):
    """What a rule last concluded for one series: the breach streak and whether its alert fires."""

    rule = models.ForeignKey(PredictiveRule, on_delete=models.CASCADE, related_name="states")
    series_hash = models.CharField(max_length=64)
    streak = models.PositiveIntegerField(default=0)
    firing = models.BooleanField(default=False)
    alert_starts_at = models.DateTimeField(null=True, blank=True)
    dismissed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "series_hash"], name="rulestate_once")]


class AnomalyDetection(OrgOwnedModel):
    """One anomalous episode of one series (the plan's `anomaly_detections`)."""

    target = models.ForeignKey(ForecastTarget, on_delete=models.CASCADE, related_name="anomalies", null=True)
    series_hash = models.CharField(max_length=64, blank=True)
    metric_name = models.CharField(_("metric"), max_length=255, blank=True)
    labels = models.JSONField(_("labels"), default=dict)
    detected_at = models.DateTimeField(_("detected at"))
    last_seen_at = models.DateTimeField(_("last seen"))
    anomaly_type = models.CharField(_("type"), max_length=20, choices=AnomalyType.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=AnomalySeverity.choices)
    score = models.FloatField(_("score"), default=0.0)
    expected_value = models.FloatField(_("expected"))
    actual_value = models.FloatField(_("actual"))
    deviation_percent = models.FloatField(_("deviation %"))
    context = models.TextField(_("context"), blank=True)
    alert_generated = models.BooleanField(_("alert raised"), default=False)
    alert = models.ForeignKey("alerts.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        db_table = "anomaly_detections"
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["organization", "-detected_at"], name="anomaly_org_recent"),
                   models.Index(fields=["target", "series_hash", "-last_seen_at"], name="anomaly_series_recent")]

    def __str__(self):
        return f"{self.get_anomaly_type_display()} · {self.metric_name}"


class PredictionTask(OrgOwnedModel, CreatedByMixin):
    """A follow-up made from a predictive alert card ("Create Task"): clean the disk before it fills."""

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

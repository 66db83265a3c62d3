"""Log sources, saved query templates, and the log context stored for each alert (the plan's tables)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedJSONField
from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel

from .choices import ContextStatus, SourceKind


class LogSource(TeamOwnedModel, CreatedByMixin):
    """A Loki, Elasticsearch/OpenSearch, CloudWatch Logs or Splunk endpoint (`log_sources`).

    `config` holds the connection details and credentials, encrypted and write-only (keys per kind
    in the README). `field_mapping` maps alert labels to the source's fields or stream labels.
    """

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices, default=SourceKind.LOKI)
    url = models.URLField(_("URL"), max_length=500, blank=True,
                          help_text=_("Base URL (Loki, Elasticsearch, Splunk management port); CloudWatch: empty."))
    config = EncryptedJSONField(_("connection config"))
    field_mapping = models.JSONField(
        _("label → field mapping"), default=dict, blank=True,
        help_text=_('Alert label → source field, e.g. {"instance": "host.name", "pod": "kubernetes.pod.name"}.'),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    is_default = models.BooleanField(_("default"), default=False,
                                     help_text=_("Queried for alerts of its team (or organisation) by default."))
    last_tested_at = models.DateTimeField(_("last tested"), null=True, blank=True, editable=False)
    last_test_ok = models.BooleanField(_("last test passed"), null=True, editable=False)
    last_test_message = models.CharField(_("last test result"), max_length=500, blank=True, editable=False)

    class Meta:
        db_table = "log_sources"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "team"], condition=Q(is_default=True),
                                    name="log_source_one_default_per_team"),
            models.UniqueConstraint(fields=["organization"], condition=Q(is_default=True, team__isnull=True),
                                    name="log_source_one_org_default"),
        ]

    def __str__(self):
        return self.name


class LogQuery(TeamOwnedModel, CreatedByMixin):
    """A saved query template (`log_queries`), rendered from an alert's labels and annotations."""

    name = models.CharField(_("name"), max_length=200)
    source = models.ForeignKey(LogSource, on_delete=models.CASCADE, related_name="queries", verbose_name=_("source"))
    query_template = models.TextField(
        _("query template"), blank=True,
        help_text=_("Django template; {{ labels.instance }} etc. arrive escaped for the source's query language. "
                    "Empty: generated from the mapped labels and the error words."),
    )
    alert_name = models.CharField(_("alert name"), max_length=255, blank=True,
                                  help_text=_("Used for alerts of this name only; empty matches every alert."))
    time_range_minutes = models.PositiveIntegerField(_("window (± minutes)"), default=5)
    error_words = models.CharField(_("error words"), max_length=300, blank=True,
                                   help_text=_("Comma-separated; empty uses LOGS_ERROR_WORDS."))
    description = models.TextField(_("description"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        db_table = "log_queries"
        ordering = ["name"]
        verbose_name_plural = _("log queries")

    def __str__(self):
        return self.name

    def words(self) -> list[str]:
        return [w.strip() for w in self.error_words.split(",") if w.strip()]


class AlertLogContext(OrgOwnedModel):
    """The logs around one alert from one source, mined into patterns (`alert_log_contexts`)."""

    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="log_contexts")
    source = models.ForeignKey(LogSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    query = models.ForeignKey(LogQuery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    query_used = models.TextField(_("query used"), blank=True)
    window_start = models.DateTimeField(_("from"), null=True)
    window_end = models.DateTimeField(_("to"), null=True)
    status = models.CharField(_("status"), max_length=12, choices=ContextStatus.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    entries = models.PositiveIntegerField(_("entries"), default=0)
    level_counts = models.JSONField(_("lines by level"), default=dict, blank=True)
    patterns = models.JSONField(_("patterns"), default=list, blank=True)
    key_lines = models.JSONField(_("key lines"), default=list, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    summary_by = models.CharField(_("summary by"), max_length=300, blank=True,
                                  help_text=_("built-in, or the LLM provider and model that wrote it"))
    explore_url = models.URLField(_("open in source"), max_length=4000, blank=True)
    dedupe_key = models.CharField(max_length=64, blank=True, db_index=True)
    queried_at = models.DateTimeField(_("queried"))
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "alert_log_contexts"
        ordering = ["-queried_at"]
        constraints = [models.UniqueConstraint(fields=["alert", "source"], name="alert_log_context_once")]

    def __str__(self):
        return f"logs of alert {self.alert_id} ({self.status})"

    @property
    def error_count(self) -> int:
        return sum(self.level_counts.get(lvl, 0) for lvl in ("critical", "error"))

    @property
    def stack_traces(self) -> list[dict]:
        return [p for p in self.patterns if p.get("stack_trace")]

"""LLM providers, the organisation's analysis policy, analyses (versioned) and the provider calls behind them.

An analysis belongs to an alert or an incident. Incidents live in another app that may be absent, so
the incident is referenced by id (`incident_id`) rather than a foreign key: this app works, and its
migrations apply, whether or not `apps.incidents` is installed.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel

from .choices import AnalysisStatus, CallPurpose, CallStatus, JsonMode, ProviderKind, SubjectType, Trigger


def default_severities():
    # Every alert: the offline analyser costs nothing. Narrow this when an LLM provider is set.
    return ["critical", "warning", "info"]


def provider_field_errors(*, kind: str, model: str) -> dict[str, str]:
    """Field problems of a provider configuration (shared by the admin form and the API serializer)."""
    if kind != ProviderKind.BUILTIN and not (model or "").strip():
        return {"model": str(_("A model name is required for OpenAI-compatible and Anthropic providers."))}
    return {}


class LLMProvider(OrgOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ProviderKind.choices, default=ProviderKind.BUILTIN
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    base_url = models.URLField(
        _("base URL"),
        max_length=500,
        blank=True,
        help_text=_(
            "OpenAI-compatible: up to /v1, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. "
            "Anthropic: https://api.anthropic.com. Empty uses the vendor's public URL."
        ),
    )
    model = models.CharField(
        _("model"),
        max_length=200,
        blank=True,
        help_text=_("e.g. gpt-4o-mini, llama3.1:8b, claude-sonnet-4-5"),
    )
    api_key = EncryptedTextField(
        _("API key"), blank=True, help_text=_("Write-only. Empty for local servers that need no key.")
    )
    json_mode = models.CharField(
        _("JSON mode"),
        max_length=20,
        choices=JsonMode.choices,
        default=JsonMode.JSON_OBJECT,
        help_text=_("OpenAI-compatible servers only: how JSON output is requested."),
    )
    temperature = models.FloatField(
        _("temperature"), default=0.2, validators=[MinValueValidator(0.0), MaxValueValidator(2.0)]
    )
    max_output_tokens = models.PositiveIntegerField(
        _("max output tokens"), default=1500, validators=[MinValueValidator(64)]
    )
    context_budget_tokens = models.PositiveIntegerField(
        _("prompt budget (tokens)"),
        default=6000,
        validators=[MinValueValidator(500)],
        help_text=_("Context is trimmed to fit; lower it for local models with small context windows."),
    )
    timeout_seconds = models.FloatField(
        _("timeout (seconds)"), default=60.0, validators=[MinValueValidator(1.0), MaxValueValidator(600.0)]
    )
    max_retries = models.PositiveSmallIntegerField(
        _("retries"),
        default=2,
        validators=[MaxValueValidator(5)],
        help_text=_("Retries after a timeout, 429 or 5xx answer (Retry-After is honoured)."),
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("calls per minute"), null=True, blank=True, help_text=_("Empty = no limit.")
    )
    daily_token_budget = models.PositiveIntegerField(
        _("daily token budget"),
        null=True,
        blank=True,
        help_text=_("Prompt + completion tokens per day; when spent, analyses use the offline analyser."),
    )
    last_tested_at = models.DateTimeField(_("last tested"), null=True, blank=True, editable=False)
    last_test_ok = models.BooleanField(_("last test passed"), null=True, editable=False)
    last_test_message = models.TextField(_("last test result"), blank=True, editable=False)
    last_test_latency_ms = models.PositiveIntegerField(_("last test latency (ms)"), null=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("LLM provider")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="llmprovider_name_unique_in_org"),
        ]

    def __str__(self):
        return f"{self.name} ({self.model or self.kind})"

    def clean(self):
        errors = provider_field_errors(kind=self.kind, model=self.model)
        if errors:
            raise ValidationError(errors)


class AnalysisPolicy(OrgOwnedModel):
    """When analyses run automatically, with which provider, and how alert storms are de-duplicated."""

    provider = models.ForeignKey(
        LLMProvider,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("provider"),
        help_text=_("Empty = the built-in offline analyser."),
    )
    auto_analyse = models.BooleanField(_("analyse new alerts"), default=True)
    severities = models.JSONField(
        _("severities analysed automatically"),
        default=default_severities,
        blank=True,
        help_text=_('A list, e.g. ["critical", "warning"].'),
    )
    analyse_incidents = models.BooleanField(_("analyse incidents"), default=True)
    dedup_window_minutes = models.PositiveIntegerField(
        _("de-duplication window (minutes)"),
        default=60,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text=_(
            "An alert with the same name and service as one analysed within this window reuses "
            "that analysis instead of calling the provider again."
        ),
    )
    fallback_to_builtin = models.BooleanField(
        _("fall back to the offline analyser"),
        default=True,
        help_text=_("When the provider fails, is rate limited or out of budget."),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("analysis policy")
        verbose_name_plural = _("analysis policies")
        constraints = [models.UniqueConstraint(fields=["organization"], name="analysis_policy_one_per_org")]

    def __str__(self):
        return str(_("Analysis policy"))


class Analysis(TeamOwnedModel):
    subject_type = models.CharField(_("subject"), max_length=10, choices=SubjectType.choices)
    alert = models.ForeignKey(
        "alerts.Alert",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="analyses",
        verbose_name=_("alert"),
    )
    incident_id = models.BigIntegerField(_("incident"), null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.AUTO)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    provider = models.ForeignKey(
        LLMProvider,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="analyses",
        verbose_name=_("provider"),
    )
    provider_kind = models.CharField(
        _("provider kind"), max_length=20, choices=ProviderKind.choices, default=ProviderKind.BUILTIN
    )
    model_name = models.CharField(_("model"), max_length=200, blank=True)
    signature = models.CharField(
        _("signature"),
        max_length=64,
        blank=True,
        help_text=_("Hash of alert name and service, for storm de-duplication."),
    )
    reused_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reuses",
        verbose_name=_("reuses the analysis"),
    )
    fallback_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fallbacks",
        verbose_name=_("fallback for"),
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    impact = models.TextField(_("impact"), blank=True)
    remediation = models.JSONField(_("remediation steps"), default=list, blank=True)
    prevention = models.JSONField(_("prevention"), default=list, blank=True)
    suggested_runbook = models.JSONField(_("suggested runbook"), default=dict, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    context_blocks = models.JSONField(_("context used"), default=list, blank=True)
    prompt_hash = models.CharField(_("prompt hash"), max_length=64, blank=True)
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("provider calls"), default=0)
    raw_text = models.TextField(_("raw output"), blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("analysis")
        verbose_name_plural = _("analyses")
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="analysis_org_recent"),
            models.Index(fields=["alert", "-version"], name="analysis_alert_version"),
            models.Index(fields=["incident_id", "-version"], name="analysis_incident_version"),
            models.Index(fields=["organization", "signature", "-created_at"], name="analysis_org_signature"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "version"],
                condition=models.Q(alert__isnull=False),
                name="analysis_alert_version_unique",
            ),
            models.UniqueConstraint(
                fields=["incident_id", "version"],
                condition=models.Q(incident_id__isnull=False),
                name="analysis_incident_version_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(subject_type="alert", alert__isnull=False)
                    | models.Q(subject_type="incident", incident_id__isnull=False)
                ),
                name="analysis_has_subject",
            ),
        ]

    def __str__(self):
        subject = (
            f"alert {self.alert_id}"
            if self.subject_type == SubjectType.ALERT
            else f"incident {self.incident_id}"
        )
        return f"{subject} v{self.version} ({self.status})"

    @property
    def effective(self) -> "Analysis":
        """The analysis whose sections apply: the reused source for a reused row, else this row.

        A reused source that failed points on to its offline fallback, which was stored after it.
        """
        if self.status != AnalysisStatus.REUSED or not self.reused_from_id:
            return self
        source = self.reused_from
        if source.status == AnalysisStatus.FAILED:
            return source.fallbacks.order_by("-version").first() or source
        return source

    @property
    def is_finished(self) -> bool:
        return self.effective.status in (AnalysisStatus.OK, AnalysisStatus.FAILED)


class LLMCall(OrgOwnedModel):
    """One request to a provider: the ledger behind rate limits, token budgets and latency figures."""

    provider = models.ForeignKey(
        LLMProvider, on_delete=models.CASCADE, related_name="calls", verbose_name=_("provider")
    )
    analysis = models.ForeignKey(
        Analysis,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("analysis"),
    )
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=CallPurpose.choices, default=CallPurpose.ANALYSIS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CallStatus.choices, default=CallStatus.STARTED
    )
    model_name = models.CharField(_("model"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        _("HTTP attempts"), default=0, help_text=_("1 + retries after timeouts, 429 and 5xx answers.")
    )
    error = models.TextField(_("error"), blank=True)
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("LLM call")
        indexes = [models.Index(fields=["provider", "started_at"], name="llmcall_provider_time")]

    def __str__(self):
        return f"{self.provider} @ {self.started_at:%Y-%m-%d %H:%M:%S} ({self.status})"

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


__all__ = [
    "LLMProvider",
    "AnalysisPolicy",
    "Analysis",
    "LLMCall",
    "AnalysisStatus",
    "ProviderKind",
    "SubjectType",
    "Trigger",
]

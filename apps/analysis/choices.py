from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderKind(models.TextChoices):
    BUILTIN = "builtin", _("Built-in offline analyser (no network)")
    OPENAI = "openai", _("OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, LM Studio, ...)")
    ANTHROPIC = "anthropic", _("Anthropic Messages API")


class JsonMode(models.TextChoices):
    """How an OpenAI-compatible server is asked for JSON (servers differ in what they accept)."""

    JSON_OBJECT = "json_object", _('response_format {"type": "json_object"}')
    JSON_SCHEMA = "json_schema", _('response_format {"type": "json_schema"} (LM Studio, vLLM, newer OpenAI)')
    NONE = "none", _("No response_format; the prompt alone asks for JSON")


class AnalysisStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RUNNING = "running", _("Running")
    OK = "ok", _("Done")
    FAILED = "failed", _("Failed")
    REUSED = "reused", _("Reused (same alert name and service analysed recently)")


class SubjectType(models.TextChoices):
    ALERT = "alert", _("Alert")
    INCIDENT = "incident", _("Incident")


class Trigger(models.TextChoices):
    AUTO = "auto", _("Automatic (alert received)")
    INCIDENT = "incident", _("Automatic (incident)")
    MANUAL = "manual", _("Re-analysis requested in the portal")
    API = "api", _("Requested through the API")
    FALLBACK = "fallback", _("Offline fallback after a provider failure")


class CallPurpose(models.TextChoices):
    ANALYSIS = "analysis", _("Analysis")
    REPAIR = "repair", _("Retry after invalid output")
    TEST = "test", _("Connection test")
    LOG_SUMMARY = "logs", _("Log summary")


class CallStatus(models.TextChoices):
    STARTED = "started", _("Started")
    OK = "ok", _("OK")
    ERROR = "error", _("Error")


SECTIONS = ("root_cause", "impact", "remediation", "prevention")

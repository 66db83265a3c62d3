"""Admin: provider settings (key write-only, "test connection"), the policy, analyses and the call ledger."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin
from aiops.fields import EncryptedTextField, SecretInput

from . import services
from .choices import Trigger
from .models import Analysis, AnalysisPolicy, LLMCall, LLMProvider


@admin.register(LLMProvider)
class LLMProviderAdmin(OrgScopedAdmin):
    list_display = [
        "name",
        "kind",
        "model",
        "enabled",
        "rate_limit_per_minute",
        "daily_token_budget",
        "last_test_ok",
        "last_tested_at",
    ]
    list_filter = ["kind", "enabled", "last_test_ok"]
    search_fields = ["name", "model", "base_url"]
    readonly_fields = ["last_tested_at", "last_test_ok", "last_test_message", "last_test_latency_ms"]
    actions = ["test_connection"]
    # The admin's default TextField widget (a textarea) would print the stored key: keep it write-only.
    formfield_overrides = {
        EncryptedTextField: {"widget": SecretInput},
        models.URLField: {"assume_scheme": "https"},
    }
    fieldsets = [
        (None, {"fields": ["organization", "name", "kind", "enabled"]}),
        (_("Endpoint"), {"fields": ["base_url", "model", "api_key", "json_mode"]}),
        (_("Generation"), {"fields": ["temperature", "max_output_tokens", "context_budget_tokens"]}),
        (
            _("Reliability and cost"),
            {"fields": ["timeout_seconds", "max_retries", "rate_limit_per_minute", "daily_token_budget"]},
        ),
        (_("Last connection test"), {"fields": readonly_fields}),
    ]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return self.fieldsets
        return [
            (name, {"fields": [f for f in opts["fields"] if f != "organization"]})
            for name, opts in self.fieldsets
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        organization = self._org(request)

        class ScopedForm(form):
            def clean_name(self):
                # The organisation is not a form field for tenants, so Django cannot check this constraint.
                name = self.cleaned_data["name"]
                org = self.cleaned_data.get("organization") or organization
                taken = LLMProvider.objects.for_org(org).filter(name=name).exclude(pk=self.instance.pk)
                if taken.exists():
                    raise forms.ValidationError(_("A provider with this name already exists."))
                return name

        return ScopedForm

    @admin.action(description=_("Test connection"))
    def test_connection(self, request, queryset):
        for provider in queryset[:10]:
            provider = services.provider_test(provider=provider)
            level = messages.SUCCESS if provider.last_test_ok else messages.ERROR
            self.message_user(request, f"{provider.name}: {provider.last_test_message}", level)


@admin.register(AnalysisPolicy)
class AnalysisPolicyAdmin(OrgScopedAdmin):
    list_display = [
        "organization",
        "provider",
        "auto_analyse",
        "severities",
        "analyse_incidents",
        "dedup_window_minutes",
        "fallback_to_builtin",
    ]
    list_filter = ["auto_analyse", "analyse_incidents", "fallback_to_builtin"]
    search_fields = ["organization__name"]

    def has_add_permission(self, request):
        # One policy per organisation: once it exists (created on first use) it is edited, not added.
        org = self._org(request)
        if not request.user.is_superuser and (org is None or AnalysisPolicy.objects.for_org(org).exists()):
            return False
        return super().has_add_permission(request)


@admin.register(Analysis)
class AnalysisAdmin(OrgScopedAdmin):
    list_display = [
        "id",
        "subject_type",
        "alert",
        "incident_id",
        "version",
        "status",
        "trigger",
        "provider_kind",
        "model_name",
        "confidence",
        "latency_ms",
        "created_at",
    ]
    list_filter = ["status", "subject_type", "provider_kind", "trigger"]
    search_fields = ["root_cause", "alert__name", "alert__service", "failure_reason"]
    list_select_related = ["alert"]
    raw_id_fields = ["alert", "reused_from", "fallback_of", "provider"]
    actions = ["reanalyse"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields]

    def has_add_permission(self, request):
        return False  # analyses are requested from the alert or incident, or by the API

    @admin.action(description=_("Analyse again"))
    def reanalyse(self, request, queryset):
        queued = 0
        for analysis in queryset.select_related("alert")[:50]:
            subject = services.load_subject(analysis)
            if subject is not None:
                services.analysis_request(subject=subject, trigger=Trigger.MANUAL, requested_by=request.user)
                queued += 1
        self.message_user(request, _("Queued %(count)d analysis(es).") % {"count": queued}, messages.SUCCESS)


@admin.register(LLMCall)
class LLMCallAdmin(OrgScopedAdmin):
    list_display = [
        "started_at",
        "provider",
        "purpose",
        "status",
        "http_status",
        "attempts",
        "prompt_tokens",
        "completion_tokens",
        "latency_ms",
    ]
    list_filter = ["status", "purpose"]  # not "provider": its choices would list every organisation's
    search_fields = ["error", "model_name"]
    list_select_related = ["provider"]
    raw_id_fields = ["analysis"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields]

    def has_add_permission(self, request):
        return False

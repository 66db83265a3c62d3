"""API representations: providers (key write-only), the policy, analyses (read-only) and calls."""

from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField, SecretField
from aiops.api.serializers import OrgOwnedSerializer
from apps.alerts.choices import Severity

from ..choices import AnalysisStatus
from ..models import Analysis, AnalysisPolicy, LLMCall, LLMProvider, provider_field_errors
from ..selectors import provider_usage

SECTION_FIELDS = [
    "root_cause",
    "impact",
    "remediation",
    "prevention",
    "suggested_runbook",
    "confidence",
    "evidence",
    "context_blocks",
]


class LLMProviderSerializer(OrgOwnedSerializer):
    api_key = SecretField(max_length=2000)
    usage = serializers.SerializerMethodField()

    class Meta:
        model = LLMProvider
        fields = [
            "id",
            "name",
            "kind",
            "enabled",
            "base_url",
            "model",
            "api_key",
            "json_mode",
            "temperature",
            "max_output_tokens",
            "context_budget_tokens",
            "timeout_seconds",
            "max_retries",
            "rate_limit_per_minute",
            "daily_token_budget",
            "last_tested_at",
            "last_test_ok",
            "last_test_message",
            "last_test_latency_ms",
            "usage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_tested_at", "last_test_ok", "last_test_message", "last_test_latency_ms"]

    def get_usage(self, obj) -> dict:
        return provider_usage(obj)

    def validate(self, attrs):
        kind = attrs.get(
            "kind", getattr(self.instance, "kind", None) or LLMProvider._meta.get_field("kind").default
        )
        model = attrs.get("model", getattr(self.instance, "model", ""))
        errors = provider_field_errors(kind=kind, model=model)
        name = attrs.get("name")
        request = self.context.get("request")
        if name is not None and request is not None:
            taken = LLMProvider.objects.for_org(request.organization).filter(name=name)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                errors["name"] = "A provider with this name already exists."
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AnalysisPolicySerializer(OrgOwnedSerializer):
    provider = OrgScopedRelatedField(queryset=LLMProvider.objects.all(), allow_null=True, required=False)

    class Meta:
        model = AnalysisPolicy
        fields = [
            "id",
            "provider",
            "auto_analyse",
            "severities",
            "analyse_incidents",
            "dedup_window_minutes",
            "fallback_to_builtin",
            "created_at",
            "updated_at",
        ]

    def validate_severities(self, value):
        allowed = set(Severity.values)
        if not isinstance(value, list) or any(v not in allowed for v in value):
            raise serializers.ValidationError(f"A list of severities among {sorted(allowed)}.")
        return list(dict.fromkeys(value))

    def validate(self, attrs):
        request = self.context.get("request")
        if (
            self.instance is None
            and request is not None
            and AnalysisPolicy.objects.for_org(request.organization).exists()
        ):
            raise serializers.ValidationError(
                "This organisation already has an analysis policy; update it instead."
            )
        return attrs


class AnalysisSerializer(OrgOwnedSerializer):
    incident = serializers.IntegerField(source="incident_id", read_only=True)

    class Meta:
        model = Analysis
        fields = [
            "id",
            "subject_type",
            "alert",
            "incident",
            "version",
            "status",
            "trigger",
            "provider",
            "provider_kind",
            "model_name",
            "reused_from",
            "fallback_of",
            *SECTION_FIELDS,
            "prompt_hash",
            "prompt_tokens",
            "completion_tokens",
            "latency_ms",
            "attempts",
            "failure_reason",
            "raw_text",
            "requested_by",
            "team",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.status == AnalysisStatus.REUSED and instance.reused_from_id:
            source = instance.effective  # the source, or its offline fallback if the source failed
            for name in SECTION_FIELDS:
                data[name] = getattr(source, name)
            data["source_status"] = source.status
        return data


class LLMCallSerializer(OrgOwnedSerializer):
    class Meta:
        model = LLMCall
        fields = [
            "id",
            "provider",
            "analysis",
            "purpose",
            "status",
            "model_name",
            "started_at",
            "http_status",
            "attempts",
            "error",
            "prompt_tokens",
            "completion_tokens",
            "latency_ms",
        ]
        read_only_fields = fields


class AnalyzeRequestSerializer(serializers.Serializer):
    provider = OrgScopedRelatedField(
        queryset=LLMProvider.objects.all(),
        required=False,
        allow_null=True,
        help_text="Use this provider instead of the policy's.",
    )

    def validate_provider(self, value):
        if value is not None and not value.enabled:
            raise serializers.ValidationError("This provider is disabled.")
        return value

"""API shapes: a source's `config` is write-only (`config_set` tells whether one is stored)."""

from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer
from apps.tenancy.models import Team

from ..choices import SourceKind
from ..models import AlertLogContext, LogQuery, LogSource
from ..services import ADHOC_MAX_LIMIT, ADHOC_MAX_MINUTES


class LogSourceSerializer(OrgOwnedSerializer):
    team = OrgScopedRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    config = serializers.JSONField(
        write_only=True, required=False,
        help_text="Write-only connection details and credentials (keys per kind in the README).")

    class Meta:
        model = LogSource
        fields = ["id", "name", "kind", "url", "team", "config", "field_mapping", "enabled", "is_default",
                  "last_tested_at", "last_test_ok", "last_test_message", "created_at", "updated_at"]
        read_only_fields = ["last_tested_at", "last_test_ok", "last_test_message", "created_at", "updated_at"]

    def validate_config(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        return value

    def validate_field_mapping(self, value):
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise serializers.ValidationError("Expected an object of label → field names (strings).")
        return value


class LogQuerySerializer(OrgOwnedSerializer):
    team = OrgScopedRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    source = OrgScopedRelatedField(queryset=LogSource.objects.all())

    class Meta:
        model = LogQuery
        fields = ["id", "name", "source", "team", "query_template", "alert_name", "time_range_minutes",
                  "error_words", "description", "enabled", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_query_template(self, value):
        from django.template import Engine, TemplateSyntaxError

        try:
            Engine(autoescape=False).from_string(value)
        except TemplateSyntaxError as exc:
            raise serializers.ValidationError(f"Template syntax error: {exc}") from exc
        return value


class AlertLogContextSerializer(OrgOwnedSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True, allow_null=True)
    error_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AlertLogContext
        fields = ["id", "alert", "source", "source_name", "query", "query_used", "window_start", "window_end",
                  "status", "reason", "entries", "error_count", "level_counts", "patterns", "key_lines", "summary",
                  "summary_by",
                  "explore_url", "queried_at", "duration_ms"]
        read_only_fields = fields


class AdhocQuerySerializer(serializers.Serializer):
    source = serializers.IntegerField()
    query = serializers.CharField(max_length=2000)
    minutes = serializers.IntegerField(min_value=1, max_value=ADHOC_MAX_MINUTES, default=15)
    limit = serializers.IntegerField(min_value=1, max_value=ADHOC_MAX_LIMIT, default=200)

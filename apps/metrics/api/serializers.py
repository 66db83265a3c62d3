from rest_framework import serializers

from aiops.api.fields import SecretField
from aiops.api.serializers import OrgOwnedSerializer

from ..models import MetricSource


class MetricSourceSerializer(OrgOwnedSerializer):
    secret = SecretField(help_text="Bearer token or basic-auth password; write-only.")
    headers = serializers.JSONField(write_only=True, required=False,
                                    help_text='Extra headers, e.g. {"X-Scope-OrgID": "t1"}; write-only.')

    class Meta:
        model = MetricSource
        fields = ["id", "name", "kind", "url", "enabled", "auth_type", "username", "secret", "headers",
                  "timeout_seconds", "max_concurrency", "last_checked_at", "last_check_ok", "last_check_message",
                  "created_at", "updated_at"]
        read_only_fields = ["last_checked_at", "last_check_ok", "last_check_message", "created_at", "updated_at"]

    def validate_headers(self, value):
        if value in (None, ""):
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise serializers.ValidationError("Must be an object of header name → string value.")
        return value


class TestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()

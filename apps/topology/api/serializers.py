from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer
from apps.tenancy.models import Team

from ..models import Dependency, Service


class ServiceSerializer(OrgOwnedSerializer):
    team = OrgScopedRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "type",
            "environment",
            "namespace",
            "team",
            "tier",
            "description",
            "health_check_url",
            "docs_url",
            "labels",
            "discovered_from",
            "last_seen",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["discovered_from", "last_seen", "created_at", "updated_at"]

    def validate_labels(self, value):
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise serializers.ValidationError("Labels must be an object of string values.")
        return value


class DependencySerializer(OrgOwnedSerializer):
    source = OrgScopedRelatedField(queryset=Service.objects.all())
    target = OrgScopedRelatedField(queryset=Service.objects.all())
    source_name = serializers.CharField(source="source.name", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)

    class Meta:
        model = Dependency
        fields = [
            "id",
            "source",
            "source_name",
            "target",
            "target_name",
            "kind",
            "criticality",
            "description",
            "discovered_from",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["discovered_from", "created_at", "updated_at"]

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

    def validate(self, attrs):
        request = self.context["request"]
        name = attrs.get("name", getattr(self.instance, "name", None))
        env = attrs.get("environment", getattr(self.instance, "environment", ""))
        clash = Service.objects.for_org(request.organization).filter(name=name, environment=env)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"name": "A service with this name already exists in this environment."})
        return attrs


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

    def validate(self, attrs):
        source = attrs.get("source", getattr(self.instance, "source", None))
        target = attrs.get("target", getattr(self.instance, "target", None))
        if source is not None and source == target:
            raise serializers.ValidationError({"target": "A service cannot depend on itself."})
        clash = Dependency.objects.filter(source=source, target=target)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"target": "This dependency already exists."})
        return attrs

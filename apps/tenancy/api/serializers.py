from rest_framework import serializers

from aiops.api.serializers import OrgOwnedSerializer
from aiops.roles import Role

from ..models import ApiToken, Membership, Organization, Team


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "settings", "created_at"]
        read_only_fields = ["slug", "created_at"]


class TeamSerializer(OrgOwnedSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "settings", "created_at"]
        read_only_fields = ["created_at"]


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.SerializerMethodField()
    teams = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "teams", "created_at"]

    def get_role(self, obj) -> str:
        return Role(obj.role).name.lower()


class ApiTokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "username", "created_at", "last_used_at", "expires_at", "revoked_at", "is_active"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

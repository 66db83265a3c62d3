"""API serializers: repositories (secrets write-only, shown as `<name>_set`), sync runs, managed runbooks."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from aiops.access import access_for
from aiops.api.fields import OrgScopedRelatedField, SecretField
from aiops.api.serializers import OrgOwnedSerializer
from aiops.links import absolute_reverse
from aiops.roles import Role
from apps.tenancy.models import Team

from .. import services
from ..models import ManagedRunbook, PushDelivery, Repository, SyncRun

EDITABLE = [
    "name", "team", "url", "web_url", "branch", "tag", "pinned_commit", "path", "include_globs", "exclude_globs",
    "apply_mode", "auth_method", "ssh_private_key", "known_hosts", "token_username", "token", "ca_bundle", "enabled",
    "failure_channel",
    "interval_seconds", "environment", "webhook_provider", "webhook_secret",
]  # fmt: skip
STATE = [
    "ssh_public_key", "host_key_pinned_at", "last_sync_at", "last_sync_status", "last_synced_sha", "last_error",
    "next_sync_at", "sync_requested_at",
]  # fmt: skip


class RepositorySerializer(OrgOwnedSerializer):
    team = OrgScopedRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    ssh_private_key = SecretField(
        help_text="OpenSSH private key (deploy key); empty generates an ed25519 key. Write-only.")
    token = SecretField(help_text="HTTPS access token; write-only.")
    webhook_secret = SecretField(help_text="Push-webhook HMAC secret (GitLab: the secret token); write-only.")

    class Meta:
        model = Repository
        fields = ["id", *EDITABLE, *STATE, "created_at", "updated_at"]
        read_only_fields = [*STATE, "created_at", "updated_at"]

    def validate(self, attrs):
        try:
            return services.clean_fields(attrs, self.instance)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc

    def create(self, validated_data):
        request = self.context["request"]
        validated_data.pop("organization", None)  # the viewset stamps these; the service sets them
        validated_data.pop("created_by", None)
        return services.repository_create(organization=request.organization, user=request.user, **validated_data)

    def update(self, instance, validated_data):
        for name in ("ssh_private_key", "token", "webhook_secret"):
            if validated_data.get(name) in ("", None):
                validated_data.pop(name, None)
        return services.repository_update(repository=instance, **validated_data)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        org = getattr(request, "organization", None)
        # The webhook URL is a credential: only the organisation's admins see it.
        if instance.webhook_token and request is not None and org is not None and access_for(request.user).has_role(
            org.pk, Role.ADMIN
        ):
            data["webhook_url"] = absolute_reverse("gitsync-hook", args=[instance.webhook_token])
        return data


class SyncRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id", "repository", "trigger", "status", "ref", "commit_sha", "commit_author", "commit_message",
            "committed_at", "created_count", "updated_count", "unchanged_count", "deleted_count", "error_count",
            "files", "started_at", "finished_at", "duration_ms", "error", "requested_by",
        ]  # fmt: skip
        read_only_fields = fields


class ManagedRunbookSerializer(serializers.ModelSerializer):
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = ManagedRunbook
        fields = ["id", "repository", "runbook", "path", "commit_sha", "active", "file_url", "updated_at"]
        read_only_fields = fields

    def get_file_url(self, obj) -> str:
        return services.file_url(obj.repository, obj.path, obj.commit_sha)


class PushDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = PushDelivery
        fields = ["id", "repository", "provider", "delivery_id", "ref", "after", "created_at"]
        read_only_fields = fields


class PinSerializer(serializers.Serializer):
    commit = serializers.CharField(allow_blank=True, max_length=40,
                                   help_text="Commit id to sync from now on (rollback); "
                                             "empty follows the branch again.")

"""API shapes. A runbook is read and written as the YAML schema's document (as JSON) plus id, team
and version, so the JSON API and the YAML files never disagree about what a runbook is."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField, SecretField
from aiops.api.serializers import OrgOwnedSerializer
from apps.alerts.models import Alert
from apps.tenancy.models import Team

from ..executors.ssh import parse_host_key
from ..models import (
    ExecutionEvent,
    Runbook,
    RunbookExecution,
    RunbookVersion,
    SshTarget,
    StepResult,
    TriggerWait,
)
from ..schema import TOP_KEYS, InvalidDefinition, fmt_path, validate
from ..services.targets import target_credential_problems

DEFINITION_PARTS = ("execution", "target", "parameters", "triggers", "steps", "notifications")


def problems_as_fields(exc: InvalidDefinition, default: str = "definition") -> dict:
    fields = defaultdict(list)
    for problem in exc.problems:
        key = fmt_path(problem.path) if problem.path else default
        fields[key].append(str(problem) if problem.line else problem.message)
    return dict(fields)


class RunbookSerializer(OrgOwnedSerializer):
    team = OrgScopedRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    extra_input_keys = frozenset(TOP_KEYS) | frozenset(DEFINITION_PARTS) | {"yaml_url"}

    class Meta:
        model = Runbook
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "category",
            "tags",
            "enabled",
            "mode",
            "version",
            "team",
            "source_path",
            "checksum",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "name",
            "slug",
            "description",
            "category",
            "tags",
            "enabled",
            "mode",
            "version",
            "source_path",
            "checksum",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data.update({part: instance.definition.get(part) for part in DEFINITION_PARTS})
        data["yaml_url"] = reverse("runbook-yaml", kwargs={"pk": instance.pk})
        return data

    def validate(self, attrs):
        document = {k: v for k, v in self.initial_data.items() if k in TOP_KEYS}
        if self.instance is not None and self.partial:
            document = {**self.instance.definition, **document}
        try:
            attrs["definition"] = validate(document)
        except InvalidDefinition as exc:
            raise serializers.ValidationError(problems_as_fields(exc)) from exc
        return attrs


class RunbookVersionSerializer(OrgOwnedSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    commit = serializers.SerializerMethodField(
        help_text="The Git commit this version came from (git-synced runbooks), else null.")

    def get_commit(self, obj) -> dict | None:
        found = getattr(obj, "git_commit", None)  # reverse one-to-one of gitsync's VersionCommit
        if found is None:
            return None
        return {"sha": found.commit_sha, "author": found.author, "message": found.message, "path": found.path,
                "committed_at": found.committed_at.isoformat() if found.committed_at else None}

    class Meta:
        model = RunbookVersion
        fields = [
            "id",
            "runbook",
            "number",
            "yaml_text",
            "definition",
            "checksum",
            "source",
            "note",
            "created_by",
            "created_at",
            "commit",
        ]
        read_only_fields = fields


class SshTargetSerializer(OrgOwnedSerializer):
    team = OrgScopedRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    private_key = SecretField()
    private_key_passphrase = SecretField()
    password = SecretField()

    class Meta:
        model = SshTarget
        fields = [
            "id",
            "name",
            "host",
            "port",
            "username",
            "private_key",
            "private_key_passphrase",
            "password",
            "host_key",
            "host_key_policy",
            "enabled",
            "description",
            "team",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_host_key(self, value):
        if not value:
            return ""
        try:
            return parse_host_key(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_port(self, value):
        if not 1 <= value <= 65535:
            raise serializers.ValidationError("must be between 1 and 65535")
        return value

    def validate(self, attrs):
        stored = self.instance
        problems = target_credential_problems(
            private_key=attrs.get("private_key") or getattr(stored, "private_key", ""),
            passphrase=attrs.get("private_key_passphrase") or getattr(stored, "private_key_passphrase", ""),
            password=attrs.get("password") or getattr(stored, "password", ""),
            key_changed=bool(attrs.get("private_key") or attrs.get("private_key_passphrase")),
        )
        if problems:
            raise serializers.ValidationError({field: [problem] for field, problem in problems.items()})
        name = attrs.get("name")
        request = self.context["request"]
        if (
            name
            and SshTarget.objects.filter(organization=request.organization, name=name)
            .exclude(pk=getattr(self.instance, "pk", None))
            .exists()
        ):
            raise serializers.ValidationError({"name": ["an SSH target with this name exists"]})
        return attrs


class StepResultSerializer(OrgOwnedSerializer):
    class Meta:
        model = StepResult
        fields = [
            "id",
            "execution",
            "position",
            "phase",
            "name",
            "step_type",
            "status",
            "attempts",
            "rendered",
            "elevated",
            "exit_code",
            "http_status",
            "stdout",
            "stderr",
            "output_truncated",
            "error",
            "started_at",
            "finished_at",
            "duration_ms",
        ]
        read_only_fields = fields


class ExecutionEventSerializer(OrgOwnedSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ExecutionEvent
        fields = ["id", "execution", "kind", "actor", "at", "note", "data"]
        read_only_fields = fields


class RunbookExecutionSerializer(OrgOwnedSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RunbookExecution
        fields = [
            "id",
            "runbook",
            "runbook_name",
            "runbook_version",
            "alert",
            "trigger",
            "status",
            "status_reason",
            "reason",
            "requested_by",
            "parameters",
            "target",
            "target_display",
            "approval_due_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "cancel_requested_at",
            "started_at",
            "finished_at",
            "team",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("with_steps"):
            data["steps"] = StepResultSerializer(instance.steps.all(), many=True).data
            data["audit"] = ExecutionEventSerializer(instance.events.select_related("actor"), many=True).data
        return data


class TriggerWaitSerializer(OrgOwnedSerializer):
    class Meta:
        model = TriggerWait
        fields = ["id", "runbook", "alert", "due_at", "fired_at", "outcome", "created_at"]
        read_only_fields = fields


class RunRequestSerializer(serializers.Serializer):
    """Body of POST /runbooks/{id}/run."""

    parameters = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    alert = OrgScopedRelatedField(queryset=Alert.objects.all(), required=False, allow_null=True)
    target = OrgScopedRelatedField(queryset=SshTarget.objects.all(), required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    dry_run = serializers.BooleanField(required=False, default=False)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

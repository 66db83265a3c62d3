"""API shapes for integrations, alerts and alert history, plus the bodies of alert actions."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from aiops.access import access_for
from aiops.api.fields import OrgScopedRelatedField, SecretField
from aiops.api.serializers import OrgOwnedSerializer
from aiops.roles import Role
from apps.tenancy.models import Team

from .. import forms, selectors
from ..choices import AuthType
from ..models import Alert, AlertEvent, Integration
from ..summary import alert_url


class IntegrationSerializer(OrgOwnedSerializer):
    team = OrgScopedRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    auth_secret = SecretField(help_text="Bearer token or basic-auth password; write-only.")
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Integration
        fields = [
            "id",
            *forms.INTEGRATION_FIELDS,
            "last_received_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_received_at", "created_at", "updated_at"]

    def validate(self, attrs):
        instance = self.instance

        def current(name, default=""):
            return attrs[name] if name in attrs else getattr(instance, name, default)

        errors = forms.integration_config_errors(
            auth_type=current("auth_type", AuthType.NONE),
            auth_username=current("auth_username"),
            secret_given=bool(attrs.get("auth_secret")),
            secret_stored=bool(instance is not None and instance.auth_secret),
            severity_mapping=attrs.get("severity_mapping"),
            label_fields={k: attrs[k] for k in forms.LABEL_KEY_FIELDS if k in attrs},
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        org = getattr(request, "organization", None)
        # The URL is the credential Alertmanager uses: only admins of the organisation see it.
        if request is not None and org is not None and access_for(request.user).has_role(org.pk, Role.ADMIN):
            data["webhook_url"] = selectors.integration_webhook_url(instance)
        return data


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 3)


class AlertEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)

    class Meta:
        model = AlertEvent
        fields = ["id", "alert", "kind", "source", "actor", "at", "note", "data"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    """One alert as lists show it; `time_to_*_seconds` are this alert's contribution to MTTA/MTTR."""

    integration_name = serializers.CharField(source="integration.name", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", read_only=True, allow_null=True
    )
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, allow_null=True)
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True)
    is_silenced = serializers.SerializerMethodField()
    time_to_acknowledge_seconds = serializers.SerializerMethodField()
    time_to_resolve_seconds = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "name",
            "title",
            "status",
            "severity",
            "service",
            "instance",
            "environment",
            "summary",
            "fingerprint",
            "integration",
            "integration_name",
            "team",
            "team_name",
            "labels",
            "annotations",
            "generator_url",
            "starts_at",
            "ends_at",
            "last_received_at",
            "receive_count",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "silenced_until",
            "is_silenced",
            "assigned_to",
            "time_to_acknowledge_seconds",
            "time_to_resolve_seconds",
            "url",
        ]
        read_only_fields = fields

    def get_is_silenced(self, obj) -> bool:
        if hasattr(obj, "is_silenced"):
            return bool(obj.is_silenced)
        return obj.silenced_until is not None and obj.silenced_until > timezone.now()

    def get_time_to_acknowledge_seconds(self, obj) -> float | None:
        if hasattr(obj, "time_to_acknowledge"):
            return _seconds(obj.time_to_acknowledge)
        return _seconds(obj.acknowledged_at - obj.starts_at) if obj.acknowledged_at else None

    def get_time_to_resolve_seconds(self, obj) -> float | None:
        if obj.status != "resolved":
            return None
        if hasattr(obj, "time_to_resolve"):
            return _seconds(obj.time_to_resolve)
        return _seconds(obj.ends_at - obj.starts_at) if obj.ends_at else None

    def get_url(self, obj) -> str:
        return alert_url(obj)


class AlertDetailSerializer(AlertSerializer):
    history = AlertEventSerializer(source="events", many=True, read_only=True)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "description", "group_key", "history"]
        read_only_fields = fields


# --- action bodies ------------------------------------------------------------------------------------


class AlertNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AlertSilenceSerializer(AlertNoteSerializer):
    """`until` (ISO time, or null to lift the silence) or `duration` ("30m", "2h", "1d", "1h30m")."""

    until = serializers.DateTimeField(required=False, allow_null=True)
    duration = serializers.CharField(required=False, max_length=20)

    def validate(self, attrs):
        given = [k for k in ("until", "duration") if k in attrs]
        if len(given) != 1:
            raise serializers.ValidationError({"until": ["Give exactly one of `until` or `duration`."]})
        try:
            attrs["silenced_until"] = forms.silence_until(
                until=attrs.get("until"), duration=attrs.get("duration")
            )
        except ValueError as exc:
            raise serializers.ValidationError({given[0]: [str(exc)]}) from exc
        return attrs


class AlertAssignSerializer(AlertNoteSerializer):
    """`username` or `user_id` of a member of the organisation; null unassigns."""

    username = serializers.CharField(required=False, allow_null=True, max_length=150)
    user_id = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, attrs):
        given = [k for k in ("username", "user_id") if k in attrs]
        if len(given) != 1:
            raise serializers.ValidationError({"username": ["Give exactly one of `username` or `user_id`."]})
        key = given[0]
        if attrs[key] is None:
            attrs["assignee"] = None
            return attrs
        members = selectors.organization_members(organization=self.context["organization"])
        lookup = {"username": attrs[key]} if key == "username" else {"pk": attrs[key]}
        assignee = members.filter(**lookup).first()
        if assignee is None:
            raise serializers.ValidationError({key: ["No member of this organisation matches."]})
        attrs["assignee"] = assignee
        return attrs


class AlertStatsQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=selectors.GROUPS, required=False, allow_null=True)
    after = serializers.DateTimeField(required=False, help_text="Start of the range (default: 7 days ago).")
    before = serializers.DateTimeField(required=False, help_text="End of the range (default: now).")

    def validate(self, attrs):
        after, before = selectors.stats_window(after=attrs.get("after"), before=attrs.get("before"))
        if after >= before:
            raise serializers.ValidationError({"after": ["`after` must be before `before`."]})
        if before - after > timedelta(days=selectors.stats_max_days()):
            raise serializers.ValidationError(
                {"after": [f"The range may span at most {selectors.stats_max_days()} days."]}
            )
        attrs["after"], attrs["before"] = after, before
        return attrs

"""API shapes: secrets are write-only (`config_set` tells whether one is stored)."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer
from apps.oncall.choices import EscalationTarget
from apps.oncall.models import Schedule
from apps.tenancy.models import Team

from ..choices import ChannelKind
from ..forms import RULE_FIELDS
from ..models import (
    Escalation,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    Snooze,
)
from ..providers import get_provider


def _team_field():
    return OrgScopedRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)


class NotificationChannelSerializer(OrgOwnedSerializer):
    team = _team_field()
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    config = serializers.JSONField(
        write_only=True,
        required=False,
        help_text=("Write-only. On update, keys merge into the stored configuration (null removes a key)."),
    )
    summary = serializers.SerializerMethodField()

    class Meta:
        model = NotificationChannel
        fields = [
            "id",
            "name",
            "kind",
            "team",
            "enabled",
            "config",
            "summary",
            "paused_until",
            "last_test_at",
            "last_test_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["paused_until", "last_test_at", "last_test_status"]

    def get_summary(self, obj) -> str:
        return get_provider(obj.kind).summary(obj.config or {}) if obj.config else ""

    def validate(self, attrs):
        if self.instance is None and not attrs.get("config"):
            raise serializers.ValidationError({"config": ["This field is required."]})
        return attrs


class NotificationRuleSerializer(OrgOwnedSerializer):
    team = _team_field()
    channels = OrgScopedRelatedField(many=True, queryset=NotificationChannel.objects.all(), required=False)
    teams = OrgScopedRelatedField(many=True, queryset=Team.objects.all(), required=False)
    escalation_policy = OrgScopedRelatedField(
        queryset=EscalationPolicy.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = NotificationRule
        fields = ["id", *RULE_FIELDS, "created_at", "updated_at"]


class EscalationLevelSerializer(serializers.Serializer):
    position = serializers.IntegerField(read_only=True)
    delay_minutes = serializers.IntegerField(min_value=0, max_value=7 * 24 * 60)
    channels = OrgScopedRelatedField(many=True, queryset=NotificationChannel.objects.all())
    repeat_count = serializers.IntegerField(min_value=0, max_value=100, default=0)
    repeat_interval_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, default=5)
    oncall_schedule = OrgScopedRelatedField(queryset=Schedule.objects.all(), required=False, allow_null=True,
                                            help_text="Page whoever is on call on this schedule.")
    oncall_target = serializers.ChoiceField(choices=EscalationTarget.choices, default=EscalationTarget.PRIMARY)
    # Membership is checked by services.levels_clean (a non-member is a 400, never paged).
    oncall_user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True,
        help_text="Page this person (a member) through their own notification methods.")


class EscalationPolicySerializer(OrgOwnedSerializer):
    team = _team_field()
    levels = EscalationLevelSerializer(
        many=True, help_text="Ordered; delays count from the escalation's start."
    )

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "description", "is_default", "team", "levels", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["levels"] = [
            {
                "position": lvl.position,
                "delay_minutes": lvl.delay_minutes,
                "channels": [c.pk for c in lvl.channels.all()],
                "repeat_count": lvl.repeat_count,
                "repeat_interval_minutes": lvl.repeat_interval_minutes,
                "oncall_schedule": lvl.oncall_schedule_id,
                "oncall_target": lvl.oncall_target or EscalationTarget.PRIMARY,
                "oncall_user": lvl.oncall_user_id,
            }
            for lvl in instance.levels.order_by("position").prefetch_related("channels")
        ]
        return data


class NotificationDeliverySerializer(OrgOwnedSerializer):
    channel_name = serializers.CharField(source="channel.name", default="", read_only=True)
    channel_kind = serializers.CharField(source="channel.kind", default="", read_only=True)
    subject_key = serializers.CharField(source="subject.key", default="", read_only=True)
    trigger_event = serializers.CharField(source="event_name", read_only=True)
    execution_id = serializers.SerializerMethodField(help_text="The runbook execution, for runbook events.")

    class Meta:
        model = NotificationDelivery
        fields = [
            "id",
            "rule",
            "channel",
            "channel_name",
            "channel_kind",
            "escalation",
            "level",
            "trigger_event",
            "event_id",
            "trigger",
            "kind",
            "title",
            "subject_key",
            "alert",
            "incident_id",
            "execution_id",
            "status",
            "reason",
            "response",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "latency_ms",
            "duration_ms",
            "team",
            "created_at",
        ]
        read_only_fields = fields


    def get_execution_id(self, obj) -> int | None:
        key = obj.subject.key if obj.subject_id else ""
        return int(key.split(":", 1)[1]) if key.startswith("execution:") and key.split(":", 1)[1].isdigit() else None


class EscalationSerializer(OrgOwnedSerializer):
    subject_key = serializers.CharField(source="subject.key", read_only=True)
    title = serializers.CharField(source="subject.title", read_only=True)
    schedule = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = [
            "id",
            "subject_key",
            "title",
            "rule",
            "policy",
            "policy_name",
            "status",
            "step",
            "current_level",
            "started_at",
            "stopped_at",
            "stopped_reason",
            "schedule",
            "team",
        ]
        read_only_fields = fields

    def get_schedule(self, obj) -> list:
        return [
            {
                **step,
                "due_at": (obj.started_at + timezone.timedelta(seconds=step["offset"])).isoformat(),
                "fired": index < obj.step,
            }
            for index, step in enumerate(obj.snapshot.get("schedule", []))
        ]


class SnoozeSerializer(OrgOwnedSerializer):
    team = _team_field()
    rule = OrgScopedRelatedField(queryset=NotificationRule.objects.all(), allow_null=True, required=False)
    starts_at = serializers.DateTimeField(required=False)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Snooze
        fields = [
            "id",
            "alert_name_pattern",
            "label_matchers",
            "services",
            "rule",
            "team",
            "starts_at",
            "until",
            "reason",
            "active",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_by"]

    def get_active(self, obj) -> bool:
        now = timezone.now()
        return obj.starts_at <= now < obj.until

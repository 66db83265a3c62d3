"""Thin serializers: validation of rotation rules lives in services."""
from django.contrib.auth import get_user_model
from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer

from ..models import CalendarFeed, Layer, Override, Schedule


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user id among the active organisation's members (another organisation's user reads as unknown)."""

    def get_queryset(self):
        from aiops.access import active_organization

        org = active_organization(self.context["request"])
        return get_user_model().objects.filter(memberships__organization=org)


class ScheduleSerializer(OrgOwnedSerializer):
    lead = MemberField(required=False, allow_null=True)

    class Meta:
        model = Schedule
        fields = ["id", "name", "description", "team", "time_zone", "lead", "announce_shift_changes",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"team": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        from apps.tenancy.models import Team

        fields["team"] = _TeamField(queryset=Team.objects.all(), required=False, allow_null=True)
        return fields


class _TeamField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        from aiops.access import active_organization

        return super().get_queryset().filter(organization=active_organization(self.context["request"]))


class LayerSerializer(OrgOwnedSerializer):
    schedule = OrgScopedRelatedField(queryset=Schedule.objects.all())

    class Meta:
        model = Layer
        fields = ["id", "schedule", "name", "kind", "position", "participants", "shift_unit", "shift_length",
                  "start_date", "handoff_time", "handoff_weekday", "end_date", "restriction_weekdays",
                  "restriction_start", "restriction_end", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class OverrideSerializer(OrgOwnedSerializer):
    schedule = OrgScopedRelatedField(queryset=Schedule.objects.all())
    user = MemberField()
    created_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Override
        fields = ["id", "schedule", "layer", "user", "start", "end", "reason", "created_by", "created_at"]
        read_only_fields = ["layer", "created_by", "created_at"]


class CalendarFeedSerializer(OrgOwnedSerializer):
    schedule = OrgScopedRelatedField(queryset=Schedule.objects.all(), required=False, allow_null=True)
    user = MemberField(required=False, allow_null=True)

    class Meta:
        model = CalendarFeed
        fields = ["id", "name", "schedule", "user", "prefix", "revoked_at", "last_used_at", "created_at"]
        read_only_fields = ["prefix", "revoked_at", "last_used_at", "created_at"]


class ShiftSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    user = serializers.IntegerField(source="user_id", allow_null=True)
    source = serializers.CharField()

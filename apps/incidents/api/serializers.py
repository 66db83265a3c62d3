from django.contrib.auth import get_user_model
from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer
from apps.alerts.choices import Severity
from apps.alerts.models import Alert
from apps.tenancy.models import Team

from ..choices import AssignRole, IncidentStatus
from ..models import CorrelationConfig, Incident, IncidentAlert, IncidentComment


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user id; membership of the organisation is checked by the service."""

    def get_queryset(self):
        return get_user_model().objects.all()

    def to_representation(self, value):
        return value.pk


class IncidentSerializer(OrgOwnedSerializer):
    assignee_username = serializers.CharField(source="assignee.username", read_only=True, default=None)
    commander_username = serializers.CharField(source="commander.username", read_only=True, default=None)
    services = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "number",
            "title",
            "summary",
            "status",
            "severity",
            "team",
            "alert_count",
            "firing_count",
            "root_cause_service",
            "root_cause_service_name",
            "root_cause_alert",
            "root_cause_evidence",
            "affected_services",
            "affected_environments",
            "services",
            "started_at",
            "last_alert_at",
            "acknowledged_at",
            "identified_at",
            "mitigated_at",
            "resolved_at",
            "assignee",
            "assignee_username",
            "commander",
            "commander_username",
            "impact",
            "customer_impact",
            "root_cause_analysis",
            "lessons_learned",
            "action_items",
            "postmortem_url",
            "correlation_strategy",
            "correlation_reason",
            "strategy_counts",
            "merged_into",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_services(self, obj) -> list[dict]:
        return [
            {
                "service": name,
                "alerts": s.get("alerts", 0),
                "firing": s.get("firing", 0),
                "first_seen": s.get("first_seen"),
                "severity": s.get("severity"),
                "alert_names": s.get("names", []),
            }
            for name, s in obj.services_by_alerts()
        ]


class IncidentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.WARNING)
    team = OrgScopedRelatedField(queryset=Team.objects.all(), required=False, allow_null=True, default=None)
    alerts = OrgScopedRelatedField(queryset=Alert.objects.all(), many=True, required=False, default=list)
    move = serializers.BooleanField(default=False, help_text="Take the alerts out of other incidents.")


class ActionItemSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    owner = serializers.CharField(max_length=200, required=False, allow_blank=True)
    due = serializers.CharField(max_length=40, required=False, allow_blank=True)
    done = serializers.BooleanField(required=False, default=False)


class IncidentUpdateSerializer(serializers.Serializer):
    """PATCH: editable text fields, plus `status` and `assignee` which go through their services."""

    title = serializers.CharField(max_length=300, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    impact = serializers.CharField(required=False, allow_blank=True)
    customer_impact = serializers.BooleanField(required=False)
    root_cause_analysis = serializers.CharField(required=False, allow_blank=True)
    lessons_learned = serializers.CharField(required=False, allow_blank=True)
    action_items = ActionItemSerializer(many=True, required=False)
    postmortem_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    assignee = MemberField(required=False, allow_null=True)


class AlertRefSerializer(serializers.Serializer):
    alert = OrgScopedRelatedField(queryset=Alert.objects.all())
    move = serializers.BooleanField(default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MergeSerializer(serializers.Serializer):
    source = OrgScopedRelatedField(queryset=Incident.objects.all(), help_text="The incident merged into this one.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class CommentBodySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


class AssignSerializer(serializers.Serializer):
    assignee = MemberField(allow_null=True)
    role = serializers.ChoiceField(choices=AssignRole.choices, default=AssignRole.ASSIGNEE)


class IncidentAlertSerializer(OrgOwnedSerializer):
    alert_name = serializers.CharField(source="alert.name", read_only=True)
    alert_title = serializers.CharField(source="alert.title", read_only=True)
    alert_service = serializers.CharField(source="alert.service", read_only=True)
    alert_instance = serializers.CharField(source="alert.instance", read_only=True)
    alert_severity = serializers.CharField(source="alert.severity", read_only=True)
    alert_status = serializers.CharField(source="alert.status", read_only=True)
    alert_starts_at = serializers.DateTimeField(source="alert.starts_at", read_only=True)

    class Meta:
        model = IncidentAlert
        fields = [
            "id",
            "incident",
            "alert",
            "alert_name",
            "alert_title",
            "alert_service",
            "alert_instance",
            "alert_severity",
            "alert_status",
            "alert_starts_at",
            "added_at",
            "added_by",
            "is_auto",
            "strategy",
            "reason",
            "is_root_cause",
        ]
        read_only_fields = fields


class IncidentCommentSerializer(OrgOwnedSerializer):
    author_username = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = IncidentComment
        fields = ["id", "incident", "author", "author_username", "body", "created_at"]
        read_only_fields = fields


class CorrelationConfigSerializer(OrgOwnedSerializer):
    class Meta:
        model = CorrelationConfig
        fields = [
            "enabled",
            "window_minutes",
            "temporal_enabled",
            "topology_enabled",
            "labels_enabled",
            "group_key_enabled",
            "topology_max_hops",
            "label_keys",
            "auto_merge",
            "auto_resolve",
            "reopen_window_minutes",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate_window_minutes(self, value):
        if not 1 <= value <= 24 * 60:
            raise serializers.ValidationError("Between 1 and 1440 minutes.")
        return value

    def validate_topology_max_hops(self, value):
        if not 1 <= value <= 10:
            raise serializers.ValidationError("Between 1 and 10.")
        return value

    def validate_reopen_window_minutes(self, value):
        if value > 7 * 24 * 60:
            raise serializers.ValidationError("At most 10080 minutes (a week).")
        return value

    def validate_label_keys(self, value):
        if not isinstance(value, list) or not all(isinstance(k, str) and k.strip() for k in value):
            raise serializers.ValidationError("A list of label names.")
        if len(value) > 30:
            raise serializers.ValidationError("At most 30 label keys.")
        return [k.strip() for k in value]

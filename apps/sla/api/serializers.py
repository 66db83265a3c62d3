"""API shapes: the plan's field names for definitions, breaches and reports; clocks as shown live."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from aiops.api.serializers import OrgOwnedSerializer
from apps.tenancy.models import Team

from .. import services
from ..choices import BreachReason
from ..exports import report_url
from ..models import DEFINITION_FIELDS, ComplianceReport, SLABreach, SLAClock, SLADefinition, SLAReport
from ..selectors import clock_view


class SLADefinitionSerializer(OrgOwnedSerializer):
    class Meta:
        model = SLADefinition
        fields = ["id", *DEFINITION_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        org = getattr(self.context.get("request"), "organization", None)
        teams = Team.objects.filter(organization=org) if org else Team.objects.none()
        fields["team"].queryset = teams  # a foreign organisation's team is "does not exist"
        fields["applies_to_teams"].child_relation.queryset = teams
        return fields

    def validate(self, attrs):
        merged = {f: getattr(self.instance, f) for f in self.Meta.fields if self.instance is not None
                  and hasattr(self.instance, f) and f != "applies_to_teams"}
        merged.update(attrs)
        try:
            services.sla_definition_validate(merged)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class SLAClockSerializer(serializers.ModelSerializer):
    sla_name = serializers.CharField(source="sla.name", read_only=True)
    live = serializers.SerializerMethodField()

    class Meta:
        model = SLAClock
        fields = ["id", "sla", "sla_name", "subject_kind", "subject_id", "target", "target_seconds",
                  "warning_threshold_percent", "title", "severity", "service", "url", "started_at", "state",
                  "elapsed_seconds", "paused_seconds", "deadline_at", "warned_at", "breached_at", "stopped_at",
                  "choice", "live"]
        read_only_fields = fields

    def get_live(self, clock) -> dict:
        view = clock_view(clock)
        return {"state": view.state, "status": view.status, "remaining_seconds": view.remaining_seconds,
                "elapsed_seconds": view.elapsed_seconds, "text": view.text}


class SLABreachSerializer(serializers.ModelSerializer):
    sla_name = serializers.CharField(source="sla.name", read_only=True)

    class Meta:
        model = SLABreach
        fields = ["id", "sla", "sla_name", "clock", "alert_id", "incident_id", "breach_type", "target_value",
                  "actual_value", "breached_at", "notified", "suggested_reason", "suggestion_evidence", "reason",
                  "reason_text"]
        read_only_fields = fields


class BreachReasonSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=BreachReason.choices)
    reason_text = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class SLAReportSerializer(serializers.ModelSerializer):
    sla_name = serializers.CharField(source="sla.name", read_only=True)

    class Meta:
        model = SLAReport
        exclude = ["organization", "report", "created_at", "updated_at"]


class ComplianceReportSerializer(serializers.ModelSerializer):
    slas = SLAReportSerializer(many=True, read_only=True)
    url_portal = serializers.SerializerMethodField()

    class Meta:
        model = ComplianceReport
        fields = ["id", "period_start", "period_end", "overall_compliance", "total_items", "breached_items",
                  "breach_count", "breaches_by_type", "top_reasons", "generated_at", "emailed_at", "slas",
                  "url_portal"]
        read_only_fields = fields

    def get_url_portal(self, report) -> str:
        return report_url(report)


class ReportGenerateSerializer(serializers.Serializer):
    period_start = serializers.DateTimeField(required=False)
    period_end = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if bool(attrs.get("period_start")) != bool(attrs.get("period_end")):
            raise serializers.ValidationError({"period_end": ["Give both ends of the period, or neither."]})
        if attrs.get("period_start") and attrs["period_end"] <= attrs["period_start"]:
            raise serializers.ValidationError({"period_end": ["The period must end after it starts."]})
        return attrs


class PauseSerializer(serializers.Serializer):
    subject_kind = serializers.ChoiceField(choices=["alert", "incident"])
    subject_id = serializers.IntegerField(min_value=1)
    reason = serializers.ChoiceField(choices=["maintenance", "third_party"])
    until = serializers.DateTimeField(required=False, allow_null=True)

"""API shapes: ratings (read), rating requests (write), library entries, similar cases, stats queries."""

from __future__ import annotations

from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.api.serializers import OrgOwnedSerializer
from apps.alerts.models import Alert
from apps.analysis.models import Analysis
from apps.incidents.models import Incident
from apps.runbooks.models import Runbook, RunbookExecution

from ..choices import FeedbackType, Section
from ..library import EDITABLE
from ..models import AnalysisFeedback, RemediationFeedback, RepeatCheck, SuccessfulRemediation

# Who judged which alert/incident/analysis, and the snapshot of what was judged (models.Judgement).
JUDGED = [
    "alert",
    "incident",
    "analysis",
    "user",
    "username",
    "alert_pattern",
    "service",
    "suggestion",
    "suggested_runbook",
    "provider_kind",
    "model_name",
]


class _JudgementSerializer(OrgOwnedSerializer):
    username = serializers.CharField(source="user.get_username", read_only=True, default=None)


class RemediationFeedbackSerializer(_JudgementSerializer):
    class Meta:
        model = RemediationFeedback
        fields = [
            "id",
            *JUDGED,
            "execution",
            "feedback_type",
            "rating",
            "comment",
            "correct_action",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AnalysisFeedbackSerializer(_JudgementSerializer):
    class Meta:
        model = AnalysisFeedback
        fields = ["id", *JUDGED, "analysis_section", "is_accurate", "user_correction", "created_at", "updated_at"]
        read_only_fields = fields


class SectionInputSerializer(serializers.Serializer):
    section = serializers.ChoiceField(choices=Section.choices)
    is_accurate = serializers.BooleanField()
    correction = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class VerdictInputSerializer(serializers.Serializer):
    """Fields left out keep their stored value (a 👍 does not erase earlier stars)."""

    feedback_type = serializers.ChoiceField(choices=FeedbackType.choices, required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    correct_action = serializers.CharField(required=False, allow_blank=True, max_length=10000)

    def changes(self) -> dict:
        return {
            k: v
            for k, v in self.validated_data.items()
            if k in ("feedback_type", "rating", "comment", "correct_action")
        }


class AnalysisVerdictInputSerializer(VerdictInputSerializer):
    analysis = OrgScopedRelatedField(queryset=Analysis.objects.all(), required=False)
    sections = SectionInputSerializer(many=True, required=False)


class FeedbackCreateSerializer(AnalysisVerdictInputSerializer):
    """`POST /remediation-feedback`: rate an analysis, or (with `execution`) a runbook run."""

    execution = OrgScopedRelatedField(queryset=RunbookExecution.objects.all(), required=False)

    def validate(self, attrs):
        if bool(attrs.get("analysis")) == bool(attrs.get("execution")):
            raise serializers.ValidationError({"analysis": ["Give either an analysis or an execution."]})
        if attrs.get("execution") and attrs.get("sections"):
            raise serializers.ValidationError({"sections": ["Sections belong to an analysis, not an execution."]})
        return attrs


class SectionFeedbackCreateSerializer(serializers.Serializer):
    analysis = OrgScopedRelatedField(queryset=Analysis.objects.all())
    analysis_section = serializers.ChoiceField(choices=Section.choices)
    is_accurate = serializers.BooleanField()
    user_correction = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class SectionFeedbackUpdateSerializer(serializers.Serializer):
    is_accurate = serializers.BooleanField(required=False)
    user_correction = serializers.CharField(required=False, allow_blank=True, max_length=10000)


LIBRARY_READ_ONLY = [
    "verified_by",
    "verified_at",
    "use_count",
    "success_count",
    "last_used_at",
    "source",
    "source_alert",
    "source_incident",
    "source_execution",
    "team",
]


class SuccessfulRemediationSerializer(OrgOwnedSerializer):
    runbook = OrgScopedRelatedField(queryset=Runbook.objects.all(), required=False, allow_null=True)
    runbook_name = serializers.CharField(source="runbook.name", read_only=True, default=None)
    verified_by_name = serializers.CharField(source="verified_by.get_username", read_only=True, default=None)

    class Meta:
        model = SuccessfulRemediation
        fields = [
            "id",
            *EDITABLE,
            "runbook_name",
            "verified_by_name",
            *LIBRARY_READ_ONLY,
            "created_at",
            "updated_at",
        ]
        read_only_fields = LIBRARY_READ_ONLY

    def validate_alert_labels(self, value):
        if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
            raise serializers.ValidationError("Give the labels as an object of name → value.")
        return {str(k): str(v) for k, v in value.items()}


class MarkSuccessfulSerializer(serializers.Serializer):
    """`POST /remediations/successful`: from an alert, incident or execution (or typed in)."""

    alert = OrgScopedRelatedField(queryset=Alert.objects.all(), required=False)
    incident = OrgScopedRelatedField(queryset=Incident.objects.all(), required=False)
    execution = OrgScopedRelatedField(queryset=RunbookExecution.objects.all(), required=False)
    alert_pattern = serializers.CharField(required=False, max_length=255)
    alert_labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    service = serializers.CharField(required=False, allow_blank=True, max_length=255)
    problem_summary = serializers.CharField(required=False, max_length=10000)
    solution_summary = serializers.CharField(required=False, max_length=10000)
    runbook = OrgScopedRelatedField(queryset=Runbook.objects.all(), required=False, allow_null=True)
    manual_steps = serializers.CharField(required=False, allow_blank=True, max_length=20000)

    def validate(self, attrs):
        if sum(1 for k in ("alert", "incident", "execution") if attrs.get(k)) > 1:
            raise serializers.ValidationError({"alert": ["Give one of alert, incident or execution."]})
        return attrs


class SimilarQuerySerializer(serializers.Serializer):
    alert_id = serializers.IntegerField(min_value=1)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)
    min_score = serializers.FloatField(min_value=0, max_value=1, required=False)
    kind = serializers.MultipleChoiceField(choices=["alert", "incident", "remediation"], required=False)


class StatsQuerySerializer(serializers.Serializer):
    after = serializers.DateTimeField(required=False)
    before = serializers.DateTimeField(required=False)
    provider_kind = serializers.CharField(required=False, max_length=20)
    alert_pattern = serializers.CharField(required=False, max_length=255)
    bucket_days = serializers.IntegerField(required=False, min_value=1, max_value=90)

    def validate(self, attrs):
        if attrs.get("after") and attrs.get("before") and attrs["after"] >= attrs["before"]:
            raise serializers.ValidationError({"after": ["`after` must be before `before`."]})
        return attrs


class RepeatCheckSerializer(OrgOwnedSerializer):
    class Meta:
        model = RepeatCheck
        fields = [
            "id",
            "analysis",
            "alert_pattern",
            "provider_kind",
            "model_name",
            "known_bad",
            "repeated",
            "repeated_suggestion",
            "created_at",
        ]
        read_only_fields = fields


def case_data(case) -> dict:
    """One similar case as the API returns it."""
    obj = case.obj
    data = {
        "type": case.kind,
        "id": obj.pk,
        "score": case.score,
        "percent": case.percent,
        "factors": case.factors,
        "service_relation": case.relation,
        "title": case.title,
        "url": case.url,
    }
    if case.kind == "alert":
        data.update(
            name=obj.name,
            service=obj.service,
            status=obj.status,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            labels=obj.labels,
            summary=obj.summary,
        )
    elif case.kind == "incident":
        data.update(
            number=obj.number,
            status=obj.status,
            started_at=obj.started_at,
            resolved_at=obj.resolved_at,
            root_cause_analysis=obj.root_cause_analysis,
            alerts=[c.obj.pk for c in case.members],
        )
    else:
        data.update(
            alert_pattern=obj.alert_pattern,
            alert_labels=obj.alert_labels,
            problem_summary=obj.problem_summary,
            solution_summary=obj.solution_summary,
            manual_steps=obj.manual_steps,
            runbook=obj.runbook_id,
            success_count=obj.success_count,
            use_count=obj.use_count,
        )
    return data

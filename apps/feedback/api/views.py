"""API (thin: parse, authorise, call a service). The plan's five endpoints, mapped under /api/v1/:

    POST alerts/{id}/feedback            rate the alert's analysis (GET lists its ratings)
    POST executions/{id}/feedback        rate a runbook execution (also runbook-executions/{id}/feedback)
    GET  feedback/stats                  feedback analytics
    POST remediations/successful         mark as successful fix
    GET  remediations/similar?alert_id=X similar past alerts, incidents and library entries

plus the CRUD routes remediation-feedback, analysis-feedback, remediations and repeat-checks.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from aiops.access import access_for
from aiops.api.permissions import READ
from aiops.api.viewsets import OrgScopedMixin, OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role
from apps.alerts.models import Alert
from apps.analysis.choices import SubjectType
from apps.runbooks.models import RunbookExecution

from .. import library, selectors, services
from ..filtersets import (
    AnalysisFeedbackFilterSet,
    RemediationFeedbackFilterSet,
    RepeatCheckFilterSet,
    SuccessfulRemediationFilterSet,
)
from ..models import AnalysisFeedback, RemediationFeedback, RepeatCheck, SuccessfulRemediation
from ..similarity import similar_cases
from ..stats import feedback_stats
from . import serializers as s

OP = Role.OPERATOR
OWN_WRITES = {**READ, "create": OP, "update": OP, "partial_update": OP, "destroy": OP}


@contextmanager
def as_api_errors():
    """Service ValidationErrors become the API's 400 error body with field names."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "message_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from exc


class _OwnRowsMixin:
    """People edit and delete their own ratings; admins may delete anyone's (moderation)."""

    def _own(self, row, *, deleting=False):
        if row.user_id == self.request.user.pk:
            return
        if deleting and access_for(self.request.user).has_role(self.organization.pk, Role.ADMIN):
            return
        raise PermissionDenied("You can only change your own feedback.")

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance):
        self._own(instance, deleting=True)
        instance.delete()


class RemediationFeedbackViewSet(_OwnRowsMixin, OrgScopedModelViewSet):
    """Thumbs up/down, stars, comment and "what actually fixed it", on analyses and runbook runs."""

    queryset = RemediationFeedback.objects.select_related("user")
    serializer_class = s.RemediationFeedbackSerializer
    filterset_class = RemediationFeedbackFilterSet
    action_roles = OWN_WRITES

    def _record(self, *, analysis=None, execution=None, body):
        with as_api_errors():
            if analysis is not None:
                return services.feedback_record(
                    analysis=analysis,
                    user=self.request.user,
                    sections=body.validated_data.get("sections"),
                    **body.changes(),
                )
            return services.execution_feedback_record(execution=execution, user=self.request.user, **body.changes())

    @extend_schema(request=s.FeedbackCreateSerializer, responses={201: s.RemediationFeedbackSerializer})
    def create(self, request, *args, **kwargs):
        body = s.FeedbackCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        row, created = self._record(
            analysis=body.validated_data.get("analysis"),
            execution=body.validated_data.get("execution"),
            body=body,
        )
        return Response(
            self.get_serializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=s.AnalysisVerdictInputSerializer, responses=s.RemediationFeedbackSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        row = self.get_object()
        self._own(row)
        body = s.AnalysisVerdictInputSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        if not partial and "feedback_type" not in body.validated_data:
            raise serializers.ValidationError({"feedback_type": ["This field is required."]})
        if row.analysis_id is None and row.execution_id is None:
            raise serializers.ValidationError({"analysis": ["What this feedback rated no longer exists."]})
        target = row.analysis if row.analysis_id else None
        row, _created = self._record(analysis=target, execution=row.execution if target is None else None, body=body)
        return Response(self.get_serializer(row).data)


class AnalysisFeedbackViewSet(_OwnRowsMixin, OrgScopedModelViewSet):
    """Per-section verdicts (root cause, impact, remediation, prevention) with corrections."""

    queryset = AnalysisFeedback.objects.select_related("user")
    serializer_class = s.AnalysisFeedbackSerializer
    filterset_class = AnalysisFeedbackFilterSet
    action_roles = OWN_WRITES

    @extend_schema(request=s.SectionFeedbackCreateSerializer, responses={201: s.AnalysisFeedbackSerializer})
    def create(self, request, *args, **kwargs):
        body = s.SectionFeedbackCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with as_api_errors():
            row, created = services.section_record(
                analysis=data["analysis"],
                user=request.user,
                section=data["analysis_section"],
                is_accurate=data["is_accurate"],
                correction=data["user_correction"],
            )
        return Response(
            self.get_serializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=s.SectionFeedbackUpdateSerializer, responses=s.AnalysisFeedbackSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        row = self.get_object()
        self._own(row)
        body = s.SectionFeedbackUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if row.analysis_id is None:
            raise serializers.ValidationError({"analysis": ["The analysis of this feedback no longer exists."]})
        data = body.validated_data
        with as_api_errors():
            row, _created = services.section_record(
                analysis=row.analysis,
                user=request.user,
                section=row.analysis_section,
                is_accurate=data.get("is_accurate", row.is_accurate),
                correction=data.get("user_correction", row.user_correction),
            )
        return Response(self.get_serializer(row).data)


class SuccessfulRemediationViewSet(OrgScopedModelViewSet):
    """The fix library. `POST remediations/successful` marks a fix; `GET remediations/similar` finds cases."""

    queryset = SuccessfulRemediation.objects.select_related("runbook", "verified_by")
    serializer_class = s.SuccessfulRemediationSerializer
    filterset_class = SuccessfulRemediationFilterSet
    action_roles = {**OWN_WRITES, "destroy": Role.ADMIN, "successful": OP, "similar": Role.VIEWER}

    def _mark(self, request):
        body = s.MarkSuccessfulSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with as_api_errors():
            entry, created = library.remediation_mark_successful(
                organization=self.organization, user=request.user, **body.validated_data
            )
        return Response(
            self.get_serializer(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=s.MarkSuccessfulSerializer, responses={201: s.SuccessfulRemediationSerializer})
    def create(self, request, *args, **kwargs):
        return self._mark(request)

    @extend_schema(request=s.MarkSuccessfulSerializer, responses={201: s.SuccessfulRemediationSerializer})
    @action(detail=False, methods=["post"])
    def successful(self, request):
        """Mark as successful fix (201: a new entry; 200: the same fix was there and counts once more)."""
        return self._mark(request)

    def perform_update(self, serializer):
        with as_api_errors():
            library.remediation_update(entry=serializer.instance, user=self.request.user, **serializer.validated_data)

    @extend_schema(parameters=[s.SimilarQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def similar(self, request):
        """Past alerts, incidents and library entries similar to `alert_id`, best first, with their score."""
        query = s.SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        alerts = Alert.objects.visible_to(request.user, self.organization)
        alert = get_object_or_404(alerts, pk=data["alert_id"])
        cases = similar_cases(
            alert=alert,
            user=request.user,
            organization=self.organization,
            limit=data["limit"],
            min_score=data.get("min_score"),
            kinds=tuple(data.get("kind") or ("alert", "incident", "remediation")),
        )
        return Response(
            {
                "alert": {"id": alert.pk, "name": alert.name, "service": alert.service},
                "results": [s.case_data(c) for c in cases],
            }
        )


class RepeatCheckViewSet(OrgScopedReadOnlyViewSet):
    """Per analysis: did it repeat a suggestion that had already failed for its alert pattern?"""

    queryset = RepeatCheck.objects.all()
    serializer_class = s.RepeatCheckSerializer
    filterset_class = RepeatCheckFilterSet
    action_roles = READ


class _MethodRoles(OrgScopedMixin, APIView):
    """An org-scoped APIView whose HTTP method names the action (roles come from `action_roles`)."""

    method_actions: dict[str, str] = {"get": "list", "post": "create"}
    action_roles = {"list": Role.VIEWER, "create": OP}

    def initial(self, request, *args, **kwargs):
        self.action = self.method_actions.get(request.method.lower())
        super().initial(request, *args, **kwargs)


class AlertFeedbackView(_MethodRoles):
    """`alerts/{id}/feedback`: GET the ratings of the alert's analyses; POST rate its latest analysis
    (or `analysis`, one of its versions), with optional per-section verdicts."""

    serializer_class = s.RemediationFeedbackSerializer

    def _alert(self, request, alert_id):
        return get_object_or_404(Alert.objects.visible_to(request.user, self.organization), pk=alert_id)

    @extend_schema(responses=s.RemediationFeedbackSerializer(many=True))
    def get(self, request, alert_id: int):
        alert = self._alert(request, alert_id)
        rows = (
            RemediationFeedback.objects.visible_to(request.user, self.organization)
            .filter(alert=alert)
            .select_related("user")
            .order_by("-created_at")[:200]
        )
        return Response(s.RemediationFeedbackSerializer(rows, many=True).data)

    @extend_schema(request=s.AnalysisVerdictInputSerializer, responses={201: s.RemediationFeedbackSerializer})
    def post(self, request, alert_id: int):
        alert = self._alert(request, alert_id)
        body = s.AnalysisVerdictInputSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        analysis = body.validated_data.get("analysis") or selectors.latest_analysis(
            user=request.user, organization=self.organization, subject_type=SubjectType.ALERT, pk=alert.pk
        )
        if analysis is None:
            raise serializers.ValidationError({"analysis": ["This alert has no analysis to rate yet."]})
        if analysis.alert_id != alert.pk:
            raise serializers.ValidationError({"analysis": ["That analysis belongs to another alert."]})
        with as_api_errors():
            row, created = services.feedback_record(
                analysis=analysis,
                user=request.user,
                sections=body.validated_data.get("sections"),
                **body.changes(),
            )
        data = s.RemediationFeedbackSerializer(row).data
        data["sections"] = s.AnalysisFeedbackSerializer(
            AnalysisFeedback.objects.filter(analysis=analysis, user=request.user), many=True
        ).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ExecutionFeedbackView(_MethodRoles):
    """`executions/{id}/feedback`: did running the runbook fix the problem? GET lists, POST records yours."""

    serializer_class = s.RemediationFeedbackSerializer

    def _execution(self, request, execution_id):
        runs = RunbookExecution.objects.visible_to(request.user, self.organization)
        return get_object_or_404(runs, pk=execution_id)

    @extend_schema(responses=s.RemediationFeedbackSerializer(many=True))
    def get(self, request, execution_id: int):
        execution = self._execution(request, execution_id)
        rows = selectors.execution_feedback(execution=execution, user=request.user, organization=self.organization)
        return Response(s.RemediationFeedbackSerializer(rows[:200], many=True).data)

    @extend_schema(request=s.VerdictInputSerializer, responses={201: s.RemediationFeedbackSerializer})
    def post(self, request, execution_id: int):
        execution = self._execution(request, execution_id)
        body = s.VerdictInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with as_api_errors():
            row, created = services.execution_feedback_record(execution=execution, user=request.user, **body.changes())
        return Response(
            s.RemediationFeedbackSerializer(row).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class FeedbackStatsView(_MethodRoles):
    """`feedback/stats`: % helpful, stars, section accuracy, repeat-incorrect rate, top fixes, trends,
    by provider and by alert pattern (filters: after, before, provider_kind, alert_pattern, bucket_days)."""

    @extend_schema(parameters=[s.StatsQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(feedback_stats(organization=self.organization, user=request.user, **query.validated_data))

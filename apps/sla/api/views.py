"""API under /api/v1/sla/: definitions (CRUD), clocks (+ pause/resume), breaches (+ reason),
reports (+ generate, CSV and Markdown)."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role

from .. import services
from ..breaches import BreachReasonError
from ..exports import download
from ..filtersets import ComplianceReportFilterSet, SLABreachFilterSet, SLAClockFilterSet, SLADefinitionFilterSet
from ..models import ComplianceReport, SLABreach, SLAClock, SLADefinition
from ..reports import month_bounds, previous_month
from . import serializers as s


def _django_errors(exc: DjangoValidationError):
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages)


class SLADefinitionViewSet(OrgScopedModelViewSet):
    """SLA definitions (the plan's `sla_definitions`); admins write them."""

    queryset = SLADefinition.objects.prefetch_related("applies_to_teams")
    serializer_class = s.SLADefinitionSerializer
    filterset_class = SLADefinitionFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = CRUD_ADMIN


class SLAClockViewSet(OrgScopedReadOnlyViewSet):
    """Live clocks; `?alert=ID` or `?incident=ID` for one item's. Operators pause and resume them."""

    queryset = SLAClock.objects.select_related("sla")
    serializer_class = s.SLAClockSerializer
    filterset_class = SLAClockFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = {**READ, "pause": Role.OPERATOR, "resume": Role.OPERATOR}

    def _pause(self, request, fn):
        body = s.PauseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if not self.get_queryset().filter(subject_kind=data["subject_kind"], subject_id=data["subject_id"]).exists():
            return Response({"error": {"code": "not_found", "message": "Not found."}}, status=404)
        if fn is services.item_resume:
            data.pop("until", None)
        try:
            event = fn(organization_id=self.organization.pk, user=request.user, **data)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response({"event_id": event["id"]}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.PauseSerializer, responses={202: dict})
    @action(detail=False, methods=["post"])
    def pause(self, request):
        """Pause an item's clocks: in maintenance, or waiting on a third party (optionally until a time)."""
        return self._pause(request, services.item_pause)

    @extend_schema(request=s.PauseSerializer, responses={202: dict})
    @action(detail=False, methods=["post"])
    def resume(self, request):
        return self._pause(request, services.item_resume)


class SLABreachViewSet(OrgScopedReadOnlyViewSet):
    """Breaches (the plan's `sla_breaches`) with the suggested reason; operators set the reason."""

    queryset = SLABreach.objects.select_related("sla")
    serializer_class = s.SLABreachSerializer
    filterset_class = SLABreachFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = {**READ, "reason": Role.OPERATOR}

    @extend_schema(request=s.BreachReasonSerializer, responses=s.SLABreachSerializer)
    @action(detail=True, methods=["post"])
    def reason(self, request, pk=None):
        breach = self.get_object()
        body = s.BreachReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            breach = services.breach_set_reason(breach=breach, reason=body.validated_data["reason"],
                                                text=body.validated_data["reason_text"], user=request.user)
        except BreachReasonError as exc:
            raise serializers.ValidationError({"reason_text": [str(exc)]}) from exc
        return Response(s.SLABreachSerializer(breach).data)


class ComplianceReportViewSet(OrgScopedReadOnlyViewSet):
    """Compliance reports (per SLA inside: the plan's `sla_reports`); generate one for any period."""

    queryset = ComplianceReport.objects.prefetch_related("slas__sla")
    serializer_class = s.ComplianceReportSerializer
    filterset_class = ComplianceReportFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = {**READ, "generate": Role.OPERATOR, "csv": Role.VIEWER, "markdown": Role.VIEWER}

    @extend_schema(request=s.ReportGenerateSerializer, responses={201: s.ComplianceReportSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Compute the report of a period (default: the current month so far ... its end)."""
        body = s.ReportGenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data.get("period_start"):
            start, end = body.validated_data["period_start"], body.validated_data["period_end"]
        elif request.data.get("previous"):
            start, end = previous_month(self._now())
        else:
            start, end = month_bounds(self._now())
        report = services.report_generate(organization_id=self.organization.pk, period_start=start,
                                          period_end=end, user=request.user)
        report = self.get_queryset().get(pk=report.pk)
        return Response(s.ComplianceReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _now():
        from django.utils import timezone

        return timezone.now()

    @action(detail=True, methods=["get"], url_path="csv")
    def csv(self, request, pk=None):
        return download(self.get_object(), "csv")

    @action(detail=True, methods=["get"], url_path="markdown")
    def markdown(self, request, pk=None):
        return download(self.get_object(), "md")

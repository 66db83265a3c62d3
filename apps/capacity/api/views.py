"""API (the plan's): /capacity/metrics, /metrics/{type}, /forecast/{resource}, /reports (GET, POST),
/reports/{id}, /recommendations; plus /capacity/resources, /capacity/queries and /capacity/thresholds."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.views import OrgScopedReadAPIView
from aiops.api.viewsets import OrgScopedModelViewSet, OrgScopedReadOnlyViewSet, OrgScopedReadViewSet
from aiops.roles import Role

from .. import reports, services, trend
from ..choices import ResourceKind
from ..filtersets import (
    CapacityMetricFilterSet,
    CapacityReportFilterSet,
    CapacityThresholdFilterSet,
    ResourceQueryFilterSet,
)
from ..models import CapacityMetric, CapacityReport, CapacityThreshold, ResourceQuery
from . import serializers as s


class ResourceQueryViewSet(OrgScopedModelViewSet):
    """Usage and capacity PromQL per resource kind (empty templates take the kind's defaults)."""

    queryset = ResourceQuery.objects.select_related("source")
    serializer_class = s.ResourceQuerySerializer
    filterset_class = ResourceQueryFilterSet
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        serializer.instance = services.query_create(organization=self.organization, created_by=self.request.user,
                                                    **serializer.validated_data)


class CapacityMetricViewSet(OrgScopedReadViewSet):
    """Resources, most urgent first (days to exhaustion)."""

    queryset = CapacityMetric.objects.all()
    serializer_class = s.CapacityMetricSerializer
    filterset_class = CapacityMetricFilterSet


class CapacityThresholdViewSet(OrgScopedModelViewSet):
    queryset = CapacityThreshold.objects.all()
    serializer_class = s.CapacityThresholdSerializer
    filterset_class = CapacityThresholdFilterSet
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        serializer.save(organization=self.organization, created_by=self.request.user)


class CapacityReportViewSet(OrgScopedReadOnlyViewSet):
    """GET: reports, newest first; POST: generate one now (on demand; `email` also e-mails it)."""

    queryset = CapacityReport.objects.all()
    serializer_class = s.CapacityReportSerializer
    filterset_class = CapacityReportFilterSet
    action_roles = {**READ, "create": Role.OPERATOR}

    @extend_schema(request=s.ReportRequestSerializer, responses={201: s.CapacityReportSerializer})
    def create(self, request):
        body = s.ReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = reports.request_report(organization=self.organization, user=request.user, **body.validated_data)
        return Response(s.CapacityReportSerializer(report, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class _ReadView(OrgScopedReadAPIView):
    def metrics(self, request):
        return CapacityMetric.objects.visible_to(request.user, request.organization)


class MetricsByTypeView(_ReadView):
    """Resources of one kind (cpu, memory, disk, network, db_connections, queue_depth, custom)."""

    def get(self, request, kind: str):
        if kind not in ResourceKind.values:
            return Response({"detail": f"Unknown resource type {kind!r}; one of {', '.join(ResourceKind.values)}."},
                            status=status.HTTP_404_NOT_FOUND)
        rows = self.metrics(request).filter(resource_type=kind)
        return Response({"results": s.CapacityMetricSerializer(rows, many=True, context={"request": request}).data})


class ForecastView(_ReadView):
    """One resource's trend ahead: the line with its P10–P90 band and the time to 80/90/100 %."""

    def get(self, request, resource: int):
        metric = get_object_or_404(self.metrics(request), pk=resource)
        raw = str(request.query_params.get("days", "90"))
        days = int(raw) if raw.isdigit() else 90
        points = trend.trend_points(services.analysis_of(metric), days=min(max(days, 1), 365), step_days=1)
        return Response({"resource": s.CapacityMetricSerializer(metric, context={"request": request}).data,
                         "eta": metric.eta, "growth_per_day": metric.growth_per_day, "trend": metric.usage_trend,
                         "points": points})


class RecommendationsView(_ReadView):
    """Active recommendations: every resource in the critical or warning section right now."""

    def get(self, request):
        data = reports.build(request.organization.pk)
        results = [{"section": key, **entry} for key in ("critical", "warning") for entry in data[key]]
        return Response({"summary": data["summary"], "results": results})

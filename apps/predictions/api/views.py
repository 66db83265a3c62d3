"""API (the plan's): /predictions/forecasts, POST /predictions/forecast, /anomalies, /escalation/{alert_id},
/rules, /trending, /insights, plus /predictions/targets and /predictions/tasks."""
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN
from aiops.api.views import OrgScopedAPIView, OrgScopedReadAPIView
from aiops.api.viewsets import OrgScopedModelViewSet, OrgScopedReadViewSet
from aiops.roles import Role
from apps.alerts.models import Alert

from .. import patterns, selectors, services, tasks
from ..filtersets import (
    AnomalyDetectionFilterSet,
    ForecastTargetFilterSet,
    MetricForecastFilterSet,
    PredictionTaskFilterSet,
    PredictiveRuleFilterSet,
)
from ..models import AnomalyDetection, ForecastTarget, MetricForecast, PredictionTask, PredictiveRule
from . import serializers as s


class ForecastTargetViewSet(OrgScopedModelViewSet):
    """What to forecast: PromQL on a metric source, step, history, horizon, models."""

    queryset = ForecastTarget.objects.select_related("source")
    serializer_class = s.ForecastTargetSerializer
    filterset_class = ForecastTargetFilterSet
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        serializer.instance = services.target_create(organization=self.organization, created_by=self.request.user,
                                                     **serializer.validated_data)


class MetricForecastViewSet(OrgScopedReadViewSet):
    """Active forecasts: one per series, with predicted values, model and backtest error."""

    queryset = MetricForecast.objects.select_related("target")
    serializer_class = s.MetricForecastSerializer
    filterset_class = MetricForecastFilterSet


class PredictiveRuleViewSet(OrgScopedModelViewSet):
    queryset = PredictiveRule.objects.select_related("target")
    serializer_class = s.PredictiveRuleSerializer
    filterset_class = PredictiveRuleFilterSet
    action_roles = CRUD_ADMIN


class AnomalyDetectionViewSet(OrgScopedReadViewSet):
    """Recent anomalies (newest first): type, expected vs actual, deviation, severity, context."""

    queryset = AnomalyDetection.objects.all()
    serializer_class = s.AnomalyDetectionSerializer
    filterset_class = AnomalyDetectionFilterSet


class PredictionTaskViewSet(OrgScopedReadViewSet):
    """Follow-ups made with "Create Task" on predictive alert cards."""

    queryset = PredictionTask.objects.all()
    serializer_class = s.PredictionTaskSerializer
    filterset_class = PredictionTaskFilterSet


class ForecastRequestView(OrgScopedAPIView):
    """POST: forecast a metric now — creates (or reuses) the target and queues its run on `forecast`."""

    method_actions = {"post": "create"}
    action_roles = {"create": Role.ADMIN}

    @extend_schema(request=s.ForecastRequestSerializer, responses={202: s.ForecastTargetSerializer})
    def post(self, request):
        body = s.ForecastRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        name = data.pop("name", None) or data["query"][:200]
        with transaction.atomic():
            target = ForecastTarget.objects.filter(organization=request.organization, name=name).first()
            if target is None:
                target = services.target_create(organization=request.organization, created_by=request.user,
                                                name=name, **data)
            transaction.on_commit(lambda: tasks.forecast_target.apply_async(args=[target.pk, True], queue="forecast"))
        return Response(s.ForecastTargetSerializer(target, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)


class EscalationView(OrgScopedReadAPIView):
    """The escalation prediction for one alert (probability, time to escalate, sample size, interval)."""

    def get(self, request, alert_id: int):
        alert = get_object_or_404(Alert.objects.visible_to(request.user, request.organization), pk=alert_id)
        return Response(patterns.escalation_odds(alert))


class TrendingView(OrgScopedReadAPIView):
    """Alert names firing significantly more this week than last."""

    def get(self, request):
        return Response({"results": patterns.trending_alerts(organization_id=request.organization.pk)})


class InsightsView(OrgScopedReadAPIView):
    def get(self, request):
        return Response({"results": selectors.insights(organization_id=request.organization.pk)})

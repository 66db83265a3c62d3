"""API: /logs/sources (+ /{id}/test), /logs/queries, /logs/contexts, GET /logs/query (ad-hoc, bounded),
GET /alerts/{id}/logs (the alert's stored context; `?refresh=1` fetches again, operators)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from aiops.access import access_for
from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedMixin, OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role

from .. import selectors, services
from ..filtersets import AlertLogContextFilterSet, LogQueryFilterSet, LogSourceFilterSet
from ..models import AlertLogContext, LogQuery, LogSource
from . import serializers as s


class LogSourceViewSet(OrgScopedModelViewSet):
    """Log sources (Loki, Elasticsearch/OpenSearch, CloudWatch Logs, Splunk); `config` is write-only."""

    queryset = LogSource.objects.select_related("team")
    serializer_class = s.LogSourceSerializer
    filterset_class = LogSourceFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = {**CRUD_ADMIN, "test": Role.ADMIN}

    def perform_create(self, serializer):
        serializer.instance = services.source_create(
            organization=self.organization, created_by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.source_update(source=serializer.instance, **serializer.validated_data)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Test the connection: `{"ok": bool, "message": str}` (also recorded on the source)."""
        ok, message = services.source_test(source=self.get_object())
        return Response({"ok": ok, "message": message})


class LogQueryViewSet(OrgScopedModelViewSet):
    """Saved query templates, rendered from each alert's labels (values escaped per language)."""

    queryset = LogQuery.objects.select_related("source", "team")
    serializer_class = s.LogQuerySerializer
    filterset_class = LogQueryFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = CRUD_ADMIN


class AlertLogContextViewSet(OrgScopedReadOnlyViewSet):
    """Stored log contexts (patterns, counts, key lines) of the alerts the user may see."""

    queryset = AlertLogContext.objects.select_related("source")
    serializer_class = s.AlertLogContextSerializer
    filterset_class = AlertLogContextFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = READ

    def get_queryset(self):
        return super().get_queryset().filter(
            alert__in=selectors.visible_alerts(user=self.request.user, organization=self.organization))


class _Get(OrgScopedMixin, APIView):
    action_roles = {"retrieve": Role.VIEWER}

    def initial(self, request, *args, **kwargs):
        self.action = "retrieve"
        super().initial(request, *args, **kwargs)


class AdhocQueryView(_Get):
    """GET /logs/query?source=&query=&minutes=&limit= — run a query now (≤ 24 h, ≤ 1,000 lines)."""

    @extend_schema(parameters=[s.AdhocQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        body = s.AdhocQuerySerializer(data=request.query_params)
        body.is_valid(raise_exception=True)
        source = get_object_or_404(selectors.visible_sources(user=request.user, organization=self.organization),
                                   pk=body.validated_data["source"])
        result = services.adhoc_query(source=source, text=body.validated_data["query"],
                                      minutes=body.validated_data["minutes"], limit=body.validated_data["limit"])
        result["start"], result["end"] = result["start"].isoformat(), result["end"].isoformat()
        return Response(result)


class AlertLogsView(_Get):
    """GET /alerts/{id}/logs — the alert's log contexts (fetched now if none is stored yet)."""

    @extend_schema(responses=s.AlertLogContextSerializer(many=True))
    def get(self, request, alert_id: int):
        alert = get_object_or_404(selectors.visible_alerts(user=request.user, organization=self.organization),
                                  pk=alert_id)
        refresh = request.query_params.get("refresh") in ("1", "true")
        if refresh and not access_for(request.user).has_role(self.organization.pk, Role.OPERATOR):
            raise PermissionDenied()
        if refresh or not AlertLogContext.objects.filter(alert=alert).exists():
            services.contexts_fetch(alerts=[alert], force=refresh)
        rows = selectors.alert_contexts(alert=alert, user=request.user, organization=self.organization)
        return Response(s.AlertLogContextSerializer(rows, many=True, context={"request": request}).data)

"""API viewsets: integrations (admin CRUD), alerts (read + lifecycle actions + MTTA/MTTR), alert history.

Alerts are never created, edited or deleted through the API: they come from webhooks. Actions
call the lifecycle services with `source=api`; a state conflict is a 409 with a clear message.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role

from .. import ingest, selectors, services
from ..choices import ActionSource
from ..filtersets import AlertEventFilterSet, AlertFilterSet, IntegrationFilterSet
from ..models import Alert, AlertEvent, Integration
from ..pagination import CappedCountPagination
from .serializers import (
    AlertAssignSerializer,
    AlertDetailSerializer,
    AlertEventSerializer,
    AlertNoteSerializer,
    AlertSerializer,
    AlertSilenceSerializer,
    AlertStatsQuerySerializer,
    IntegrationSerializer,
)


class IntegrationViewSet(OrgScopedModelViewSet):
    """Where alerts come from. `webhook_url` (the secret URL) is shown to admins only."""

    queryset = Integration.objects.select_related("team", "created_by")
    serializer_class = IntegrationSerializer
    filterset_class = IntegrationFilterSet
    action_roles = {**CRUD_ADMIN, "rotate_token": Role.ADMIN}

    def perform_create(self, serializer):
        serializer.instance = ingest.integration_create(
            organization=self.organization, created_by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=None, responses=IntegrationSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        """Issue a new secret URL; the old one stops working at once."""
        integration = ingest.integration_rotate_token(integration=self.get_object())
        return Response(self.get_serializer(integration).data)


class AlertViewSet(OrgScopedReadOnlyViewSet):
    """Alerts (one per firing episode), their history, lifecycle actions and MTTA/MTTR figures."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    pagination_class = CappedCountPagination
    action_roles = {
        **READ,
        "stats": Role.VIEWER,
        "acknowledge": Role.OPERATOR,
        "unacknowledge": Role.OPERATOR,
        "resolve": Role.OPERATOR,
        "silence": Role.OPERATOR,
        "assign": Role.OPERATOR,
    }
    _DETAIL_ACTIONS = ("retrieve", "acknowledge", "unacknowledge", "resolve", "silence", "assign")

    def get_queryset(self):
        scoped = super().get_queryset()
        if self.action == "stats":
            return scoped
        qs = selectors.with_list_related(scoped)
        if self.action in self._DETAIL_ACTIONS:
            qs = qs.prefetch_related(Prefetch("events", queryset=selectors.alert_history_queryset()))
        return qs

    def get_serializer_class(self):
        return AlertDetailSerializer if self.action in self._DETAIL_ACTIONS else AlertSerializer

    def _run(self, request, body_serializer, perform):
        """Parse the body, call one lifecycle service as the requester (source=api), return the alert."""
        alert = self.get_object()
        body = body_serializer(
            data=request.data, context={**self.get_serializer_context(), "organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        data = body.validated_data
        perform(data, alert=alert, user=request.user, source=ActionSource.API, note=data.get("note", ""))
        fresh = self.get_queryset().get(pk=alert.pk)
        return Response(AlertDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=AlertNoteSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._run(request, AlertNoteSerializer, lambda data, **kw: services.alert_acknowledge(**kw))

    @extend_schema(request=AlertNoteSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def unacknowledge(self, request, pk=None):
        return self._run(request, AlertNoteSerializer, lambda data, **kw: services.alert_unacknowledge(**kw))

    @extend_schema(request=AlertNoteSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._run(request, AlertNoteSerializer, lambda data, **kw: services.alert_resolve(**kw))

    @extend_schema(request=AlertSilenceSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def silence(self, request, pk=None):
        """Silence until `until` (ISO time) or for `duration` ("2h"); `{"until": null}` lifts it."""
        return self._run(
            request,
            AlertSilenceSerializer,
            lambda data, **kw: services.alert_silence(until=data["silenced_until"], **kw),
        )

    @extend_schema(request=AlertAssignSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to a member by `username` or `user_id`; null unassigns."""
        return self._run(
            request,
            AlertAssignSerializer,
            lambda data, **kw: services.alert_assign(assignee=data["assignee"], **kw),
        )

    @extend_schema(parameters=[AlertStatsQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """MTTA/MTTR (count, average, p50, p95 in seconds) of alerts started in [after, before).

        The alert filters (severity, service, team, ...) narrow the population too.
        """
        query = AlertStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        population = self.filter_queryset(self.get_queryset())
        return Response(
            selectors.alert_stats(
                queryset=population,
                after=params["after"],
                before=params["before"],
                group_by=params.get("group_by"),
            )
        )


class AlertEventViewSet(OrgScopedReadOnlyViewSet):
    """The history of alerts (filter with `?alert=<id>`); only events of alerts you can see."""

    queryset = AlertEvent.objects.all()
    serializer_class = AlertEventSerializer
    filterset_class = AlertEventFilterSet
    ordering_fields = ["at", "id"]  # indexed: history can be millions of rows
    pagination_class = CappedCountPagination
    action_roles = READ

    def get_queryset(self):
        return selectors.restrict_events_to_visible_alerts(
            super().get_queryset(), user=self.request.user, organization=self.organization
        )

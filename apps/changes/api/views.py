"""API: changes (the plan's /changes endpoints), links and their verdicts, sources, settings.

Routes (under /api/v1/): changes, changes/{id}, changes/stats, changes/{id}/correlate/{alert_id},
alerts/{id}/related-changes, change-correlations (+ confirm/reject), change-sources,
change-correlation-settings.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedMixin, OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role

from .. import correlation, selectors, services, stats
from ..choices import CorrelationStatus
from ..filtersets import ChangeCorrelationFilterSet, ChangeEventFilterSet, ChangeSourceFilterSet
from ..models import ChangeCorrelation, ChangeEvent, ChangeSource
from . import serializers as s

OP = Role.OPERATOR


class ChangeEventViewSet(OrgScopedModelViewSet):
    """Changes. POST takes the plan's webhook payload (idempotent by `external_id`); admins may correct or
    delete a change; operators link a change to an alert by hand."""

    queryset = ChangeEvent.objects.select_related("change_source").prefetch_related(
        Prefetch(
            "correlations",
            to_attr="live_links",
            queryset=ChangeCorrelation.objects.exclude(status=CorrelationStatus.REJECTED).order_by("-confidence"),
        )
    )
    serializer_class = s.ChangeEventSerializer
    filterset_class = ChangeEventFilterSet
    action_roles = {
        **READ,
        "create": OP,
        "update": Role.ADMIN,
        "partial_update": Role.ADMIN,
        "destroy": Role.ADMIN,
        "stats": Role.VIEWER,
        "correlate": OP,
    }

    def _read(self, change, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=change.pk)
        return Response(s.ChangeEventSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: s.ChangeEventSerializer, 200: s.ChangeEventSerializer})
    def create(self, request, *args, **kwargs):
        """Record a change (201); the same `external_id` again updates it (200)."""
        body = s.ChangeIngestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.change_record(
            organization=self.organization, data=body.validated_data["change"], created_by=request.user
        )
        return self._read(result.change, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(request=s.ChangeEventUpdateSerializer, responses=s.ChangeEventSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        change = self.get_object()
        body = s.ChangeEventUpdateSerializer(change, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        services.change_update(change=change, user=request.user, **body.validated_data)
        return self._read(change)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(parameters=[s.StatsQuerySerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Change frequency and change-failure rate per service over [after, before) (default: 30 days).

        The change filters (service, environment, event_type, ...) narrow the population too.
        """
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        population = self.filter_queryset(ChangeEvent.objects.visible_to(request.user, self.organization))
        return Response(stats.change_stats(queryset=population, **query.validated_data))

    @extend_schema(request=s.VerdictSerializer, responses={201: s.CorrelationSerializer, 200: s.CorrelationSerializer})
    @action(detail=True, methods=["post"], url_path=r"correlate/(?P<alert_id>[0-9]+)")
    def correlate(self, request, pk=None, alert_id=None):
        """Link the change to an alert by hand: confirmed (default) or rejected, with an optional note."""
        change = self.get_object()
        alert = get_object_or_404(
            selectors.visible_alerts(user=request.user, organization=self.organization), pk=alert_id
        )
        body = s.VerdictSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row, created = correlation.correlation_link(
            change=change, alert=alert, user=request.user, **body.validated_data
        )
        return Response(
            s.CorrelationSerializer(row, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ChangeCorrelationViewSet(OrgScopedReadOnlyViewSet):
    """Change↔alert links with their score factors; operators confirm or reject them."""

    queryset = ChangeCorrelation.objects.select_related("change", "alert", "decided_by")
    serializer_class = s.CorrelationSerializer
    filterset_class = ChangeCorrelationFilterSet
    action_roles = {**READ, "confirm": OP, "reject": OP}

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(alert__in=selectors.visible_alerts(user=self.request.user, organization=self.organization))
        )

    def _decide(self, request, verdict):
        body = s.VerdictSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = correlation.correlation_decide(
            correlation=self.get_object(), status=verdict, user=request.user, note=body.validated_data["note"]
        )
        return Response(s.CorrelationSerializer(row, context=self.get_serializer_context()).data)

    @extend_schema(request=s.VerdictSerializer, responses=s.CorrelationSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """This change caused the alert (feeds the change-failure rate)."""
        return self._decide(request, CorrelationStatus.CONFIRMED)

    @extend_schema(request=s.VerdictSerializer, responses=s.CorrelationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """The change is unrelated; it is no longer shown as related."""
        return self._decide(request, CorrelationStatus.REJECTED)


class ChangeSourceViewSet(OrgScopedModelViewSet):
    """Change webhooks. `webhook_url` (the secret URL) is shown to admins only."""

    queryset = ChangeSource.objects.select_related("created_by")
    serializer_class = s.ChangeSourceSerializer
    filterset_class = ChangeSourceFilterSet
    action_roles = {**CRUD_ADMIN, "rotate_token": Role.ADMIN}

    def perform_create(self, serializer):
        serializer.instance = services.change_source_create(
            organization=self.organization, created_by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=None, responses=s.ChangeSourceSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        """Issue a new secret URL; the old one stops working at once."""
        source = services.change_source_rotate_token(source=self.get_object())
        return Response(self.get_serializer(source).data)


class _MethodRoles(OrgScopedMixin, APIView):
    """An org-scoped APIView whose HTTP method names the action (roles still come from `action_roles`)."""

    method_actions: dict[str, str] = {}

    def initial(self, request, *args, **kwargs):
        self.action = self.method_actions.get(request.method.lower())
        super().initial(request, *args, **kwargs)


class CorrelationSettingsView(_MethodRoles):
    """The organisation's change-correlation settings: GET for everyone, PUT/PATCH for admins."""

    method_actions = {"get": "retrieve", "put": "update", "patch": "partial_update"}
    action_roles = {"retrieve": Role.VIEWER, "update": Role.ADMIN, "partial_update": Role.ADMIN}
    serializer_class = s.CorrelationSettingsSerializer

    def get(self, request):
        return Response(s.CorrelationSettingsSerializer(correlation.settings_for(self.organization.pk)).data)

    def put(self, request, partial=False):
        body = s.CorrelationSettingsSerializer(
            correlation.settings_for(self.organization.pk), data=request.data, partial=partial
        )
        body.is_valid(raise_exception=True)
        body.save()
        return Response(body.data)

    def patch(self, request):
        return self.put(request, partial=True)


class AlertRelatedChangesView(_MethodRoles):
    """GET /alerts/{id}/related-changes — every change in the window before the alert, best first."""

    method_actions = {"get": "retrieve"}
    action_roles = {"retrieve": Role.VIEWER}
    serializer_class = s.RelatedChangeSerializer

    @extend_schema(responses=s.RelatedChangeSerializer(many=True))
    def get(self, request, alert_id: int):
        alert = get_object_or_404(
            selectors.visible_alerts(user=request.user, organization=self.organization), pk=alert_id
        )
        rows = selectors.nearby_changes(alert=alert)
        return Response(s.RelatedChangeSerializer(rows, many=True, context={"request": request}).data)

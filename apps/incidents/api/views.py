"""Incident API: list/detail/create/edit plus the lifecycle actions, and the correlation settings."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from aiops.api.permissions import READ
from aiops.api.views import OrgScopedAPIView
from aiops.api.viewsets import OrgScopedMixin, OrgScopedReadOnlyViewSet
from aiops.roles import Role
from apps.alerts.models import Alert

from .. import selectors, services
from ..filtersets import IncidentAlertFilterSet, IncidentCommentFilterSet, IncidentFilterSet
from ..locking import config_for
from ..models import Incident, IncidentAlert, IncidentComment
from . import serializers as s

OP = Role.OPERATOR


class IncidentViewSet(
    OrgScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    """Incidents. PATCH edits text and post-mortem fields, and accepts `status` / `assignee` too."""

    queryset = Incident.objects.select_related("assignee", "commander")
    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilterSet
    ordering_fields = ["started_at", "number", "severity", "alert_count", "last_alert_at"]
    action_roles = {
        **READ,
        "create": OP,
        "update": OP,
        "partial_update": OP,
        "alerts": Role.VIEWER,
        "comments": Role.VIEWER,
        "add_alert": OP,
        "add_alert_plan": OP,
        "remove_alert": OP,
        "remove_alert_plan": OP,
        "merge": OP,
        "merge_plan": OP,
        "set_status": OP,
        "comment": OP,
        "assign": OP,
    }

    def _detail(self, incident, code=status.HTTP_200_OK):
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(s.IncidentSerializer(incident, context=self.get_serializer_context()).data, status=code)

    def _alert(self, alert_id):
        return get_object_or_404(Alert.objects.visible_to(self.request.user).for_org(self.organization), pk=alert_id)

    @extend_schema(request=s.IncidentCreateSerializer, responses=s.IncidentSerializer)
    def create(self, request, *args, **kwargs):
        body = s.IncidentCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        incident = services.incident_create(organization=self.organization, user=request.user, **body.validated_data
        )
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=s.IncidentUpdateSerializer, responses=s.IncidentSerializer)
    def update(self, request, *args, **kwargs):
        incident = self.get_object()
        body = s.IncidentUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        new_status, note = data.pop("status", None), data.pop("note", "")
        if "assignee" in data:
            services.incident_assign(incident=incident, user=request.user, assignee=data.pop("assignee"))
        if data:
            services.incident_update(incident=incident, user=request.user, **data)
        if new_status and new_status != incident.status:
            services.incident_set_status(incident=incident,
                status=new_status,
                user=request.user,
                note=note,
            )
        return self._detail(incident)

    @extend_schema(responses=s.IncidentAlertSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="alerts")
    def alerts(self, request, pk=None):
        incident = self.get_object()
        page = self.paginate_queryset(selectors.incident_alert_links(incident=incident))
        return self.get_paginated_response(s.IncidentAlertSerializer(page, many=True).data)

    @extend_schema(request=s.AlertRefSerializer, responses=s.IncidentSerializer)
    @alerts.mapping.post
    def add_alert_plan(self, request, pk=None):
        return self.add_alert(request, pk)

    @extend_schema(request=s.AlertRefSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="add-alert")
    def add_alert(self, request, pk=None):
        incident = self.get_object()
        body = s.AlertRefSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.incident_add_alert(incident=incident, user=request.user, **body.validated_data)
        return self._detail(incident)

    @extend_schema(request=s.AlertRefSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="remove-alert")
    def remove_alert(self, request, pk=None):
        incident = self.get_object()
        body = s.AlertRefSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.incident_remove_alert(incident=incident,
            user=request.user,
            alert=body.validated_data["alert"],
            reason=body.validated_data["reason"],
        )
        return self._detail(incident)

    @extend_schema(request=None, responses=s.IncidentSerializer)
    @action(detail=True, methods=["delete"], url_path=r"alerts/(?P<alert_id>\d+)")
    def remove_alert_plan(self, request, pk=None, alert_id=None):
        incident = self.get_object()
        services.incident_remove_alert(incident=incident, user=request.user, alert=self._alert(alert_id))
        return self._detail(incident)

    @extend_schema(request=s.MergeSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        incident = self.get_object()
        body = s.MergeSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        target = services.incident_merge(target=incident, user=request.user, **body.validated_data)
        return self._detail(target)

    @extend_schema(request=None, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path=r"merge/(?P<other_id>\d+)")
    def merge_plan(self, request, pk=None, other_id=None):
        incident = self.get_object()
        other = get_object_or_404(self.get_queryset(), pk=other_id)
        target = services.incident_merge(target=incident, source=other, user=request.user)
        return self._detail(target)

    @extend_schema(request=s.StatusSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        incident = self.get_object()
        body = s.StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.incident_set_status(incident=incident, user=request.user, **body.validated_data)
        return self._detail(incident)

    @extend_schema(responses=s.IncidentCommentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def comments(self, request, pk=None):
        incident = self.get_object()
        page = self.paginate_queryset(incident.comments.select_related("author"))
        return self.get_paginated_response(s.IncidentCommentSerializer(page, many=True).data)

    @extend_schema(request=s.CommentBodySerializer, responses=s.IncidentCommentSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        incident = self.get_object()
        body = s.CommentBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.incident_comment(incident=incident, user=request.user, body=body.validated_data["body"]
        )
        return Response(s.IncidentCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AssignSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        incident = self.get_object()
        body = s.AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.incident_assign(incident=incident, user=request.user, **body.validated_data)
        return self._detail(incident)


class IncidentAlertViewSet(OrgScopedReadOnlyViewSet):
    """Which alert is in which incident, and why (strategy and reason of each decision)."""

    queryset = IncidentAlert.objects.select_related("alert")
    serializer_class = s.IncidentAlertSerializer
    filterset_class = IncidentAlertFilterSet
    action_roles = READ


class IncidentCommentViewSet(OrgScopedReadOnlyViewSet):
    queryset = IncidentComment.objects.select_related("author")
    serializer_class = s.IncidentCommentSerializer
    filterset_class = IncidentCommentFilterSet
    action_roles = READ


class CorrelationConfigView(OrgScopedAPIView):
    """The organisation's correlation settings: GET for everyone, PUT/PATCH for admins."""

    method_actions = {"get": "retrieve", "put": "update", "patch": "partial_update"}
    action_roles = {"retrieve": Role.VIEWER, "update": Role.ADMIN, "partial_update": Role.ADMIN}
    serializer_class = s.CorrelationConfigSerializer

    def get(self, request):
        return Response(s.CorrelationConfigSerializer(config_for(request.organization.pk)).data)

    def put(self, request, partial=False):
        config = config_for(request.organization.pk)
        body = s.CorrelationConfigSerializer(config, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        body.save()
        return Response(body.data)

    def patch(self, request):
        return self.put(request, partial=True)

"""Topology API: services and dependencies (CRUD), the graph as JSON, import and export of the file."""

from django.http import HttpResponse
from rest_framework import status
from rest_framework.response import Response

from aiops.api.errors import error_body
from aiops.api.permissions import CRUD_ADMIN
from aiops.api.views import OrgScopedAPIView
from aiops.api.viewsets import OrgScopedModelViewSet
from aiops.roles import Role

from .. import conf, selectors, services
from ..filtersets import DependencyFilterSet, ServiceFilterSet
from ..interchange import TopologyFileError, dump, load
from ..models import Dependency, Service
from .serializers import DependencySerializer, ServiceSerializer

FORMATS = {
    "application/json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
    "text/plain": None,
}


class ServiceViewSet(OrgScopedModelViewSet):
    queryset = Service.objects.select_related("team")
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet
    ordering_fields = ["name", "environment", "last_seen", "tier"]
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        serializer.instance = services.service_create(organization=self.organization, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.service_update(service=serializer.instance, **serializer.validated_data)


class DependencyViewSet(OrgScopedModelViewSet):
    queryset = Dependency.objects.select_related("source", "target")
    serializer_class = DependencySerializer
    filterset_class = DependencyFilterSet
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        serializer.instance = services.dependency_create(organization=self.organization, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.dependency_update(
            dependency=serializer.instance, **serializer.validated_data
        )


class GraphView(OrgScopedAPIView):
    """Nodes (with failing state and layout column) and edges for drawing the graph."""

    method_actions = {"get": "retrieve"}
    action_roles = {"retrieve": Role.VIEWER}

    def get(self, request):
        return Response(selectors.graph_payload(user=request.user, organization=request.organization))


class ExportView(OrgScopedAPIView):
    """The whole graph in the import format: `?format=yaml` (default) or `?format=json`."""

    method_actions = {"get": "retrieve"}
    action_roles = {"retrieve": Role.VIEWER}

    def get(self, request):
        fmt = request.query_params.get("format", "yaml")
        if fmt not in ("yaml", "json"):
            return Response(error_body("invalid", "format must be yaml or json."), status=400)
        body = dump(selectors.topology_document(organization=request.organization), fmt)
        content_type = "application/json" if fmt == "json" else "application/yaml"
        return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, HttpResponse) and not isinstance(response, Response):
            return response  # a file, not a DRF-rendered body
        return super().finalize_response(request, response, *args, **kwargs)


class ImportView(OrgScopedAPIView):
    """Upsert a graph from YAML or JSON (raw body); `?replace=true` deletes what the file omits,
    `?dry_run=true` validates and reports without keeping anything."""

    method_actions = {"post": "create"}
    action_roles = {"create": Role.ADMIN}
    parser_classes: list = []  # the body is read raw: YAML is not a DRF media type

    def post(self, request):
        raw = request.body
        if len(raw) > conf.import_max_bytes():
            return Response(
                error_body("too_large", f"The file exceeds {conf.import_max_bytes()} bytes."),
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        fmt = request.query_params.get("format") or FORMATS.get(request.content_type.split(";")[0].strip())
        flag = lambda name: request.query_params.get(name, "").lower() in ("1", "true", "yes")  # noqa: E731
        try:
            spec = load(raw, fmt)
            result = services.topology_import(
                organization=request.organization, spec=spec, replace=flag("replace"), dry_run=flag("dry_run")
            )
        except TopologyFileError as exc:
            problems = [p.as_dict() for p in exc.problems]
            message = f"The topology file is invalid ({len(problems)} problem(s)); nothing was changed."
            return Response(error_body("invalid", message, {"errors": problems}), status=400)
        return Response(result.as_dict(), status=200)


class DiscoverView(OrgScopedAPIView):
    """Register every service named by the last week's alerts (discovery also runs per alert)."""

    method_actions = {"post": "create"}
    action_roles = {"create": Role.ADMIN}

    def post(self, request):
        created = services.services_discover_from_alerts(organization=request.organization)
        return Response({"created": created})

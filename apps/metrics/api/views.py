"""API: metric sources under /api/v1/metrics/sources (+ test-connection)."""
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN
from aiops.api.viewsets import OrgScopedModelViewSet
from aiops.roles import Role

from .. import services
from ..filtersets import MetricSourceFilterSet
from ..models import MetricSource
from . import serializers as s


class MetricSourceViewSet(OrgScopedModelViewSet):
    """Prometheus-API sources (Prometheus, Thanos, Mimir, VictoriaMetrics). Credentials are write-only."""

    queryset = MetricSource.objects.all()
    serializer_class = s.MetricSourceSerializer
    filterset_class = MetricSourceFilterSet
    action_roles = {**CRUD_ADMIN, "test": Role.ADMIN}

    def perform_create(self, serializer):
        serializer.instance = services.source_create(
            organization=self.organization, created_by=self.request.user, **serializer.validated_data)

    @extend_schema(request=None, responses=s.TestResultSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Run `vector(1)` against the source; the answer says what failed."""
        ok, message = services.source_test_connection(source=self.get_object())
        return Response({"ok": ok, "message": message})

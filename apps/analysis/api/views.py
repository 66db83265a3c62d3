"""API viewsets (thin: parse, authorise, call a service) and the `POST .../{id}/analyze` endpoints."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from aiops.access import active_organization
from aiops.api.permissions import CRUD_ADMIN, READ, HasOrganizationRole
from aiops.api.viewsets import OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role
from apps.alerts.models import Alert

from .. import incident_support, services
from ..choices import SubjectType, Trigger
from ..filtersets import AnalysisFilterSet, AnalysisPolicyFilterSet, LLMCallFilterSet, LLMProviderFilterSet
from ..models import Analysis, AnalysisPolicy, LLMCall, LLMProvider
from ..subjects import Subject
from .serializers import (
    AnalysisPolicySerializer,
    AnalysisSerializer,
    AnalyzeRequestSerializer,
    LLMCallSerializer,
    LLMProviderSerializer,
)


class LLMProviderViewSet(OrgScopedModelViewSet):
    """LLM providers of the organisation.

    The API key is write-only: `api_key_set` tells whether one is stored.
    """

    queryset = LLMProvider.objects.all()
    serializer_class = LLMProviderSerializer
    filterset_class = LLMProviderFilterSet
    action_roles = {**CRUD_ADMIN, "test": Role.ADMIN}

    @extend_schema(request=None, responses=LLMProviderSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a tiny prompt to the provider and record whether and how fast it answered."""
        provider = services.provider_test(provider=self.get_object())
        return Response(self.get_serializer(provider).data)


class AnalysisPolicyViewSet(OrgScopedModelViewSet):
    """When analyses run automatically, with which provider, and the storm de-duplication window."""

    queryset = AnalysisPolicy.objects.select_related("provider")
    serializer_class = AnalysisPolicySerializer
    filterset_class = AnalysisPolicyFilterSet
    action_roles = CRUD_ADMIN


class AnalysisViewSet(OrgScopedReadOnlyViewSet):
    """Analyses, every version; filter by `alert`, `incident`, `status`, ...

    Reused rows show their source's sections.
    """

    queryset = Analysis.objects.select_related("reused_from")
    serializer_class = AnalysisSerializer
    filterset_class = AnalysisFilterSet
    action_roles = READ


class LLMCallViewSet(OrgScopedReadOnlyViewSet):
    """The ledger of provider calls: tokens, latency, status (behind rate limits and budgets)."""

    queryset = LLMCall.objects.all()
    serializer_class = LLMCallSerializer
    filterset_class = LLMCallFilterSet
    action_roles = READ


class SubjectAnalyzeView(APIView):
    """`POST /api/v1/alerts/{id}/analyze` and `/incidents/{id}/analyze`: queue a new version (202)."""

    permission_classes = [IsAuthenticated, HasOrganizationRole]
    action_roles = {"analyze": Role.OPERATOR}
    subject_type = SubjectType.ALERT

    def initial(self, request, *args, **kwargs):
        self.action = "analyze"  # the role check reads it; APIViews have no router-set action
        super().initial(request, *args, **kwargs)

    def perform_authentication(self, request):
        super().perform_authentication(request)
        request.organization = active_organization(request)

    def _subject(self, request, pk) -> Subject:
        if self.subject_type == SubjectType.ALERT:
            alert = Alert.objects.visible_to(request.user, request.organization).filter(pk=pk).first()
            if alert is None:
                raise Http404
            return Subject.for_alert(alert)
        incidents = incident_support.visible_incidents(request.user, request.organization)
        incident = incidents.filter(pk=pk).first() if incidents is not None else None
        if incident is None:
            raise Http404
        return Subject.for_incident(incident)

    @extend_schema(request=AnalyzeRequestSerializer, responses={202: AnalysisSerializer})
    def post(self, request, pk: int):
        subject = self._subject(request, pk)
        params = AnalyzeRequestSerializer(data=request.data or {}, context={"request": request})
        params.is_valid(raise_exception=True)
        analysis = services.analysis_request(
            subject=subject,
            trigger=Trigger.API,
            requested_by=request.user,
            provider=params.validated_data.get("provider"),
        )
        analysis.refresh_from_db()
        return Response(
            AnalysisSerializer(analysis, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class IncidentAnalyzeView(SubjectAnalyzeView):
    subject_type = SubjectType.INCIDENT

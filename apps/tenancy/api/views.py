from rest_framework import mixins, status
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedMixin, OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role

from .. import services
from ..filtersets import ApiTokenFilterSet, MembershipFilterSet, TeamFilterSet
from ..models import ApiToken, Membership, Organization, Team
from .serializers import ApiTokenSerializer, MembershipSerializer, OrganizationSerializer, TeamSerializer


class OrganizationViewSet(OrgScopedReadOnlyViewSet):
    """The active organisation (switch with `X-Organization` or an organisation-bound token)."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    action_roles = READ


class TeamViewSet(OrgScopedModelViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        serializer.instance = services.team_create(organization=self.organization, **serializer.validated_data)


class MembershipViewSet(OrgScopedReadOnlyViewSet):
    queryset = Membership.objects.select_related("user").prefetch_related("teams")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    action_roles = READ


class ApiTokenViewSet(OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.DestroyModelMixin, GenericViewSet):
    """Your API tokens. The secret is returned once, by `create`; `destroy` revokes."""

    queryset = ApiToken.objects.select_related("user")
    serializer_class = ApiTokenSerializer
    filterset_class = ApiTokenFilterSet
    action_roles = {**READ, "create": Role.VIEWER, "destroy": Role.VIEWER}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.api_token_create(
            user=request.user, organization=self.organization, name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        body = {**self.get_serializer(issued.token).data, "token": issued.plaintext}
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.api_token_revoke(token=instance)

"""API: /api/v1/gitsync/repositories (+ /{id}/sync, /{id}/pin, /{id}/test-connection, /{id}/deploy-key,
/{id}/trust-host-key), /api/v1/gitsync/sync-runs, /api/v1/gitsync/managed-runbooks, /api/v1/gitsync/push-deliveries."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role

from .. import git, services
from ..choices import Trigger
from ..filtersets import ManagedRunbookFilterSet, PushDeliveryFilterSet, RepositoryFilterSet, SyncRunFilterSet
from ..models import ManagedRunbook, PushDelivery, Repository, SyncRun
from . import serializers as s


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class BadGateway(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "remote_failed"


class RepositoryViewSet(OrgScopedModelViewSet):
    """Runbook repositories. Secrets are write-only; `webhook_url` is shown to admins."""

    queryset = Repository.objects.select_related("team")
    serializer_class = s.RepositorySerializer
    filterset_class = RepositoryFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = {
        **CRUD_ADMIN,
        "sync": Role.OPERATOR,
        "pin": Role.ADMIN,
        "test_connection": Role.ADMIN,
        "deploy_key": Role.ADMIN,
        "trust_host_key": Role.ADMIN,
    }

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Sync now: queued for a worker (202); the run appears under sync-runs."""
        services.repository_request_sync(repository=self.get_object(), trigger=Trigger.MANUAL, user=request.user)
        return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.PinSerializer, responses=s.RepositorySerializer)
    @action(detail=True, methods=["post"])
    def pin(self, request, pk=None):
        """Rollback: sync exactly this commit from now on (empty `commit` follows the branch again)."""
        body = s.PinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            repository = services.repository_pin(repository=self.get_object(), commit=body.validated_data["commit"],
                                                 user=request.user)
        except ValueError as exc:
            raise ValidationError({"commit": [str(exc)]}) from exc
        return Response(self.get_serializer(repository).data)

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request, pk=None):
        """ls-remote with the repository's credentials and pinned host key; answers the commit found."""
        try:
            sha = services.repository_test_connection(repository=self.get_object())
        except (git.GitError, ValueError) as exc:
            raise BadGateway(str(exc)) from exc
        return Response({"status": "ok", "commit": sha})

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"], url_path="deploy-key")
    def deploy_key(self, request, pk=None):
        """Generate a new ed25519 deploy key; answers its public key (add it to the server, read-only)."""
        return Response({"public_key": services.repository_generate_deploy_key(repository=self.get_object())})

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"], url_path="trust-host-key")
    def trust_host_key(self, request, pk=None):
        """Trust on first use: pin the ssh server's current host key; refused (409) once one is pinned."""
        try:
            lines = services.repository_trust_host_key(repository=self.get_object())
        except services.AlreadyPinned as exc:
            raise Conflict(str(exc)) from exc
        except ValueError as exc:
            raise ValidationError({"url": [str(exc)]}) from exc
        except git.GitError as exc:
            raise BadGateway(str(exc)) from exc
        return Response({"known_hosts": lines})

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(exc.message_dict)
        return super().handle_exception(exc)


class SyncRunViewSet(OrgScopedReadOnlyViewSet):
    """Every sync attempt with its per-file results (read-only)."""

    queryset = SyncRun.objects.select_related("requested_by")
    serializer_class = s.SyncRunSerializer
    filterset_class = SyncRunFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = READ


class ManagedRunbookViewSet(OrgScopedReadOnlyViewSet):
    """Which runbooks come from which file (read-only)."""

    queryset = ManagedRunbook.objects.select_related("repository")
    serializer_class = s.ManagedRunbookSerializer
    filterset_class = ManagedRunbookFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = READ


class PushDeliveryViewSet(OrgScopedReadOnlyViewSet):
    """Push webhook deliveries accepted (read-only)."""

    queryset = PushDelivery.objects.all()
    serializer_class = s.PushDeliverySerializer
    filterset_class = PushDeliveryFilterSet
    filter_backends = [DjangoFilterBackend]
    action_roles = READ

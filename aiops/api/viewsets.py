"""Base viewsets: scope every query through `visible_to(user).for_org(org)`; roles per action."""
from django.db import transaction
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from aiops.access import active_organization
from aiops.api.permissions import HasOrganizationRole


class OrgScopedMixin:
    """Queries see only the active organisation's visible rows; creates are stamped server-side."""

    permission_classes = [IsAuthenticated, HasOrganizationRole]
    action_roles: dict = None  # each subclass declares it (see aiops.api.permissions)

    def dispatch(self, request, *args, **kwargs):
        # A write runs in a savepoint, so a constraint the database refuses (mapped to 409/400 by
        # aiops.api.errors, which marks it for rollback) leaves nothing half-written behind.
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def perform_authentication(self, request):
        # Authentication happens inside DRF, so the organisation is resolved here, not in middleware.
        super().perform_authentication(request)
        request.organization = active_organization(request)

    @property
    def organization(self):
        return self.request.organization

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.visible_to(self.request.user, self.request.organization)

    def filter_queryset(self, queryset):
        # django-filter's backend, wherever a viewset names it, is the organisation-scoped one.
        from django_filters.rest_framework import DjangoFilterBackend

        from aiops.api.filters import OrgScopedFilterBackend

        for backend in list(self.filter_backends):
            if backend is DjangoFilterBackend:
                backend = OrgScopedFilterBackend
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer):
        extra = {"organization": self.request.organization}
        model = serializer.Meta.model
        if any(f.name == "created_by" for f in model._meta.concrete_fields):
            extra["created_by"] = self.request.user
        serializer.save(**extra)


class OrgScopedModelViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    pass


class OrgScopedReadOnlyViewSet(OrgScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass

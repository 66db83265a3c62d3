"""Base viewsets: scope every query through `visible_to(user).for_org(org)`; roles per action."""
from django.db import transaction
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from aiops.access import active_organization
from aiops.api.permissions import READ, HasOrganizationRole


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
        """The settings' backends (filters, then `?ordering=`), the same on every viewset.

        django-filter's backend, wherever a viewset names it, is the organisation-scoped one. A
        FilterSet that declares its own `ordering` filter (alerts sort severity by rank, not
        alphabetically) sorts alone: DRF's OrderingFilter reads the same parameter and would undo it.
        Viewsets should not override `filter_backends`; dropping OrderingFilter drops ordering.
        """
        from django_filters.rest_framework import DjangoFilterBackend
        from rest_framework.filters import OrderingFilter

        from aiops.api.filters import OrgScopedFilterBackend

        for backend in list(self.filter_backends):
            if backend is DjangoFilterBackend:
                backend = OrgScopedFilterBackend
            if issubclass(backend, OrderingFilter) and self.filterset_orders():
                continue
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def filterset_orders(self) -> bool:
        """Whether the viewset's FilterSet declares the `ordering` filter itself."""
        from rest_framework.settings import api_settings

        filterset_class = getattr(self, "filterset_class", None)
        return filterset_class is not None and api_settings.ORDERING_PARAM in filterset_class.base_filters

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


class OrgScopedReadViewSet(OrgScopedReadOnlyViewSet):
    """A collection every member reads and nobody writes through the API (results, history).

    List and detail at viewer; filters and `?ordering=` from the settings. A subclass names its
    `queryset`, `serializer_class` and `filterset_class`, and adds a role for each extra action.
    """

    action_roles = READ

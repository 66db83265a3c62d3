"""Portal view bases: login required, organisation-scoped querysets, role checks."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .access import access_for
from .roles import Role


class OrgScopedViewMixin(LoginRequiredMixin):
    """Lists and details show only rows `visible_to` the user in the active organisation."""

    model = None
    required_role: Role = Role.VIEWER

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if getattr(request, "organization", None) is None:
                raise Http404("no active organisation")
            self.check_role(self.required_role)
        return super().dispatch(request, *args, **kwargs)

    def check_role(self, role: Role) -> None:
        if not access_for(self.request.user).has_role(self.request.organization.pk, role):
            raise PermissionDenied

    def has_role(self, role: Role) -> bool:
        return access_for(self.request.user).has_role(self.request.organization.pk, role)

    def get_queryset(self):
        base = super().get_queryset() if hasattr(super(), "get_queryset") else self.model.objects.all()
        return base.visible_to(self.request.user, self.request.organization)

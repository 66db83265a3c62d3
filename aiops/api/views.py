"""An organisation-scoped APIView for endpoints that are not a model collection (graph, import).

`OrgScopedMixin` takes its role from `self.action`, which only viewsets set; here each HTTP
method names its action, so `action_roles` still decides, and a missing role is an error.
"""

from rest_framework.views import APIView

from aiops.api.viewsets import OrgScopedMixin
from aiops.roles import Role


class OrgScopedAPIView(OrgScopedMixin, APIView):
    method_actions: dict[str, str] = {}  # e.g. {"get": "retrieve", "put": "update"}

    def initial(self, request, *args, **kwargs):
        self.action = self.method_actions.get(request.method.lower())
        super().initial(request, *args, **kwargs)


class OrgScopedReadAPIView(OrgScopedAPIView):
    """A GET-only endpoint every member reads (a computed summary, one object's figures)."""

    method_actions = {"get": "retrieve"}
    action_roles = {"retrieve": Role.VIEWER}

"""Role per action: every viewset declares the role each of its actions needs.

A viewset action without a declared role is a configuration error, raised loudly, so a new
endpoint can never be open by omission.
"""
from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission

from aiops.access import access_for
from aiops.roles import Role

READ = {"list": Role.VIEWER, "retrieve": Role.VIEWER}
WRITE_ADMIN = {"create": Role.ADMIN, "update": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.ADMIN}
CRUD_ADMIN = {**READ, **WRITE_ADMIN}


def required_role(view) -> Role:
    roles = getattr(view, "action_roles", None)
    if roles is None:
        raise ImproperlyConfigured(f"{type(view).__name__} must declare action_roles")
    action = getattr(view, "action", None)
    if action in (None, "metadata"):  # OPTIONS (DRF names it "metadata") and unrouted methods
        return Role.VIEWER
    if action not in roles:
        raise ImproperlyConfigured(f"{type(view).__name__}.action_roles has no role for action {action!r}")
    return roles[action]


class HasOrganizationRole(BasePermission):
    """The request's user holds the action's role in the active organisation."""

    message = "Your role in this organisation does not allow this action."

    def has_permission(self, request, view):
        role = required_role(view)
        org = getattr(request, "organization", None)
        if org is None:
            self.message = "No active organisation: pass X-Organization or use an organisation-bound token."
            return False
        return access_for(request.user).has_role(org.pk, role)

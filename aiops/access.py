"""What a user may see: the data behind the `visible_to(user)` chokepoint.

The tenancy app owns memberships; it registers a loader here in its `ready()`, so the kernel
never imports it. An `Access` is computed once per user object and cached on it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .roles import Role


@dataclass(frozen=True)
class Access:
    user_id: int | None
    is_superuser: bool = False
    roles: dict[int, Role] = field(default_factory=dict)  # organization id -> role
    team_ids: frozenset[int] = frozenset()

    def role_in(self, organization_id: int | None) -> Role | None:
        if organization_id is None:
            return None
        return self.roles.get(organization_id)

    def has_role(self, organization_id: int | None, role: Role) -> bool:
        current = self.role_in(organization_id)
        return current is not None and current >= role

    @property
    def whole_org_ids(self) -> list[int]:
        """Organisations where the user sees every row (admins and owners)."""
        return [org for org, role in self.roles.items() if role >= Role.ADMIN]

    @property
    def member_org_ids(self) -> list[int]:
        return list(self.roles)


NO_ACCESS = Access(user_id=None)
_loader: Callable[[object], Access] | None = None
_active_org_resolver: Callable[[object], object] | None = None


def register_access_loader(loader: Callable[[object], Access]) -> None:
    global _loader
    _loader = loader


def register_active_organization_resolver(resolver: Callable[[object], object]) -> None:
    global _active_org_resolver
    _active_org_resolver = resolver


def access_for(user) -> Access:
    """The user's access, cached on the user object for the length of a request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_ACCESS
    cached = getattr(user, "_aiops_access", None)
    if cached is None:
        if _loader is None:
            raise RuntimeError("no access loader registered: is apps.tenancy installed?")
        cached = _loader(user)
        user._aiops_access = cached
    return cached


def forget_access(user) -> None:
    """Drop the cached access after a membership change."""
    if hasattr(user, "_aiops_access"):
        del user._aiops_access


def active_organization(request):
    """The organisation a request acts in (session choice, token binding or header)."""
    if _active_org_resolver is None:
        raise RuntimeError("no organisation resolver registered: is apps.tenancy installed?")
    return _active_org_resolver(request)

"""Reads about who belongs where: the access loader and the active-organisation resolver."""
from __future__ import annotations

from aiops.access import Access, access_for
from aiops.roles import Role

from .models import Membership, Organization

SESSION_KEY = "active_organization_id"
HEADER = "HTTP_X_ORGANIZATION"


def access_load(user) -> Access:
    """One query: the user's roles per organisation and team ids."""
    roles: dict[int, Role] = {}
    team_ids: set[int] = set()
    rows = Membership.objects.filter(user=user).values_list("organization_id", "role", "teams__id")
    for org_id, role, team_id in rows:
        roles[org_id] = Role(role)
        if team_id is not None:
            team_ids.add(team_id)
    return Access(user_id=user.pk, is_superuser=user.is_superuser, roles=roles, team_ids=frozenset(team_ids))


def organizations_for_user(user):
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(pk__in=access_for(user).member_org_ids).order_by("name")


def _lookup(user, ref: str) -> Organization | None:
    """An organisation named by slug or id, only if the user is a member of it."""
    ids = access_for(user).member_org_ids
    qs = Organization.objects.filter(pk__in=ids)
    org = qs.filter(slug=ref).first()
    if org is None and ref.isdigit():
        org = qs.filter(pk=int(ref)).first()
    return org


def active_organization_for_request(request) -> Organization | None:
    """Token binding first, then the X-Organization header, then the session's choice, then the first.

    Cached on the request; None when the user belongs to no organisation.
    """
    django_request = getattr(request, "_request", request)
    user = getattr(request, "user", None)
    token = getattr(request, "auth", None)
    token_org_id = getattr(token, "organization_id", None)
    # The portal middleware and DRF may authenticate differently: cache per (user, token).
    cache = django_request.__dict__.setdefault("_aiops_active_org", {})
    key = (getattr(user, "pk", None), getattr(token, "pk", None))
    if key in cache:
        return cache[key]
    org = None
    if user is not None and user.is_authenticated:
        header = django_request.META.get(HEADER, "").strip()
        session = getattr(django_request, "session", None)
        if token_org_id is not None:
            org = Organization.objects.filter(pk=token_org_id).first()
        elif header:
            org = _lookup(user, header)
        elif session is not None and session.get(SESSION_KEY):
            org = _lookup(user, str(session[SESSION_KEY]))
        if org is None and not header and token_org_id is None:
            org = organizations_for_user(user).first()
    cache[key] = org
    return org

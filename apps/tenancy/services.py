"""Write paths for organisations, teams, memberships and API tokens."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from aiops.access import forget_access
from aiops.roles import Role

from .models import ApiToken, Membership, Organization, Team

TOKEN_PREFIX = "aiops"


@transaction.atomic
def organization_create(*, name: str, slug: str | None = None, owner=None, settings: dict | None = None) -> Organization:
    """Create an organisation; the owner (if given) becomes its first member with the owner role."""
    org = Organization.objects.create(name=name, slug=slug or slugify(name), settings=settings or {})
    if owner is not None:
        membership_set(organization=org, user=owner, role=Role.OWNER)
    return org


def team_create(*, organization: Organization, name: str, slug: str | None = None) -> Team:
    return Team.objects.create(organization=organization, name=name, slug=slug or slugify(name))


@transaction.atomic
def membership_set(*, organization: Organization, user, role: Role, teams: list[Team] | None = None) -> Membership:
    """Give a user a role in an organisation (creating the membership) and, optionally, its teams.

    Admins and owners get Django staff status so they can reach the admin, where the
    organisation-scoped ModelAdmin limits them to their own organisation.
    """
    membership, _ = Membership.objects.update_or_create(organization=organization, user=user, defaults={"role": role})
    if teams is not None:
        foreign = [t for t in teams if t.organization_id != organization.pk]
        if foreign:
            raise ValueError("a membership can only hold teams of its own organisation")
        membership.teams.set(teams)
    if role >= Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_access(user)
    return membership


def user_get_or_create(*, username: str, email: str = "", password: str | None = None):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if password is not None and (created or not user.has_usable_password()):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user, created


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once to the user, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user, organization: Organization, name: str, expires_at: datetime | None = None) -> IssuedToken:
    """Issue a token; the caller shows `plaintext` once. Only a SHA-256 hash is stored."""
    if not Membership.objects.filter(user=user, organization=organization).exists():
        raise PermissionError("the user is not a member of this organisation")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, organization=organization, name=name, prefix=prefix, key_hash=_hash(secret), expires_at=expires_at
    )
    return IssuedToken(token=token, plaintext=f"{TOKEN_PREFIX}_{prefix}_{secret}")


def api_token_authenticate(plaintext: str) -> ApiToken | None:
    """The active token a plaintext names, or None. Constant-time hash comparison."""
    try:
        marker, prefix, secret = plaintext.split("_", 2)
    except ValueError:
        return None
    if marker != TOKEN_PREFIX or not (prefix.isascii() and prefix.isalnum()):
        return None
    token = ApiToken.objects.select_related("user", "organization").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)) or not token.is_active:
        return None
    if not token.user.is_active:
        return None
    # Do not write on every request: a minute's precision is enough for "last used".
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token

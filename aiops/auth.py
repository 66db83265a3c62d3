"""Failed-authentication throttling for the login forms (portal and admin) and the API.

A user name tried from one address is locked for `AIOPS_LOGIN_LOCKOUT_SECONDS` after
`AIOPS_LOGIN_MAX_FAILURES` failures; one address is locked after `AIOPS_LOGIN_IP_MAX_FAILURES`
failures whatever the names (password spraying). The API counts failed token authentications per
address (`AIOPS_API_AUTH_MAX_FAILURES`) and answers 429 beyond. Counters live in the cache
(Redis in production, so every web process shares them).
"""
from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import ratelimit


def client_ip(request) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _name_key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"login:u:{digest}"


def login_locked(username: str, ip: str) -> bool:
    window = settings.AIOPS_LOGIN_LOCKOUT_SECONDS
    return (ratelimit.count(_name_key(username, ip), window_seconds=window) >= settings.AIOPS_LOGIN_MAX_FAILURES
            or ratelimit.count(f"login:ip:{ip}", window_seconds=window) >= settings.AIOPS_LOGIN_IP_MAX_FAILURES)


def login_failed(username: str, ip: str) -> None:
    window = settings.AIOPS_LOGIN_LOCKOUT_SECONDS
    ratelimit.hit(_name_key(username, ip), limit=10**9, window_seconds=window)
    ratelimit.hit(f"login:ip:{ip}", limit=10**9, window_seconds=window)


def api_auth_locked(ip: str) -> bool:
    return ratelimit.count(f"apiauth:{ip}", window_seconds=60) >= settings.AIOPS_API_AUTH_MAX_FAILURES


def api_auth_failed(ip: str) -> None:
    ratelimit.hit(f"apiauth:{ip}", limit=10**9, window_seconds=60)


class ThrottledLoginMixin:
    """Refuses to even check the password while the name (from this address) is locked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-ins. Try again in %(minutes)d minutes."),
    }

    locked = False

    def clean(self):
        username = str(self.data.get("username") or "")
        ip = client_ip(self.request)
        if login_locked(username, ip):
            self.locked = True
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked",
                params={"minutes": max(1, settings.AIOPS_LOGIN_LOCKOUT_SECONDS // 60)},
            )
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                login_failed(username, ip)
            raise


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    error_messages = {**AdminAuthenticationForm.error_messages, **ThrottledLoginMixin.error_messages}

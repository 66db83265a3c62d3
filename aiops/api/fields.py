"""Serializer fields that keep the tenancy rules: related ids resolve inside the organisation."""
from rest_framework import serializers

from aiops.access import active_organization
from aiops.querysets import scope_choices


def request_organization(request):
    """The organisation the API request acts in (resolved once by the viewset)."""
    if hasattr(request, "organization"):
        return request.organization
    return active_organization(request)


class OrgScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id looked up only among rows the user sees in the active organisation.

    Another organisation's id therefore reads as "does not exist", never as a leak. It is
    `OrgOwnedSerializer`'s default related field, so a serializer gets it without asking.
    """

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is None:  # no request, no user: nothing can be chosen
            return qs.none()
        return scope_choices(qs, request.user, request_organization(request))


class SecretField(serializers.CharField):
    """Write-only secret: accepted on write, never returned (see `SecretsMixin` for the `*_set` flag)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)

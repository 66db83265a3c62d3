"""Serializer fields that keep the tenancy rules: related ids resolve inside the organisation."""
from rest_framework import serializers

from aiops.access import active_organization


class OrgScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id looked up only among rows the user sees in the active organisation.

    Another organisation's id therefore reads as "does not exist", never as a leak.
    """

    def get_queryset(self):
        request = self.context["request"]
        qs = super().get_queryset()
        return qs.visible_to(request.user).for_org(active_organization(request))


class SecretField(serializers.CharField):
    """Write-only secret: accepted on write, never returned (see `SecretsMixin` for the `*_set` flag)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "apps.tenancy"
    label = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self):
        from aiops.access import register_access_loader, register_active_organization_resolver

        from . import selectors

        register_access_loader(selectors.access_load)
        register_active_organization_resolver(selectors.active_organization_for_request)
        _register_related_scopes()


def _register_related_scopes():
    """Users and organisations offered as choices: only the active organisation's."""
    from django.contrib.auth import get_user_model

    from aiops.querysets import register_related_scope

    from .models import Organization

    def org_id(organization):
        return getattr(organization, "pk", organization)

    register_related_scope(Organization, lambda qs, user, org: qs.filter(pk=org_id(org)) if org else qs.none())
    register_related_scope(
        get_user_model(),
        lambda qs, user, org: qs.filter(memberships__organization_id=org_id(org)).distinct() if org else qs.none(),
    )

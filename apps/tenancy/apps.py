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

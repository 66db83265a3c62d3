from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    label = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from django.urls import reverse_lazy  # noqa: F401  (nav resolves lazily)

        from aiops.panels import register_nav_item

        register_nav_item(_("Alerts"), "alerts:list", order=10)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    label = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from .views import register_portal

        register_portal()  # nav link and dashboard panels

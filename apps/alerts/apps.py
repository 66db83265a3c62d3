from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    label = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from aiops import demo, schedules

        from . import demo as alerts_demo
        from .views import register_portal

        register_portal()  # nav link and dashboard panels
        schedules.register_periodic_task(
            "alerts: prune raw payloads",
            "alerts.prune_raw_payloads",
            every_seconds=3600,
            queue="default",
            description="Delete stored webhook bodies older than ALERTS_RAW_PAYLOAD_RETENTION_DAYS.",
        )
        demo.register_seeder("alerts", alerts_demo.seed, order=50)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "apps.metrics"
    label = "metrics"
    verbose_name = _("Metrics")

    def ready(self):
        from django.utils.translation import gettext_lazy

        from aiops.panels import register_nav_item

        register_nav_item(gettext_lazy("Metric sources"), "metrics:list", order=85)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogsConfig(AppConfig):
    name = "apps.logs"
    label = "logs"
    verbose_name = _("Logs")

    def ready(self):
        from django.apps import apps

        from aiops import events
        from aiops.demo import register_seeder

        from . import tasks
        from .demo import seed
        from .panels import register_panels

        # Log backends answer in seconds, not milliseconds: off the default queue's fast work.
        events.subscribe("alert.received", tasks.fetch_alert_logs, queue="analysis", batch=True)
        register_panels()
        register_seeder("logs", seed, order=60)
        if apps.is_installed("apps.analysis"):
            from apps.analysis.context import register_context_provider

            from .ai_context import log_context

            register_context_provider("logs", log_context, order=40)

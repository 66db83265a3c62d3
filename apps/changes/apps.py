from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "apps.changes"
    label = "changes"
    verbose_name = _("Changes")

    def ready(self):
        from django.apps import apps

        from aiops import events

        from . import tasks
        from .panels import register_panels

        # Scoring is quick and bounded (a few indexed queries): the default queue, not "analysis".
        events.subscribe("alert.received", tasks.correlate_alert, queue="default", batch=True)
        events.subscribe("change.recorded", tasks.correlate_change, queue="default", batch=True)
        register_panels()
        if apps.is_installed("apps.analysis"):
            from apps.analysis.context import register_context_provider

            from .ai_context import change_context

            # After the alert itself (10) and its incident (20): a change is the usual prime suspect.
            register_context_provider("changes", change_context, order=25)

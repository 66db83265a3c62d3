from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "apps.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self):
        from aiops import events
        from apps.analysis.context import register_context_provider

        from . import panels, tasks
        from .learning import learning_context

        # Quick, bounded queries: the default queue, never the slow "analysis" one.
        events.subscribe("analysis.completed", tasks.check_repeat, queue="default")
        # After the alert (10), its incident (20) and recent changes (25); before the generic history (30).
        register_context_provider("feedback", learning_context, order=27)
        panels.register()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelineConfig(AppConfig):
    name = "apps.timeline"
    label = "timeline"
    verbose_name = _("Timeline")

    def ready(self):
        from aiops import events
        from aiops.panels import register_panel

        from . import panels, sentences, tasks  # noqa: F401 - sentences registers the built-in formatters

        # Every catalogued event, so later apps' events land on the timeline without changes here.
        for name in events.CATALOGUE:
            events.subscribe(name, tasks.timeline_record_event, queue="default", batch=True)
        template = "timeline/panel.html"
        register_panel("incident_detail", "timeline", template, context=panels.incident_panel, order=40)
        register_panel("alert_detail", "timeline", template, context=panels.alert_panel, order=40)

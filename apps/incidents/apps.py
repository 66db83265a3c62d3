from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "apps.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from aiops import events
        from aiops.panels import register_nav_item, register_panel

        from . import selectors, tasks

        events.subscribe("alert.received", tasks.correlate_alerts, queue="default", batch=True)
        events.subscribe("alert.resolved", tasks.alerts_resolved, queue="default", batch=True)
        register_nav_item(_("Incidents"), "incidents:list", order=20)
        register_panel(
            "dashboard",
            "incidents-active",
            "incidents/panels/active.html",
            context=selectors.active_incidents_panel,
            order=20,
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "apps.analysis"
    label = "analysis"
    verbose_name = _("Analysis")

    def ready(self):
        from aiops import events
        from aiops.panels import register_nav_item, register_panel

        from . import knowledge, panels, tasks
        from .context_providers import register_builtin_providers

        knowledge.entries()  # validate the knowledge base now: a broken YAML file fails at start-up, loudly
        register_builtin_providers()
        # Deciding whether to analyse is quick (default queue); the analysis itself runs on "analysis".
        # In batches: a storm's webhook is one decision message, de-duplicated in one transaction.
        events.subscribe("alert.received", tasks.on_alert_received, queue="default", batch=True)
        events.subscribe("incident.created", tasks.on_incident_event, queue="default", batch=True)
        events.subscribe("incident.alert_added", tasks.on_incident_event, queue="default", batch=True)
        register_panel(
            "alert_detail", "analysis", "analysis/panel.html", context=panels.alert_panel, order=20
        )
        register_panel(
            "incident_detail", "analysis", "analysis/panel.html", context=panels.incident_panel, order=20
        )
        register_nav_item(_("Analyses"), "analysis:list", order=60)

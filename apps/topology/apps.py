from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TopologyConfig(AppConfig):
    name = "apps.topology"
    label = "topology"
    verbose_name = _("Topology")

    def ready(self):
        from aiops import events
        from aiops.panels import register_nav_item

        from . import tasks

        events.subscribe("alert.received", tasks.discover_from_alert, queue="default")
        register_nav_item(_("Topology"), "topology:graph", order=40)

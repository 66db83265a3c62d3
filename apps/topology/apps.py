from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TopologyConfig(AppConfig):
    name = "apps.topology"
    label = "topology"
    verbose_name = _("Topology")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TopologyConfig(AppConfig):
    name = "apps.topology"
    label = "topology"
    verbose_name = _("Topology")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from aiops import demo, events
        from aiops.panels import register_nav_item

        from . import demo as topology_demo
        from . import graph, tasks
        from .models import Dependency, Service

        def forget_graph(sender, instance, **kwargs):
            # This process sees its own edits at once; other processes within the cache TTL.
            graph.forget(instance.organization_id)

        for model in (Service, Dependency):
            post_save.connect(forget_graph, sender=model, weak=False, dispatch_uid=f"topology-forget-{model.__name__}")
            post_delete.connect(forget_graph, sender=model, weak=False,
                                dispatch_uid=f"topology-forget-del-{model.__name__}")

        events.subscribe("alert.received", tasks.discover_from_alert, queue="default", batch=True)
        register_nav_item(_("Topology"), "topology:graph", order=40)
        demo.register_seeder("topology", topology_demo.seed, order=40)  # before the alert storm (50)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GitsyncConfig(AppConfig):
    name = "apps.gitsync"
    label = "gitsync"
    verbose_name = _("Runbook Git sync")

    def ready(self):
        from aiops import demo, panels, schedules
        from apps.runbooks.guards import register_owner_lookup

        from . import conf
        from .demo import seed
        from .selectors import runbook_owner

        register_owner_lookup(runbook_owner)
        panels.register_nav_item(_("Runbook Git"), "gitsync:list", order=61)
        schedules.register_periodic_task(
            "gitsync: scheduled and requested syncs", "gitsync.tick",
            every_seconds=conf.tick_seconds(), queue="default",
            description="Syncs each enabled runbook repository when its interval is due or a sync was requested.",
        )
        demo.register_seeder("gitsync", seed, order=75)

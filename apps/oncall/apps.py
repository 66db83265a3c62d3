from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OncallConfig(AppConfig):
    name = "apps.oncall"
    label = "oncall"
    verbose_name = _("On-call")

    def ready(self):
        from aiops import demo, panels, schedules

        from . import demo as oncall_demo
        from . import panels as oncall_panels
        from .conf import check_seconds

        panels.register_nav_item(_("On-call"), "oncall:index", order=65)
        panels.register_panel("dashboard", "oncall", "oncall/panels/dashboard.html",
                              context=oncall_panels.dashboard_panel, order=55)
        schedules.register_periodic_task(
            "oncall: shift changes and coverage gaps",
            "oncall.check_schedules",
            every_seconds=max(1, int(check_seconds())),
            queue="default",
            description="Announce who is now on call, and warn of gaps in the next 14 days.",
        )
        demo.register_seeder("oncall", oncall_demo.seed, order=45)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapacityConfig(AppConfig):
    name = "apps.capacity"
    label = "capacity"
    verbose_name = _("Capacity")

    def ready(self):
        from aiops import demo, panels, schedules

        from . import conf
        from .demo import seed

        panels.register_nav_item(_("Capacity"), "capacity:index", order=47)
        schedules.register_periodic_task(
            "capacity: scan resources", "capacity.scan_all", every_seconds=conf.scan_every_seconds(),
            queue="forecast", description="Usage, trend, time to 80/90/100 % and threshold alerts per resource.")
        schedules.register_periodic_task(
            "capacity: weekly and monthly reports", "capacity.scheduled_reports",
            every_seconds=conf.report_check_seconds(), queue="default",
            description="Generate and e-mail this week's and this month's capacity report once.")
        demo.register_seeder("capacity", seed, order=75)

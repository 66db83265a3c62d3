from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RunbooksConfig(AppConfig):
    name = "apps.runbooks"
    label = "runbooks"
    verbose_name = _("Runbooks")

    def ready(self):
        from aiops import events, panels

        from . import portal_panels, tasks

        events.subscribe("alert.received", tasks.on_alert_received, queue="default")
        panels.register_panel(
            "alert_detail",
            "runbooks",
            "runbooks/panels/alert_runbooks.html",
            context=portal_panels.alert_panel_context,
            order=40,
        )
        panels.register_panel(
            "dashboard",
            "runbook-approvals",
            "runbooks/panels/dashboard_approvals.html",
            context=portal_panels.dashboard_context,
            order=60,
        )
        panels.register_nav_item(_("Runbooks"), "runbooks:list", order=60)
        post_migrate.connect(register_beat_task, sender=self)


def register_beat_task(sender, **kwargs):
    """Create (or re-time) the periodic timer task; idempotent, so every migrate may run it."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from .conf import timer_interval

    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=timer_interval(), period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name="runbooks: approval timeouts and delayed triggers",
        defaults={"task": "runbooks.timers", "interval": schedule, "queue": "default", "enabled": True},
    )

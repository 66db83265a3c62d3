from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class RunbooksConfig(AppConfig):
    name = "apps.runbooks"
    label = "runbooks"
    verbose_name = _("Runbooks")

    def ready(self):
        from aiops import events, panels, schedules

        from . import portal_panels, tasks
        from .conf import timer_interval

        events.subscribe("alert.received", tasks.on_alert_received, queue="default", batch=True)
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
        if apps.is_installed("apps.analysis"):
            from apps.analysis.runbook_hooks import register_runbook_suggester

            from .suggestions import suggest

            register_runbook_suggester(suggest)
        schedules.register_periodic_task(
            "runbooks: approval timeouts and delayed triggers", "runbooks.timers",
            every_seconds=timer_interval(), queue="default",
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The domain events the SLA clocks are computed from (plus what suggests a breach's reason).
CLOCK_EVENTS = (
    "alert.received", "alert.acknowledged", "alert.unacknowledged", "alert.resolved", "alert.silenced",
    "incident.created", "incident.status_changed", "incident.root_cause_changed",
    "escalation.fired", "runbook.execution_finished", "sla.paused", "sla.resumed",
)


class SlaConfig(AppConfig):
    name = "apps.sla"
    label = "sla"
    verbose_name = _("SLA")

    def ready(self):
        from aiops import events, panels, schedules

        from . import conf, tasks
        from . import panels as sla_panels
        from .demo import register as register_demo

        for name in CLOCK_EVENTS:
            events.subscribe(name, tasks.handle_event, queue="default", batch=True)
        panels.register_panel("alert_detail", "sla", "sla/panels/clocks.html", context=sla_panels.alert_panel, order=15)
        panels.register_panel("incident_detail", "sla", "sla/panels/clocks.html",
                              context=sla_panels.incident_panel, order=15)
        panels.register_nav_item(_("SLA"), "sla:dashboard", order=75)
        schedules.register_periodic_task(
            "sla: fire due timers", "sla.fire_timers", every_seconds=max(1, int(conf.tick_seconds())),
            queue="default", description="SLA warnings and breaches that are due (claimed with SKIP LOCKED).")
        schedules.register_periodic_task(
            "sla: monthly compliance report", "sla.monthly_reports", every_seconds=conf.report_check_seconds(),
            queue="default", description="Generate and e-mail last month's compliance report once.")
        register_demo()

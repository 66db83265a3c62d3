from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from aiops import events, panels, schedules

        from . import panels as notification_panels
        from . import tasks
        from .conf import tick_seconds
        from .services.events import HANDLED_EVENTS

        for name in HANDLED_EVENTS:
            events.subscribe(name, tasks.handle_event, queue="notify", batch=True)
        from .services.oncall import ANNOUNCED_EVENTS

        for name in ANNOUNCED_EVENTS:
            events.subscribe(name, tasks.oncall_announce, queue="notify", batch=True)
        for slot, context in (
            ("alert_detail", notification_panels.alert_panel),
            ("incident_detail", notification_panels.incident_panel),
        ):
            panels.register_panel(
                slot, "notifications", "notifications/panels/history.html", context=context, order=60
            )
        panels.register_panel("dashboard", "notifications", "notifications/panels/dashboard.html",
                              context=notification_panels.dashboard_panel, order=60)
        panels.register_nav_item(_("Notifications"), "notifications:index", order=60)
        tick = max(1, int(tick_seconds()))
        schedules.register_periodic_task(
            "notifications: fire due timers",
            "notifications.fire_timers",
            every_seconds=tick,
            queue="notify",
            description="Escalation levels, grouping waits and digests that are due.",
        )
        schedules.register_periodic_task(
            "notifications: re-scan the outbox",
            "notifications.rescan_outbox",
            every_seconds=tick * 3,
            queue="notify",
            description="Send pending deliveries whose send was lost (worker killed, restart).",
        )
        schedules.register_periodic_task(
            "notifications: prune bookkeeping",
            "notifications.prune",
            every_seconds=24 * 3600,
            queue="notify",
            description="Forget fired timers past NOTIFICATIONS_RETENTION_DAYS.",
        )

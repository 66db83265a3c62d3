from django.apps import AppConfig


class AiopsConfig(AppConfig):
    name = "aiops"
    verbose_name = "AIOps kernel"

    def ready(self):
        from django.contrib import admin

        from . import heartbeat, schedules
        from .auth import ThrottledAdminAuthenticationForm

        admin.site.login_form = ThrottledAdminAuthenticationForm  # failed admin sign-ins are throttled too
        schedules.connect()
        heartbeat.connect()
        schedules.register_periodic_task(
            "kernel: sweep the event outbox",
            "aiops.sweep_events",
            every_seconds=5,
            queue="ingest",
            description="Events a subscriber has not processed within the grace period (lost message, "
                        "killed worker, broker outage) are sent to it again.",
        )
        schedules.register_periodic_task(
            "kernel: prune the event outbox",
            "aiops.prune_events",
            every_seconds=3600,
            description="Events, receipts and process heartbeats past their retention are deleted.",
        )

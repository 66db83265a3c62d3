from django.apps import AppConfig


class AiopsConfig(AppConfig):
    name = "aiops"
    verbose_name = "AIOps kernel"

    def ready(self):
        from . import schedules

        schedules.connect()
        schedules.register_periodic_task(
            "kernel: send parked event messages",
            "aiops.send_parked",
            every_seconds=10,
            queue="ingest",
            description="Event messages the broker refused (it was down) are sent once it answers.",
        )

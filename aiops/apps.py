from django.apps import AppConfig


class AiopsConfig(AppConfig):
    name = "aiops"
    verbose_name = "AIOps kernel"

    def ready(self):
        from . import schedules

        schedules.connect()

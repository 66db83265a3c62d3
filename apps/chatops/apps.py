from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatopsConfig(AppConfig):
    name = "apps.chatops"
    label = "chatops"
    verbose_name = _("ChatOps")

    def ready(self):
        from aiops import events
        from apps.notifications.messages import register_message_extender

        from . import tasks
        from .buttons import extend_message

        register_message_extender(extend_message)
        events.subscribe("incident.created", tasks.open_incident_channels, queue="default")

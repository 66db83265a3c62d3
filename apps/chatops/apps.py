from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatopsConfig(AppConfig):
    name = "apps.chatops"
    label = "chatops"
    verbose_name = _("ChatOps")

    def ready(self):
        from apps.notifications.messages import register_message_extender

        from .buttons import extend_message

        register_message_extender(extend_message)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatopsConfig(AppConfig):
    name = "apps.chatops"
    label = "chatops"
    verbose_name = _("ChatOps")

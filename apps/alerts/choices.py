from django.db import models
from django.utils.translation import gettext_lazy as _


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager / Grafana Alerting")
    GENERIC = "generic", _("Generic JSON")


class AuthType(models.TextChoices):
    NONE = "none", _("None (the secret URL is the credential)")
    BEARER = "bearer", _("Bearer token")
    BASIC = "basic", _("Basic auth")


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Info")


SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.WARNING: 2, Severity.INFO: 1}


class ActionSource(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Alertmanager")
    INTEGRATION = "integration", _("Integration")
    WEB = "web", _("Web portal")
    API = "api", _("API")
    CHAT = "chat", _("Chat")
    SYSTEM = "system", _("System")


class AlertEventKind(models.TextChoices):
    FIRED = "fired", _("Fired")
    UPDATED = "updated", _("Updated by a re-sent notification")
    RESOLVED = "resolved", _("Resolved")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    UNACKNOWLEDGED = "unacknowledged", _("Acknowledgment withdrawn")
    SILENCED = "silenced", _("Silenced")
    UNSILENCED = "unsilenced", _("Silence lifted")
    ASSIGNED = "assigned", _("Assigned")

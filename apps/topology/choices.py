from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceType(models.TextChoices):
    API = "api", _("API / web service")
    WEB = "web", _("Web front end")
    WORKER = "worker", _("Worker")
    DATABASE = "database", _("Database")
    CACHE = "cache", _("Cache")
    QUEUE = "queue", _("Queue / stream")
    STORAGE = "storage", _("Storage")
    NETWORK = "network", _("Network")
    EXTERNAL = "external", _("External service")
    OTHER = "other", _("Other")


class Tier(models.TextChoices):
    TIER1 = "tier1", _("Tier 1 (business critical)")
    TIER2 = "tier2", _("Tier 2")
    TIER3 = "tier3", _("Tier 3")


class DiscoveredFrom(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    ALERT = "alert", _("Discovered from alert labels")
    IMPORT = "import", _("Imported from a file")


class DependencyKind(models.TextChoices):
    SYNC = "sync", _("Synchronous call")
    ASYNC = "async", _("Asynchronous (queue, events)")
    DATABASE = "database", _("Database")
    CACHE = "cache", _("Cache")
    EXTERNAL = "external", _("External")


class Criticality(models.TextChoices):
    CRITICAL = "critical", _("Critical: the source fails without it")
    DEGRADED = "degraded", _("Degraded: the source works worse without it")
    OPTIONAL = "optional", _("Optional")

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResourceKind(models.TextChoices):
    CPU = "cpu", _("CPU")
    MEMORY = "memory", _("Memory")
    DISK = "disk", _("Disk")
    NETWORK = "network", _("Network bandwidth")
    DB_CONNECTIONS = "db_connections", _("Database connections")
    QUEUE_DEPTH = "queue_depth", _("Queue depth")
    CUSTOM = "custom", _("Custom")


class Unit(models.TextChoices):
    PERCENT = "percent", _("%")
    BYTES = "bytes", _("bytes")
    BITS_PER_SECOND = "bps", _("bits/s")
    COUNT = "count", _("count")
    CORES = "cores", _("cores")


class Trend(models.TextChoices):
    INCREASING = "increasing", _("Increasing")
    STABLE = "stable", _("Stable")
    DECREASING = "decreasing", _("Decreasing")
    UNKNOWN = "unknown", _("Not enough history")


class ReportType(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    ON_DEMAND = "on_demand", _("On demand")

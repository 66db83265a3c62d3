from django.db import models
from django.utils.translation import gettext_lazy as _


class ModelChoice(models.TextChoices):
    AUTO = "auto", _("Fast models, picked per series by backtest")
    AUTO_PROPHET = "auto_prophet", _("Fast models and Prophet, picked per series by backtest")
    PROPHET = "prophet", _("Prophet only")


class AnomalyType(models.TextChoices):
    SPIKE = "spike", _("Spike")
    DROP = "drop", _("Drop")
    TREND_CHANGE = "trend_change", _("Trend change")
    PATTERN_BREAK = "pattern_break", _("Pattern break")


class AnomalySeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Direction(models.TextChoices):
    ABOVE = "above", _("rises above")
    BELOW = "below", _("falls below")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")

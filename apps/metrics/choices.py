from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    PROMETHEUS = "prometheus", _("Prometheus")
    THANOS = "thanos", _("Thanos Query")
    MIMIR = "mimir", _("Grafana Mimir")
    VICTORIAMETRICS = "victoriametrics", _("VictoriaMetrics")


class SourceAuth(models.TextChoices):
    NONE = "none", _("None")
    BEARER = "bearer", _("Bearer token")
    BASIC = "basic", _("Basic auth")
    HEADERS = "headers", _("Custom headers")

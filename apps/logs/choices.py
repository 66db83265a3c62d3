"""The closed vocabularies of log context (gap 4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    LOKI = "loki", _("Loki (LogQL)")
    ELASTICSEARCH = "elasticsearch", _("Elasticsearch / OpenSearch (Query DSL)")
    CLOUDWATCH = "cloudwatch", _("CloudWatch Logs Insights")
    SPLUNK = "splunk", _("Splunk (SPL)")


class ContextStatus(models.TextChoices):
    OK = "ok", _("ok")
    EMPTY = "empty", _("no logs found")
    ERROR = "error", _("error")
    UNAVAILABLE = "unavailable", _("logs unavailable")

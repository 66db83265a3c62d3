"""Event kinds grouped into types: the lanes of the SVG, the colours, and the API's `type` field.

A type is the event name's prefix ("alert", "change", ...), except that comments and runbook
executions get their own, as in the plan's timeline (alert, change, execution, comment).
"""
from django.utils.translation import gettext_lazy as _

SPECIAL_TYPES = {
    "incident.commented": "comment",
    "runbook.execution_started": "execution",
    "runbook.execution_finished": "execution",
}

# Lane order top to bottom: causes first (changes), then symptoms, then the response.
TYPE_LABELS = {
    "change": _("Changes"),
    "prediction": _("Forecasts"),
    "anomaly": _("Anomalies"),
    "alert": _("Alerts"),
    "incident": _("Incident"),
    "analysis": _("Analysis"),
    "notification": _("Notifications"),
    "escalation": _("Escalations"),
    "sla": _("SLA"),
    "comment": _("Comments"),
    "runbook": _("Runbooks"),
    "execution": _("Executions"),
    "gitsync": _("Runbook sync"),
    "feedback": _("Feedback"),
}

TYPE_COLOURS = {
    "change": "#6a3fb5",
    "prediction": "#00838f",
    "anomaly": "#00838f",
    "alert": "#c62828",
    "incident": "#1d2330",
    "analysis": "#2456d6",
    "notification": "#5b6472",
    "escalation": "#ad1457",
    "sla": "#e65100",
    "comment": "#8d6e00",
    "runbook": "#2e7d32",
    "execution": "#2e7d32",
    "gitsync": "#2e7d32",
    "feedback": "#5b6472",
}
OTHER_COLOUR = "#7b8494"

# Kinds whose meaning differs from their lane's colour (recovery is green, attention amber).
KIND_COLOURS = {
    "alert.resolved": "#2e7d32",
    "alert.acknowledged": "#e08a00",
    "alert.silenced": "#7b8494",
    "alert.assigned": "#e08a00",
    "gitsync.sync_failed": "#c62828",
}


def entry_type(kind: str) -> str:
    return SPECIAL_TYPES.get(kind) or kind.split(".", 1)[0]


def type_label(type_: str) -> str:
    return str(TYPE_LABELS.get(type_, type_.replace("_", " ").capitalize()))


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind) or TYPE_COLOURS.get(entry_type(kind), OTHER_COLOUR)


def lane_order(type_: str) -> int:
    order = list(TYPE_LABELS)
    return order.index(type_) if type_ in order else len(order)

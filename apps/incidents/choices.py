from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Root cause identified")
    MITIGATED = "mitigated", _("Mitigated")
    RESOLVED = "resolved", _("Resolved")


ACTIVE_STATUSES = [
    IncidentStatus.OPEN,
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MITIGATED,
]

# Which moves a person may make. Forward moves may skip steps (a page can go straight to
# "mitigated"); backward moves exist because a root cause can turn out wrong or a fix regress.
# Leaving "resolved" is a re-open (see services.incident_set_status for its extra rules).
TRANSITIONS: dict[str, set[str]] = {
    IncidentStatus.OPEN: {
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MITIGATED,
        IncidentStatus.RESOLVED,
    },
    IncidentStatus.INVESTIGATING: {
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MITIGATED,
        IncidentStatus.RESOLVED,
    },
    IncidentStatus.IDENTIFIED: {
        IncidentStatus.INVESTIGATING,
        IncidentStatus.MITIGATED,
        IncidentStatus.RESOLVED,
    },
    IncidentStatus.MITIGATED: {
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.RESOLVED,
    },
    IncidentStatus.RESOLVED: {IncidentStatus.OPEN, IncidentStatus.INVESTIGATING},
}


class Strategy(models.TextChoices):
    OPENED = "opened", _("Opened the incident")
    TEMPORAL = "temporal", _("Temporal window")
    TOPOLOGY = "topology", _("Service topology")
    LABEL = "label", _("Label match")
    GROUP_KEY = "group_key", _("Alertmanager group")
    MANUAL = "manual", _("Added by a person")
    MERGE = "merge", _("Merged from another incident")


class AssignRole(models.TextChoices):
    ASSIGNEE = "assignee", _("Assignee")
    COMMANDER = "commander", _("Incident commander")

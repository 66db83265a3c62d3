"""What is being analysed: an alert or an incident, behind one small interface.

Context providers, prompts and the offline analyser receive a `Subject`, so they need not care
which kind it is (and a provider from another app never touches incident models directly).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext_lazy as _

from . import incident_support
from .choices import SubjectType


def alert_signature(alert) -> str:
    """Alerts with the same name and service are "the same problem" for storm de-duplication."""
    return hashlib.sha1(f"{alert.name}\x00{alert.service}".encode()).hexdigest()


@dataclass
class Subject:
    kind: str  # SubjectType value
    obj: object

    @classmethod
    def for_alert(cls, alert) -> Subject:
        return cls(SubjectType.ALERT, alert)

    @classmethod
    def for_incident(cls, incident) -> Subject:
        return cls(SubjectType.INCIDENT, incident)

    @property
    def is_alert(self) -> bool:
        return self.kind == SubjectType.ALERT

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def organization_id(self) -> int:
        return self.obj.organization_id

    @property
    def team_id(self) -> int | None:
        return self.obj.team_id

    @property
    def kind_label(self) -> str:
        return str(_("alert")) if self.is_alert else str(_("incident"))

    @property
    def title(self) -> str:
        if self.is_alert:
            alert = self.obj
            where = ", ".join(v for v in (alert.service, alert.instance) if v)
            return f"{alert.name} ({where})" if where else alert.name
        return incident_support.incident_label(self.obj)

    @property
    def signature(self) -> str:
        return alert_signature(self.obj) if self.is_alert else ""

    @cached_property
    def alerts(self) -> list:
        """The alert itself, or the incident's alerts (root cause first, bounded)."""
        if self.is_alert:
            return [self.obj]
        return incident_support.incident_alerts(self.obj)

    @property
    def primary_alert(self):
        return self.alerts[0] if self.alerts else None

    @cached_property
    def incident(self):
        """The incident: the subject itself, or the one the alert belongs to (None if any)."""
        return self.obj if not self.is_alert else incident_support.incident_of_alert(self.obj)

    def analysis_filter(self) -> dict:
        """Keyword filter selecting this subject's analyses."""
        return {"alert_id": self.pk} if self.is_alert else {"incident_id": self.pk, "subject_type": self.kind}

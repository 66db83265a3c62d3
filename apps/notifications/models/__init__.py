"""Models of the notifications app, one module per area."""

from .channels import NotificationChannel
from .delivery import (
    NotificationDelivery,
    NotificationSubject,
    NotificationThread,
    NotificationTimer,
    SubjectAlert,
)
from .escalation import Escalation, EscalationLevel, EscalationPolicy
from .rules import NotificationRule, Snooze

__all__ = [
    "NotificationChannel",
    "NotificationRule",
    "Snooze",
    "EscalationPolicy",
    "EscalationLevel",
    "Escalation",
    "NotificationSubject",
    "SubjectAlert",
    "NotificationThread",
    "NotificationDelivery",
    "NotificationTimer",
]

"""Write paths of the notifications app (HackSoft services), one module per concern."""

from .config import (
    channel_create,
    channel_send_test,
    channel_update,
    escalation_policy_make_default,
    escalation_policy_save,
    rule_create,
    rule_update,
    snooze_create,
    snooze_end,
)
from .dispatch import deliveries_send, deliveries_send_leased, delivery_retry, delivery_send, outbox_rescan
from .escalations import escalation_cancel
from .events import event_process, events_process
from .timers import housekeeping_prune, timers_fire_due

__all__ = [
    "channel_create",
    "channel_update",
    "channel_send_test",
    "rule_create",
    "rule_update",
    "escalation_policy_save",
    "escalation_policy_make_default",
    "snooze_create",
    "snooze_end",
    "delivery_send",
    "deliveries_send",
    "deliveries_send_leased",
    "delivery_retry",
    "outbox_rescan",
    "escalation_cancel",
    "event_process",
    "events_process",
    "timers_fire_due",
    "housekeeping_prune",
]

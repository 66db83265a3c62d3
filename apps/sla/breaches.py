"""Breach reasons: suggested from the item's timeline, chosen by a person at resolution."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from .choices import BreachReason
from .choices import ItemEventKind as K
from .compute import Fact
from .models import SLABreach


class BreachReasonError(ValueError):
    """A reason that is not one of the choices, or "other" without text."""

def suggest(facts: list[Fact], clock) -> tuple[str, str]:
    """(reason, evidence) from what happened to the item, or ("", "") when nothing stands out.

    A failed runbook points at the runbook; a re-open or a root cause that changed at a complex
    root cause; escalations that reached level 2 or more before anyone acknowledged at on-call.
    """
    kinds = [f.kind for f in sorted(facts, key=lambda f: f.at)]
    acked_at = next((f.at for f in facts if f.kind == K.ACKNOWLEDGED), None)
    if K.RUNBOOK_FAILED in kinds:
        return BreachReason.RUNBOOK_FAILURE, _("A runbook run failed on this alert.")
    escalations = [f for f in facts if f.kind == K.ESCALATED and (acked_at is None or f.at < acked_at)]
    if len(escalations) >= 2 or (clock.target == "mtta" and escalations):
        return BreachReason.ONCALL_UNAVAILABLE, _(
            "No acknowledgment before escalation reached level %(n)s.") % {"n": len(escalations) + 1}
    if K.REOPENED in kinds:
        return BreachReason.COMPLEX_ROOT_CAUSE, _("The item was re-opened after a resolution.")
    if K.ROOT_CAUSE_CHANGED in kinds and kinds.count(K.ROOT_CAUSE_CHANGED) > 1:
        return BreachReason.COMPLEX_ROOT_CAUSE, _("The root cause changed during the response.")
    if any(f.kind == K.PAUSED and f.reason == "third_party" for f in facts):
        return BreachReason.THIRD_PARTY, _("The response waited on a third party.")
    return "", ""

@transaction.atomic
def breach_set_reason(*, breach: SLABreach, reason: str, text: str = "", user=None) -> SLABreach:
    """Record why a breach happened (on-call, root cause, runbook, third party, or other with text)."""
    if reason not in BreachReason.values:
        raise BreachReasonError(_("Unknown breach reason %(reason)r.") % {"reason": reason})
    if reason == BreachReason.OTHER and not text.strip():
        raise BreachReasonError(_("Say what the other reason was."))
    breach = SLABreach.objects.select_for_update().get(pk=breach.pk)
    breach.reason, breach.reason_text = reason, text.strip()[:2000]
    breach.save(update_fields=["reason", "reason_text", "updated_at"])
    return breach

"""Buttons ChatOps adds to the notifications app's Slack messages (in organisations with a workspace).

The Slack app's interactivity URL then points at /hooks/chatops/slack/, which acts as the linked
portal user with that user's role (see `slack.handle_action`).
"""
from django.utils.translation import gettext as _

from . import conf
from .models import SlackWorkspace
from .slack import APPROVE, REJECT, RESOLVE, SILENCE


def extend_message(msg, *, organization_id=None, ctx=None, data=None) -> None:
    from apps.notifications.messages import Action

    if organization_id is None or not SlackWorkspace.objects.filter(
            organization_id=organization_id, enabled=True).exists():
        return
    kind = msg.subject_key.split(":", 1)[0]
    state = (ctx or {}).get("state")
    if kind in ("alert", "incident") and state != "resolved":
        msg.actions.append(Action(_("Resolve"), action_id=RESOLVE, value=msg.subject_key))
        msg.actions.append(Action(_("Silence %(d)s") % {"d": conf.default_silence()}, action_id=SILENCE,
                                  value=msg.subject_key))
    if kind == "execution" and msg.event_name == "runbook.approval_needed":
        msg.actions.append(Action(_("Approve"), action_id=APPROVE, value=msg.subject_key, style="primary"))
        msg.actions.append(Action(_("Reject"), action_id=REJECT, value=msg.subject_key, style="danger"))

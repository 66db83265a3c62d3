"""Buttons ChatOps adds to the notifications app's Slack messages (in organisations with a workspace).

The Slack app's interactivity URL then points at /hooks/chatops/slack/, which acts as the linked
portal user with that user's role (see `slack.handle_action`).
"""
from django.utils.translation import gettext as _

from . import conf
from .models import SlackWorkspace
from .slack import APPROVE, REJECT, RESOLVE, RUN, SILENCE, VIEW

MAX_RUN_BUTTONS = 3


def suggested_runbooks(organization_id: int, alert_id: int) -> list:
    """What the alert page suggests: the latest analysis's runbook, then the runbooks whose trigger matches."""
    from apps.alerts.models import Alert
    from apps.analysis.models import Analysis
    from apps.runbooks.models import Runbook
    from apps.runbooks.selectors import runbooks_for_alert

    alert = Alert.objects.filter(organization_id=organization_id, pk=alert_id).first()
    if alert is None:
        return []
    found = []
    latest = (Analysis.objects.filter(organization_id=organization_id, alert=alert, status="ok")
              .order_by("-version").values_list("suggested_runbook", flat=True).first())
    named = (latest or {}).get("id") if isinstance(latest, dict) else None
    if isinstance(named, int):
        runbook = Runbook.objects.filter(organization_id=organization_id, pk=named, enabled=True).first()
        if runbook is not None and (runbook.team_id is None or runbook.team_id == alert.team_id):
            found.append(runbook)
    for runbook, _trigger in runbooks_for_alert(alert):
        if runbook not in found:
            found.append(runbook)
    return found[:MAX_RUN_BUTTONS]


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
    if kind == "alert" and state != "resolved":
        ident = msg.subject_key.split(":", 1)[1]
        runbooks = suggested_runbooks(organization_id, int(ident)) if ident.isdigit() else []
        if runbooks:  # interactive Run buttons replace the link to the portal's runbook form
            msg.actions = [a for a in msg.actions if not (a.url and a.url.endswith("#runbooks"))]
        for number, runbook in enumerate(runbooks):
            msg.actions.append(Action(_("Run %(name)s") % {"name": runbook.name}, action_id=f"{RUN}_{number}",
                                      value=f"runbook:{runbook.pk}:{msg.subject_key}"))
    if kind in ("alert", "incident"):
        msg.actions.append(Action(_("View"), action_id=VIEW, value=msg.subject_key))
    if kind == "execution" and msg.event_name == "runbook.approval_needed":
        msg.actions.append(Action(_("Approve"), action_id=APPROVE, value=msg.subject_key, style="primary"))
        msg.actions.append(Action(_("Reject"), action_id=REJECT, value=msg.subject_key, style="danger"))

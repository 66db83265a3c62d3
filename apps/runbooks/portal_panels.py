"""Panels this app adds to other pages: runbook suggestions on the alert page, approvals on the dashboard."""

from aiops.access import access_for
from aiops.roles import Role

from .forms import RunForm
from .models import Runbook, RunbookExecution, SshTarget
from .selectors import executions_for_alert, pending_approvals, runbooks_for_alert


def _usable(request, obj) -> bool:
    organization = getattr(request, "organization", None) if request is not None else None
    return organization is not None and getattr(obj, "organization_id", None) == organization.pk


def alert_panel_context(request, alert):
    """Matching runbooks (with a run form each) and this alert's executions; None hides the panel."""
    if not _usable(request, alert):
        return None
    user, organization = request.user, request.organization
    matches = runbooks_for_alert(alert, queryset=Runbook.objects.visible_to(user, organization))
    targets = SshTarget.objects.visible_to(user, organization).filter(enabled=True)
    suggestions = [
        {
            "runbook": runbook,
            "trigger": trigger,
            "form": RunForm(
                definition=runbook.definition, targets=targets, alert=alert, prefix=f"rb{runbook.pk}"
            ),
        }
        for runbook, trigger in matches
    ]
    return {
        "runbook_suggestions": suggestions,
        "runbook_executions": executions_for_alert(
            alert, queryset=RunbookExecution.objects.visible_to(user, organization)
        ),
        "can_run_runbooks": access_for(request.user).has_role(request.organization.pk, Role.OPERATOR),
    }


def dashboard_context(request, organization):
    if request is None or getattr(request, "organization", None) is None:
        return None
    waiting = pending_approvals(queryset=RunbookExecution.objects.visible_to(request.user, request.organization))
    return {"runbook_approvals": list(waiting[:5]), "runbook_approvals_count": waiting.count()}

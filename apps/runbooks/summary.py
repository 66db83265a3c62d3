"""The compact execution summary every runbook.* event carries (consumers never import our models)."""

from aiops.links import absolute_reverse


def execution_url(execution) -> str:
    return absolute_reverse("runbooks:execution-detail", kwargs={"pk": execution.pk})


def execution_summary(execution) -> dict:
    return {
        "execution_id": execution.pk,
        "runbook_id": execution.runbook_id,
        "runbook_name": execution.runbook_name,
        "runbook_version": execution.runbook_version,
        "status": execution.status,
        "status_reason": execution.status_reason,
        "trigger": execution.trigger,
        "reason": execution.reason,
        "alert_id": execution.alert_id,
        "team_id": execution.team_id,
        "requested_by_id": execution.requested_by_id,
        "target": execution.target_display,
        "approval_due_at": execution.approval_due_at.isoformat() if execution.approval_due_at else None,
        "started_at": execution.started_at.isoformat() if execution.started_at else None,
        "finished_at": execution.finished_at.isoformat() if execution.finished_at else None,
        "url": execution_url(execution),
    }

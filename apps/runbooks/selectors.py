"""Read queries shared by triggers, the alert page panel, the API and the portal."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .choices import ExecutionStatus
from .matching import matching_trigger
from .models import Runbook, RunbookExecution


def runbooks_for_alert(alert, *, queryset: QuerySet | None = None, modes=None) -> list[tuple[Runbook, dict]]:
    """Enabled runbooks whose triggers match the alert, with the trigger that matched.

    Organisation-wide runbooks match any alert; a team's runbook only that team's alerts.
    """
    qs = queryset if queryset is not None else Runbook.objects.all()
    qs = qs.filter(organization_id=alert.organization_id, enabled=True)
    qs = (
        qs.filter(Q(team__isnull=True) | Q(team_id=alert.team_id))
        if alert.team_id
        else qs.filter(team__isnull=True)
    )
    if modes:
        qs = qs.filter(mode__in=modes)
    found = []
    for runbook in qs.order_by("name"):
        trigger = matching_trigger(
            runbook.definition, name=alert.name, severity=alert.severity, labels=alert.labels or {}
        )
        if trigger is not None:
            found.append((runbook, trigger))
    return found


def executions_for_alert(
    alert, *, queryset: QuerySet | None = None, limit: int = 20
) -> list[RunbookExecution]:
    qs = queryset if queryset is not None else RunbookExecution.objects.all()
    return list(
        qs.filter(alert=alert).select_related("requested_by", "decided_by").order_by("-created_at")[:limit]
    )


def pending_approvals(*, queryset: QuerySet) -> QuerySet:
    return queryset.filter(status=ExecutionStatus.PENDING_APPROVAL).order_by("approval_due_at")

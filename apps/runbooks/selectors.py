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
    return _matching(_candidates(qs, alert.organization_id, {alert.team_id}, modes), alert)


def runbooks_for_alerts(alerts, *, modes=None) -> dict[int, list[tuple[Runbook, dict]]]:
    """`runbooks_for_alert` for a batch of one organisation's alerts, with one query: {alert id: matches}."""
    if not alerts:
        return {}
    runbooks = _candidates(Runbook.objects.all(), alerts[0].organization_id, {a.team_id for a in alerts}, modes)
    return {alert.pk: _matching(runbooks, alert) for alert in alerts}


def _candidates(qs: QuerySet, organization_id: int, team_ids: set, modes) -> list[Runbook]:
    """The enabled runbooks that alerts of these teams (None: no team) may trigger, by name."""
    qs = qs.filter(organization_id=organization_id, enabled=True)
    qs = qs.filter(Q(team__isnull=True) | Q(team_id__in=team_ids - {None}))
    if modes:
        qs = qs.filter(mode__in=modes)
    return list(qs.order_by("name"))


def _matching(runbooks: list[Runbook], alert) -> list[tuple[Runbook, dict]]:
    found = []
    for runbook in runbooks:
        if runbook.team_id is not None and runbook.team_id != alert.team_id:
            continue
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

"""Read queries shared by the portal panels, the pages and the API."""

from __future__ import annotations

from django.db.models import Avg, Count, Q

from apps.analysis.selectors import analyses_for
from apps.runbooks.choices import ExecutionStatus
from apps.runbooks.models import Runbook, RunbookExecution

from .choices import POSITIVE, Section
from .models import AnalysisFeedback, RemediationFeedback, SuccessfulRemediation

RATEABLE_RUNS = (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.ROLLED_BACK)


def latest_analysis(*, user, organization, subject_type: str, pk: int):
    """The newest analysis version of an alert or incident the user may see (what the panel rates)."""
    return analyses_for(user=user, organization=organization, subject_type=subject_type, pk=pk).first()


def feedback_summary(*, analysis, user, organization) -> dict:
    """Everyone's verdicts on one analysis, as counts, helpful share and average stars."""
    qs = RemediationFeedback.objects.visible_to(user, organization).filter(analysis=analysis)
    row = qs.aggregate(
        count=Count("id"),
        positive=Count("id", filter=Q(feedback_type__in=POSITIVE)),
        average=Avg("rating"),
    )
    sections = (
        AnalysisFeedback.objects.visible_to(user, organization)
        .filter(analysis=analysis)
        .values("analysis_section")
        .annotate(total=Count("id"), accurate=Count("id", filter=Q(is_accurate=True)))
        .order_by()
    )
    by_section = {r["analysis_section"]: r for r in sections}
    return {
        "count": row["count"],
        "positive": row["positive"],
        "positive_percent": round(100 * row["positive"] / row["count"]) if row["count"] else None,
        "average": round(row["average"], 1) if row["average"] is not None else None,
        "sections": [
            {"key": s.value, "label": s.label, **by_section.get(s.value, {"total": 0, "accurate": 0})} for s in Section
        ],
    }


def my_feedback(*, analysis, user) -> RemediationFeedback | None:
    return RemediationFeedback.objects.filter(analysis=analysis, user=user).first()


def my_sections(*, analysis, user) -> dict[str, AnalysisFeedback]:
    return {f.analysis_section: f for f in AnalysisFeedback.objects.filter(analysis=analysis, user=user)}


def alert_runs(*, alert, user, organization) -> list[RunbookExecution]:
    """The alert's runbook executions that ran to an end, newest first, with the user's verdict."""
    runs = list(
        RunbookExecution.objects.visible_to(user, organization)
        .filter(alert=alert, status__in=RATEABLE_RUNS)
        .select_related("runbook")
        .order_by("-created_at")[:10]
    )
    mine = {
        f.execution_id: f
        for f in RemediationFeedback.objects.filter(execution__in=runs, analysis__isnull=True, user=user)
    }
    for run in runs:
        run.my_feedback = mine.get(run.pk)
    return runs


def execution_feedback(*, execution, user, organization):
    return (
        RemediationFeedback.objects.visible_to(user, organization)
        .filter(execution=execution, analysis__isnull=True)
        .select_related("user")
        .order_by("-updated_at")
    )


def runbook_choices(*, user, organization):
    return Runbook.objects.visible_to(user, organization).filter(enabled=True).order_by("name")


def library(*, user, organization):
    return SuccessfulRemediation.objects.visible_to(user, organization).select_related("runbook", "verified_by")


def fix_suggestion(*, analysis, user) -> str:
    """What the "Mark as successful fix" form starts with: the user's "what fixed it", else the lead step."""
    from .services import lead_suggestion

    mine = my_feedback(analysis=analysis, user=user) if analysis else None
    if mine and mine.correct_action:
        return mine.correct_action
    return lead_suggestion(analysis) if analysis else ""

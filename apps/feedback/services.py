"""Write paths of ratings: rate an analysis or a runbook run, judge its sections (library.py curates fixes).

Each rating is one row per person and thing rated (rating again edits it) and records a snapshot
of what was judged (see models.Judgement). Every write publishes `feedback.recorded` after
commit. Role checks happen in the views (operators and above write); the rules live here.
Problems are Django ValidationErrors with field names, which the portal and the API show as-is.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aiops import events
from apps.analysis.choices import AnalysisStatus, SubjectType
from apps.runbooks.choices import RAN_STATUSES, ExecutionStatus

from .choices import POSITIVE, FeedbackType, Section
from .models import AnalysisFeedback, RemediationFeedback
from .outcomes import execution_text
from .text import is_negated, normalise

# --- what was judged ---------------------------------------------------------------------------


def _incident(organization_id: int, pk: int | None):
    if pk is None:
        return None
    from apps.incidents.models import Incident

    return Incident.objects.for_org(organization_id).filter(pk=pk).first()


def primary_alert(incident):
    if incident is None:
        return None
    if incident.root_cause_alert_id:
        return incident.root_cause_alert
    from apps.alerts.models import Alert

    return Alert.objects.filter(incident_link__incident=incident).order_by("starts_at", "id").first()


def lead_suggestion(analysis) -> str:
    """The first remediation step that suggests something (not a "do not ..." warning)."""
    for step in analysis.effective.remediation or []:
        text = normalise(str(step.get("step", "")) if isinstance(step, dict) else str(step))
        if text and not is_negated(text):
            return text
    return ""


def analysis_snapshot(analysis) -> dict:
    """Subject rows and the Judgement fields of an analysis."""
    effective = analysis.effective
    incident = (
        _incident(analysis.organization_id, analysis.incident_id)
        if analysis.subject_type == SubjectType.INCIDENT
        else None
    )
    alert = analysis.alert if analysis.alert_id else primary_alert(incident)
    return {
        "alert": alert,  # an incident's analysis counts for its primary alert, where similarity finds it
        "incident": incident,
        "team_id": analysis.team_id,
        "alert_pattern": alert.name if alert else "",
        "service": alert.service if alert else "",
        "suggestion": lead_suggestion(analysis),
        "suggested_runbook": (effective.suggested_runbook or {}).get("name") or "",
        "provider_kind": effective.provider_kind,
        "model_name": effective.model_name,
    }


def _check_finished(analysis) -> None:
    if analysis.effective.status not in (AnalysisStatus.OK, AnalysisStatus.FAILED):
        raise ValidationError({"analysis": _("This analysis has not finished yet; rate it when it has.")})


def _check_rating(rating) -> None:
    if rating is not None and not (isinstance(rating, int) and 1 <= rating <= 5):
        raise ValidationError({"rating": _("Give a whole number of stars from 1 to 5.")})


def _check_type(feedback_type: str) -> None:
    if feedback_type not in FeedbackType.values:
        raise ValidationError(
            {"feedback_type": _("Choose one of: %(values)s.") % {"values": ", ".join(FeedbackType.values)}}
        )


def publish_recorded(name_kind: str, row, *, user, **data) -> None:
    events.publish(
        "feedback.recorded",
        org=row.organization_id,
        subject=row,
        actor=user,
        kind=name_kind,
        team_id=row.team_id,
        **data,
    )


def _publish_rating(kind: str, row: RemediationFeedback, *, user, created: bool, **ids) -> None:
    publish_recorded(
        kind,
        row,
        user=user,
        feedback_id=row.pk,
        alert_id=row.alert_id,
        feedback_type=row.feedback_type,
        helpful=row.feedback_type in POSITIVE,
        rating=row.rating,
        created=created,
        **ids,
    )


# --- ratings ---------------------------------------------------------------------------------------


UNSET = object()  # "leave as it is": a thumbs-up click must not erase the stars given earlier


def type_from_rating(rating: int | None) -> str | None:
    """A first click on the stars alone still needs a verdict: 4-5 helpful, 3 partially, 1-2 not."""
    if rating is None:
        return None
    return (
        FeedbackType.HELPFUL
        if rating >= 4
        else FeedbackType.PARTIALLY_HELPFUL
        if rating == 3
        else FeedbackType.NOT_HELPFUL
    )


def _verdict_fields(row, *, feedback_type, rating, comment, correct_action) -> dict:
    """The verdict fields to store: given values, else the row's current ones, else the defaults."""
    current = {
        "feedback_type": getattr(row, "feedback_type", None),
        "rating": getattr(row, "rating", None),
        "comment": getattr(row, "comment", ""),
        "correct_action": getattr(row, "correct_action", ""),
    }
    given = {
        "feedback_type": feedback_type,
        "rating": rating,
        "comment": comment,
        "correct_action": correct_action,
    }
    values = {k: (current[k] if v is UNSET else v) for k, v in given.items()}
    values["comment"] = (values["comment"] or "").strip()
    values["correct_action"] = (values["correct_action"] or "").strip()
    _check_rating(values["rating"])
    if not values["feedback_type"]:
        values["feedback_type"] = type_from_rating(values["rating"])
    if not values["feedback_type"]:
        raise ValidationError({"feedback_type": _("Say whether it helped (or give stars).")})
    _check_type(values["feedback_type"])
    return values


@transaction.atomic
def feedback_record(
    *,
    analysis,
    user,
    feedback_type=UNSET,
    rating=UNSET,
    comment=UNSET,
    correct_action=UNSET,
    sections: list[dict] | None = None,
) -> tuple[RemediationFeedback, bool]:
    """Record or edit `user`'s one verdict on an analysis (fields not given keep their value),
    with per-section verdicts if given."""
    _check_finished(analysis)
    row = RemediationFeedback.objects.select_for_update().filter(user=user, analysis=analysis).first()
    values = _verdict_fields(
        row, feedback_type=feedback_type, rating=rating, comment=comment, correct_action=correct_action
    )
    row, created = RemediationFeedback.objects.update_or_create(
        user=user,
        analysis=analysis,
        defaults={"organization_id": analysis.organization_id, **values, **analysis_snapshot(analysis)},
    )
    for item in sections or []:
        section_record(analysis=analysis, user=user, publish=False, **item)
    _publish_rating(
        "analysis",
        row,
        user=user,
        created=created,
        analysis_id=analysis.pk,
        incident_id=row.incident_id,
        provider_kind=row.provider_kind,
    )
    return row, created


@transaction.atomic
def section_record(
    *, analysis, user, section: str, is_accurate: bool, correction: str = "", publish: bool = True
) -> tuple[AnalysisFeedback, bool]:
    """Record (or edit) whether one section of an analysis was accurate, and the user's correction."""
    _check_finished(analysis)
    if section not in Section.values:
        raise ValidationError({"section": _("Choose one of: %(values)s.") % {"values": ", ".join(Section.values)}})
    if not isinstance(is_accurate, bool):
        raise ValidationError({"is_accurate": _("Say true or false.")})
    snapshot = analysis_snapshot(analysis)
    if section != Section.REMEDIATION:
        snapshot.update(suggestion="", suggested_runbook="")
    row, created = AnalysisFeedback.objects.update_or_create(
        user=user,
        analysis=analysis,
        analysis_section=section,
        defaults={
            "organization_id": analysis.organization_id,
            "is_accurate": is_accurate,
            "user_correction": (correction or "").strip(),
            **snapshot,
        },
    )
    if publish:
        publish_recorded(
            "section",
            row,
            user=user,
            section_feedback_id=row.pk,
            analysis_id=analysis.pk,
            alert_id=row.alert_id,
            section=section,
            is_accurate=is_accurate,
            created=created,
        )
    return row, created


@transaction.atomic
def execution_feedback_record(
    *, execution, user, feedback_type=UNSET, rating=UNSET, comment=UNSET, correct_action=UNSET
) -> tuple[RemediationFeedback, bool]:
    """Record or edit `user`'s verdict on a runbook execution: did running it fix the problem?"""
    if execution.status not in RAN_STATUSES or execution.status == ExecutionStatus.RUNNING:
        raise ValidationError({"execution": _("Only a runbook execution that ran to its end can be rated.")})
    row = (
        RemediationFeedback.objects.select_for_update()
        .filter(user=user, execution=execution, analysis__isnull=True)
        .first()
    )
    values = _verdict_fields(
        row, feedback_type=feedback_type, rating=rating, comment=comment, correct_action=correct_action
    )
    alert = execution.alert
    name = execution.runbook.slug if execution.runbook_id else execution.runbook_name
    row, created = RemediationFeedback.objects.update_or_create(
        user=user,
        execution=execution,
        analysis=None,
        defaults={
            "organization_id": execution.organization_id,
            "team_id": execution.team_id,
            "alert": alert,
            **values,
            "alert_pattern": alert.name if alert else "",
            "service": alert.service if alert else "",
            "suggestion": execution_text(name),
            "suggested_runbook": name,
        },
    )
    _publish_rating("execution", row, user=user, created=created, execution_id=execution.pk)
    return row, created

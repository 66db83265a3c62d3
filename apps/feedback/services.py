"""Write paths of the feedback loop: rate an analysis or a runbook run, judge sections, curate fixes.

Each rating is one row per person and thing rated (rating again edits it) and records a snapshot
of what was judged (see models.Judgement). Every write publishes `feedback.recorded` after
commit. Role checks happen in the views (operators and above write); the rules live here.
Problems are Django ValidationErrors with field names, which the portal and the API show as-is.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from aiops import events
from apps.analysis.choices import AnalysisStatus, SubjectType
from apps.runbooks.choices import RAN_STATUSES, ExecutionStatus

from .choices import POSITIVE, FeedbackType, FixSource, Section
from .models import AnalysisFeedback, RemediationFeedback, RepeatCheck, SuccessfulRemediation
from .outcomes import execution_text, outcomes_for, split
from .text import is_negated, normalise, same_action, same_advice

# Labels that name one pod, process or scrape: they make two episodes of one problem look different.
VOLATILE_LABELS = frozenset(
    {
        "alertname",
        "instance",
        "pod",
        "pod_name",
        "container_id",
        "id",
        "uid",
        "endpoint",
        "prometheus",
        "prometheus_replica",
        "receive",
        "fingerprint",
        "pid",
        "image_id",
    }
)


def key_labels(labels: dict | None) -> dict:
    return {k: v for k, v in sorted((labels or {}).items()) if k not in VOLATILE_LABELS and v not in (None, "")}


# --- what was judged ---------------------------------------------------------------------------


def _incident(organization_id: int, pk: int | None):
    if pk is None:
        return None
    from apps.incidents.models import Incident

    return Incident.objects.for_org(organization_id).filter(pk=pk).first()


def _primary_alert(incident):
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
    alert = analysis.alert if analysis.alert_id else _primary_alert(incident)
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


def _published(name_kind: str, row, *, user, **data) -> None:
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
    _published(
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
        _published(
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


# --- the library -----------------------------------------------------------------------------------


def _from_source(*, alert, incident, execution) -> dict:
    """Defaults for a library entry marked from an alert, an incident or an execution."""
    if execution is not None:
        alert = alert or execution.alert
    if incident is not None and alert is None:
        alert = _primary_alert(incident)
    defaults = {"source_alert": alert, "source_incident": incident, "source_execution": execution}
    if alert is not None:
        defaults.update(
            alert_pattern=alert.name,
            alert_labels=key_labels(alert.labels),
            service=alert.service,
            problem_summary=alert.summary or alert.description or alert.name,
            team_id=alert.team_id,
        )
    if incident is not None:
        defaults.update(problem_summary=incident.title, team_id=incident.team_id)
        defaults.setdefault("service", incident.root_cause_service_name)
    if execution is not None:
        name = execution.runbook.slug if execution.runbook_id else execution.runbook_name
        defaults.update(solution_summary=f"Ran the runbook {name}", runbook=execution.runbook)
    if alert is not None and "solution_summary" not in defaults:
        said = (
            RemediationFeedback.objects.filter(alert=alert).exclude(correct_action="").order_by("-updated_at").first()
        )
        if said is not None:
            defaults["solution_summary"] = said.correct_action
    return defaults


@transaction.atomic
def remediation_mark_successful(
    *, organization, user, alert=None, incident=None, execution=None, **fields
) -> tuple[SuccessfulRemediation, bool]:
    """ "Mark as successful fix": add the fix to the library, or count it again if it is there.

    `fields` (alert_pattern, alert_labels, service, problem_summary, solution_summary, runbook,
    manual_steps) override what the alert, incident or execution suggests. The same solution
    (in other words too) for the same pattern is one entry confirmed several times.
    """
    sources = [s for s in (alert, incident, execution) if s is not None]
    if len(sources) > 1:
        raise ValidationError(_("Mark a fix from one alert, incident or runbook execution, not several."))
    for source in sources:
        if source.organization_id != getattr(organization, "pk", organization):
            raise ValidationError(_("That alert, incident or execution belongs to another organisation."))
    values = _from_source(alert=alert, incident=incident, execution=execution)
    values.update({k: v for k, v in fields.items() if v not in (None, "")})
    values["alert_labels"] = values.get("alert_labels") or {}
    errors = {}
    for name in ("alert_pattern", "problem_summary", "solution_summary"):
        values[name] = str(values.get(name) or "").strip()
        if not values[name]:
            errors[name] = _("This field is required.")
    if not isinstance(values["alert_labels"], dict):
        errors["alert_labels"] = _("Give the labels as an object of name → value.")
    if errors:
        raise ValidationError(errors)
    runbook = values.get("runbook")
    if runbook is not None and runbook.organization_id != getattr(organization, "pk", organization):
        raise ValidationError({"runbook": _("Unknown runbook.")})
    source = (
        FixSource.EXECUTION
        if execution
        else FixSource.INCIDENT
        if incident
        else FixSource.ALERT
        if alert
        else FixSource.MANUAL
    )
    existing = next(
        (
            e
            for e in SuccessfulRemediation.objects.select_for_update()
            .for_org(organization)
            .filter(alert_pattern__iexact=values["alert_pattern"], is_active=True)
            if same_advice(e.solution_summary, values["solution_summary"])
        ),
        None,
    )
    now = timezone.now()
    if existing is not None:
        existing.success_count = F("success_count") + 1
        existing.verified_by, existing.verified_at = user, now
        steps = values.get("manual_steps", "")
        if steps and steps not in existing.manual_steps:
            existing.manual_steps = f"{existing.manual_steps}\n\n{steps}".strip()
        if runbook is not None and existing.runbook_id is None:
            existing.runbook = runbook
        existing.save()
        existing.refresh_from_db()
        entry, created = existing, False
    else:
        entry = SuccessfulRemediation.objects.create(
            organization_id=getattr(organization, "pk", organization),
            created_by=user,
            verified_by=user,
            verified_at=now,
            source=source,
            **values,
        )
        created = True
    _published(
        "successful_fix",
        entry,
        user=user,
        remediation_id=entry.pk,
        alert_id=entry.source_alert_id,
        incident_id=entry.source_incident_id,
        execution_id=entry.source_execution_id,
        alert_pattern=entry.alert_pattern,
        success_count=entry.success_count,
        created=created,
    )
    return entry, created


EDITABLE = (
    "alert_pattern",
    "alert_labels",
    "service",
    "problem_summary",
    "solution_summary",
    "runbook",
    "manual_steps",
    "is_active",
)


@transaction.atomic
def remediation_update(*, entry: SuccessfulRemediation, user, **fields) -> SuccessfulRemediation:
    """Edit a library entry (curation); whoever edits it verifies it again."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    errors = {
        n: _("This field is required.")
        for n in ("alert_pattern", "problem_summary", "solution_summary")
        if not getattr(entry, n)
    }
    if errors:
        raise ValidationError(errors)
    if entry.runbook_id and entry.runbook.organization_id != entry.organization_id:
        raise ValidationError({"runbook": _("Unknown runbook.")})
    entry.verified_by, entry.verified_at = user, timezone.now()
    entry.save()
    return entry


def remediations_mark_used(*, ids) -> int:
    """Count that these entries were shown to the analyser as examples (one UPDATE)."""
    return SuccessfulRemediation.objects.filter(pk__in=list(ids)).update(
        use_count=F("use_count") + 1, last_used_at=timezone.now()
    )


# --- repeat checks ---------------------------------------------------------------------------------


def _repeats(analysis, failed) -> str:
    """The failed suggestion `analysis` repeats, or ""."""
    effective = analysis.effective
    runbook = ((effective.suggested_runbook or {}).get("name") or "").lower()
    steps = [normalise(str(s.get("step", "")) if isinstance(s, dict) else str(s)) for s in effective.remediation or []]
    for outcome in failed:
        if runbook and outcome.runbook and runbook == outcome.runbook.lower():
            return outcome.text
        for step in steps:
            if step and not is_negated(step) and any(same_action(step, v) for v in outcome.variants):
                return outcome.text
    return ""


@transaction.atomic
def repeat_check_record(*, analysis) -> RepeatCheck | None:
    """After an analysis: did it suggest something that had already failed for this alert pattern?

    Only analyses with something to avoid get a row, so the rate is "of the analyses that could
    have repeated a known-bad suggestion, how many did".
    """
    if analysis.status != AnalysisStatus.OK:
        return None
    snapshot = analysis_snapshot(analysis)
    if not snapshot["alert_pattern"]:
        return None
    _worked, failed, _mixed = split(
        outcomes_for(
            organization_id=analysis.organization_id,
            pattern=snapshot["alert_pattern"],
            before=analysis.created_at,
        )
    )
    if not failed:
        return None
    repeated = _repeats(analysis, failed)
    check, _created = RepeatCheck.objects.get_or_create(  # a redelivered event finds the row
        analysis=analysis,
        defaults={
            "organization_id": analysis.organization_id,
            "team_id": analysis.team_id,
            "alert_pattern": snapshot["alert_pattern"],
            "provider_kind": snapshot["provider_kind"],
            "model_name": snapshot["model_name"],
            "known_bad": len(failed),
            "repeated": bool(repeated),
            "repeated_suggestion": repeated,
        },
    )
    return check

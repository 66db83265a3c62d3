"""Write paths of the fix library: "Mark as successful fix", curation, and counting use as an example.

The same fix for the same alert pattern, in other words too, is one entry confirmed several times,
so the library stays a short list of what works rather than a log. `feedback.recorded` (kind
`successful_fix`) is published after commit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import FixSource
from .models import RemediationFeedback, SuccessfulRemediation
from .services import primary_alert, publish_recorded
from .text import same_advice

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


def _from_source(*, alert, incident, execution) -> dict:
    """Defaults for a library entry marked from an alert, an incident or an execution."""
    if execution is not None:
        alert = alert or execution.alert
    if incident is not None and alert is None:
        alert = primary_alert(incident)
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
    publish_recorded(
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

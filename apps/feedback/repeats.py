"""Repeat checks: after each analysis, did it still suggest something known to have failed?

Only analyses that had a known-failed suggestion to avoid (for their alert pattern, judged before
the analysis was made) get a row; the share of rows that repeated one is the brief's "repeat
incorrect suggestions" figure (stats.py).
"""

from __future__ import annotations

from django.db import transaction

from apps.analysis.choices import AnalysisStatus

from .models import RepeatCheck
from .outcomes import outcomes_for, split
from .services import analysis_snapshot
from .text import is_negated, normalise, same_action


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

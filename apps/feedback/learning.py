"""Learning in the prompt: the analysis context provider of the feedback app.

For the alert being analysed (an incident's primary alert), it finds similar past alerts and
library entries (similarity.py), pools what worked and what did not for them (outcomes.py) and
returns context blocks both kinds of analyser read:

- `past_fix` (facts: solution, success_count, runbook, failure_count) — the offline analyser puts
  the strongest first in the remediation and takes its runbook;
- `failed_fix` (facts: solution, failure_count, runbook, steps) — the offline analyser drops
  matching steps and the runbook, and says they did not help;
- `similar_cases` — the 3 most similar resolved cases in prose, for LLMs.

Each block body is written for an LLM too ("did NOT fix ... do not recommend it again"), so one
set of blocks teaches both. Library entries shown are counted (`use_count`).
"""

from __future__ import annotations

from apps.alerts.choices import AlertStatus

from . import conf, library
from .outcomes import Outcome, outcomes_for, split
from .similarity import Case, similar_cases

PAST_FIXES_SHOWN = 2
FAILED_SHOWN = 3


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _alert_ref(alert_id: int, label: str) -> dict:
    return {"type": "alerts.alert", "id": alert_id, "label": label}


def _refs(outcome: Outcome, names: dict[int, str]) -> list[dict]:
    refs = [
        {"type": "feedback.successfulremediation", "id": pk, "label": "fix library"} for pk in outcome.entry_ids[:3]
    ]
    refs += [_alert_ref(pk, names.get(pk, "alert")) for pk in outcome.alert_ids[:5]]
    return refs


def _past_fix_block(outcome: Outcome, total: int, names: dict) -> dict:
    lines = [
        f"Solution: {outcome.text}",
        f"It fixed {_times(outcome.worked)} in {total} similar past case(s)"
        + (f"; it failed {_times(outcome.failed)}." if outcome.failed else "."),
    ]
    if outcome.runbook:
        lines.append(f"Runbook: {outcome.runbook}")
    if outcome.last_at:
        lines.append(f"Last confirmed: {outcome.last_at:%Y-%m-%d}")
    if len(outcome.variants) > 1:
        lines.append("Also described as: " + "; ".join(outcome.variants[1:4]))
    return {
        "title": f"What fixed similar alerts before: {outcome.text[:120]}",
        "body": "\n".join(lines),
        "kind": "past_fix",
        "refs": _refs(outcome, names),
        "facts": {
            "solution": outcome.text,
            "success_count": outcome.worked,
            "failure_count": outcome.failed,
            "runbook": outcome.runbook or None,
        },
    }


def _failed_fix_block(outcome: Outcome, names: dict) -> dict:
    lines = [
        f"Suggestion: {outcome.text}",
        f"It was tried {_times(outcome.failed)} on similar past alerts and did NOT fix the problem"
        + (f" (it helped {_times(outcome.worked)})." if outcome.worked else "."),
        "Do not recommend it again unless the situation is clearly different.",
    ]
    if outcome.notes:
        lines.append("Engineers said: " + " / ".join(f"“{n[:200]}”" for n in outcome.notes))
    if outcome.runbook:
        lines.append(f"Runbook that did not help: {outcome.runbook}")
    return {
        "title": f"What did NOT fix similar alerts: {outcome.text[:120]}",
        "body": "\n".join(lines),
        "kind": "failed_fix",
        "refs": _refs(outcome, names),
        "facts": {
            "solution": outcome.text,
            "failure_count": outcome.failed,
            "success_count": outcome.worked,
            "runbook": outcome.runbook or None,
            "steps": outcome.variants[:8],
        },
    }


def _case_line(number: int, case: Case, outcomes: list[Outcome]) -> str:
    obj = case.obj
    if case.kind == "remediation":
        where = f"fix library entry for {obj.alert_pattern}" + (f" on {obj.service}" if obj.service else "")
        return (
            f"{number}. {case.percent}% similar — {where}: {obj.problem_summary[:200]} "
            f"What fixed it (confirmed {_times(obj.success_count)}): {obj.solution_summary[:300]}"
            + (f" Runbook: {obj.runbook.slug}." if obj.runbook_id else "")
        )
    ended = (
        f"resolved at {obj.ends_at:%Y-%m-%d %H:%M}"
        if obj.status == AlertStatus.RESOLVED and obj.ends_at
        else obj.status
    )
    line = (
        f"{number}. {case.percent}% similar — {obj.name} on {obj.service or '-'}, {obj.starts_at:%Y-%m-%d} ({ended})."
    )
    mine = [o for o in outcomes if obj.pk in o.alert_ids]
    worked = [o.text for o in mine if o.verdict == "worked"]
    failed = [o.text for o in mine if o.verdict == "failed"]
    if worked:
        line += " What fixed it: " + "; ".join(worked[:2]) + "."
    if failed:
        line += " What did not help: " + "; ".join(failed[:2]) + "."
    return line


def _is_resolved_case(case: Case, outcomes: list[Outcome]) -> bool:
    if case.kind == "remediation":
        return True
    return case.obj.status == AlertStatus.RESOLVED or any(case.obj.pk in o.alert_ids for o in outcomes)


def learning_blocks(subject) -> list[dict]:
    """The blocks as plain dicts (the provider wraps them in ContextBlock)."""
    alert = subject.primary_alert
    if alert is None:
        return []
    own = {a.pk for a in subject.alerts}
    cases = similar_cases(alert=alert, limit=conf.context_neighbours() + 10, kinds=("alert", "remediation"))
    alert_cases = [c for c in cases if c.kind == "alert" and c.obj.pk not in own][: conf.context_neighbours()]
    entries = [c.obj for c in cases if c.kind == "remediation"]
    outcomes = outcomes_for(
        organization_id=alert.organization_id, alert_ids=[c.obj.pk for c in alert_cases], entries=entries
    )
    worked, failed, _mixed = split(outcomes)
    names = {c.obj.pk: c.obj.name for c in alert_cases}
    total = len({pk for o in outcomes for pk in o.alert_ids}) or len(alert_cases)
    blocks = [_past_fix_block(o, max(total, o.worked), names) for o in worked[:PAST_FIXES_SHOWN]]
    blocks += [_failed_fix_block(o, names) for o in failed[:FAILED_SHOWN]]
    resolved = [c for c in cases if c.obj.pk not in own or c.kind != "alert"]
    resolved = [c for c in resolved if _is_resolved_case(c, outcomes)][: conf.context_cases()]
    if resolved:
        blocks.append(
            {
                "title": f"The {len(resolved)} most similar resolved case(s)",
                "body": "\n".join(_case_line(i, c, outcomes) for i, c in enumerate(resolved, start=1)),
                "kind": "similar_cases",
                "refs": [
                    {"type": "feedback.successfulremediation", "id": c.obj.pk, "label": "fix library"}
                    if c.kind == "remediation"
                    else _alert_ref(c.obj.pk, c.obj.name)
                    for c in resolved
                ],
                "facts": {"cases": [{"kind": c.kind, "id": c.obj.pk, "score": c.score} for c in resolved]},
            }
        )
    used = {pk for o in worked[:PAST_FIXES_SHOWN] for pk in o.entry_ids}
    used |= {c.obj.pk for c in resolved if c.kind == "remediation"}
    if used:
        library.remediations_mark_used(ids=used)
    return blocks


def learning_context(subject):
    """Context provider registered with the analysis app (see FeedbackConfig.ready)."""
    from apps.analysis.context import ContextBlock

    return [ContextBlock(**block) for block in learning_blocks(subject)] or None

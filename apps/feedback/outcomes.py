"""What worked and what did not, pooled from feedback, runbook runs and the fix library.

Every judgement becomes a (text, verdict) record:

- remediation feedback: "what actually fixed it" worked; the suggestion the analysis led with
  worked (helpful, partially helpful) or failed (not helpful, incorrect);
- section feedback on the remediation: a correction worked; the suggestion was right or wrong
  (skipped when the same person also rated the whole analysis, so one opinion counts once);
- runbook executions: failed or rolled back = failed; succeeded on an alert that then resolved =
  worked; explicit feedback on an execution replaces what its status says;
- library entries: worked, as many times as they were confirmed.

Records giving the same advice in other words are grouped (text.cluster) and netted, so
"restart didn't help" five times and "network route fixed it" four times come out as one failed
and one working solution with their counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from apps.alerts.choices import AlertStatus
from apps.runbooks.choices import ExecutionStatus
from apps.runbooks.models import RunbookExecution

from .choices import NEGATIVE, POSITIVE, Section
from .models import AnalysisFeedback, RemediationFeedback
from .text import cluster, normalise, same_action

FAILED_RUNS = (ExecutionStatus.FAILED, ExecutionStatus.ROLLED_BACK)
MAX_RECORDS = 2000  # per source; the newest count


@dataclass
class Record:
    text: str
    worked: bool
    weight: int = 1
    runbook: str = ""
    alert_id: int | None = None
    note: str = ""
    at: datetime | None = None
    entry_id: int | None = None  # a library entry
    pattern: str = ""


@dataclass
class Outcome:
    """One solution, in the words most people used, with how often it worked and failed."""

    text: str
    worked: int
    failed: int
    runbook: str = ""
    variants: list[str] = field(default_factory=list)
    alert_ids: list[int] = field(default_factory=list)
    entry_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last_at: datetime | None = None
    patterns: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.worked > self.failed:
            return "worked"
        return "failed" if self.failed > self.worked else "mixed"


def execution_text(name: str) -> str:
    return f"Run the runbook {name}"


def feedback_records(feedback_qs, section_qs) -> list[Record]:
    records, judged = [], set()
    rows = feedback_qs.select_related("execution", "execution__runbook").order_by("-created_at")[:MAX_RECORDS]
    for fb in rows:
        judged.add((fb.analysis_id, fb.user_id))
        base = {"alert_id": fb.alert_id, "note": fb.comment, "at": fb.created_at, "pattern": fb.alert_pattern}
        runbook = fb.suggested_runbook
        if fb.correct_action.strip():
            records.append(Record(normalise(fb.correct_action), True, **base))
        if fb.suggestion and fb.feedback_type in NEGATIVE:
            records.append(Record(fb.suggestion, False, runbook=runbook, **base))
        elif fb.suggestion and fb.feedback_type in POSITIVE and not fb.correct_action.strip():
            records.append(Record(fb.suggestion, True, runbook=runbook, **base))
    sections = section_qs.filter(analysis_section=Section.REMEDIATION).order_by("-created_at")[:MAX_RECORDS]
    for sf in sections:
        if (sf.analysis_id, sf.user_id) in judged:
            continue
        base = {"alert_id": sf.alert_id, "at": sf.created_at, "pattern": sf.alert_pattern}
        if sf.user_correction.strip():
            records.append(Record(normalise(sf.user_correction), True, **base))
        if sf.suggestion:
            records.append(Record(sf.suggestion, sf.is_accurate, runbook=sf.suggested_runbook, **base))
    return records


def _execution_records(executions_qs) -> list[Record]:
    records = []
    rows = (
        executions_qs.filter(status__in=[*FAILED_RUNS, ExecutionStatus.SUCCEEDED], feedback__isnull=True)
        .select_related("runbook", "alert")
        .order_by("-created_at")[:MAX_RECORDS]
    )
    for run in rows:
        name = run.runbook.slug if run.runbook_id else run.runbook_name
        base = {
            "runbook": name,
            "alert_id": run.alert_id,
            "at": run.finished_at or run.created_at,
            "pattern": run.alert.name if run.alert_id else "",
        }
        if run.status in FAILED_RUNS:
            records.append(Record(execution_text(name), False, note=run.status_reason, **base))
        elif run.alert_id and run.alert.status == AlertStatus.RESOLVED:
            records.append(Record(execution_text(name), True, **base))
    return records


def entry_records(entries) -> list[Record]:
    return [
        Record(
            normalise(e.solution_summary),
            True,
            weight=max(e.success_count, 1),
            runbook=e.runbook.slug if e.runbook_id else "",
            alert_id=e.source_alert_id,
            at=e.verified_at,
            entry_id=e.pk,
            pattern=e.alert_pattern,
        )
        for e in entries
    ]


def pool(records: list[Record]) -> list[Outcome]:
    """Group records that give the same advice and count how often it worked and failed."""
    records = sorted(records, key=lambda r: -(r.at.timestamp() if r.at else 0))
    groups = [list(g) for g in cluster([(r.text, r) for r in records if r.worked])]
    # A failure is netted against a fix only when both do the same thing (stricter than paraphrase):
    # "raise the pool size" worked must not cancel "restart the application" failed.
    for failed in cluster([(r.text, r) for r in records if not r.worked]):
        target = next((g for g in groups if g[0][1].worked and same_action(g[0][0], failed[0][0])), None)
        if target is None:
            groups.append(list(failed))
        else:
            target.extend(failed)
    outcomes = []
    for group in groups:
        members = [r for _text, r in group]
        worked = sum(r.weight for r in members if r.worked)
        failed = sum(r.weight for r in members if not r.worked)
        side = [r for r in members if r.worked == (worked >= failed)] or members
        text = Counter(normalise(r.text) for r in side).most_common(1)[0][0]
        runbooks = Counter(r.runbook for r in members if r.runbook)
        outcomes.append(
            Outcome(
                text=text,
                worked=worked,
                failed=failed,
                runbook=runbooks.most_common(1)[0][0] if runbooks else "",
                variants=list(dict.fromkeys(normalise(r.text) for r in members)),
                alert_ids=list(dict.fromkeys(r.alert_id for r in members if r.alert_id)),
                entry_ids=list(dict.fromkeys(r.entry_id for r in members if r.entry_id)),
                notes=list(dict.fromkeys(r.note.strip() for r in members if r.note.strip()))[:3],
                last_at=max((r.at for r in members if r.at), default=None),
                patterns=list(dict.fromkeys(r.pattern for r in members if r.pattern)),
            )
        )
    return outcomes


def outcomes_for(
    *, organization_id: int, alert_ids=None, pattern: str | None = None, before=None, entries=()
) -> list[Outcome]:
    """What worked and failed for these alerts (or every alert named `pattern`), before a moment.

    `before` keeps judgements made after an analysis out of the check of that analysis.
    """
    feedback = RemediationFeedback.objects.for_org(organization_id)
    sections = AnalysisFeedback.objects.for_org(organization_id)
    runs = RunbookExecution.objects.for_org(organization_id)
    if alert_ids is not None:
        ids = list(alert_ids)
        feedback, sections, runs = (
            feedback.filter(alert_id__in=ids),
            sections.filter(alert_id__in=ids),
            runs.filter(alert_id__in=ids),
        )
    if pattern is not None:
        feedback = feedback.filter(alert_pattern=pattern)
        sections = sections.filter(alert_pattern=pattern)
        runs = runs.filter(alert__organization_id=organization_id, alert__name=pattern)
    if before is not None:
        feedback = feedback.filter(created_at__lt=before)
        sections = sections.filter(created_at__lt=before)
        runs = runs.filter(created_at__lt=before)
        entries = [e for e in entries if e.verified_at < before]
    records = feedback_records(feedback, sections) + _execution_records(runs) + entry_records(entries)
    return pool(records)


def split(outcomes: list[Outcome]) -> tuple[list[Outcome], list[Outcome], list[Outcome]]:
    """(worked, failed, mixed), each strongest first."""
    worked = sorted((o for o in outcomes if o.verdict == "worked"), key=lambda o: (-(o.worked - o.failed), -o.worked))
    failed = sorted((o for o in outcomes if o.verdict == "failed"), key=lambda o: (-(o.failed - o.worked), -o.failed))
    mixed = [o for o in outcomes if o.verdict == "mixed"]
    return worked, failed, mixed

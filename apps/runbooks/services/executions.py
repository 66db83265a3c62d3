"""The execution state machine up to the start of a run: request, approve, reject, expire, cancel.

    pending_approval → approved | rejected | expired | cancelled
    approved → running | cancelled        (running → succeeded | failed | rolled_back | cancelled: runner.py)

Rate limit, cooldown and duplicate checks run with the runbook row locked, so two alerts arriving
together cannot both slip under the limit. A run is enqueued only after its transaction commits.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from aiops import events
from aiops.exceptions import ActionRefused

from .. import conf
from ..choices import ACTIVE_STATUSES, AuditKind, ExecutionStatus, TriggerKind
from ..models import ExecutionEvent, Runbook, RunbookExecution
from ..summary import execution_summary
from .parameters import ParameterError, resolve
from .targets import TargetError, target_choose

# Executions in these states count against the hourly limit and the cooldown.
COUNTED = (*ACTIVE_STATUSES, ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.ROLLED_BACK)


class ExecutionRefused(ActionRefused):
    """The run may not happen now; `code` is machine-readable, the message is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


class ExecutionStateError(ActionRefused):
    """The action does not apply to the execution in its current state."""

    code = "invalid_state"


def audit(execution: RunbookExecution, kind: str, *, actor=None, note: str = "", **data) -> ExecutionEvent:
    return ExecutionEvent.objects.create(
        organization_id=execution.organization_id,
        execution=execution,
        kind=kind,
        actor=actor,
        at=timezone.now(),
        note=note,
        data=data,
    )


def _alert_facts(alert) -> tuple[dict, dict]:
    if alert is None:
        return {}, {}
    return dict(alert.labels or {}), dict(alert.annotations or {})


def execution_plan(*, runbook: Runbook, alert=None, inputs: dict | None = None, target=None) -> dict:
    """Resolve target and values and render every step, without running or saving anything (dry run).

    Raises ExecutionRefused when a value or the target is missing.
    """
    from .runner import render_step

    definition = runbook.definition
    labels, annotations = _alert_facts(alert)
    try:
        chosen = target_choose(
            definition=definition, organization=runbook.organization_id, labels=labels, chosen=target
        )
        values = resolve(
            definition,
            inputs=inputs or {},
            labels=labels,
            annotations=annotations,
            alert=alert,
            target=chosen,
        )
    except TargetError as exc:
        raise ExecutionRefused("no_target", str(exc)) from exc
    except ParameterError as exc:
        raise ExecutionRefused("parameters", str(exc)) from exc
    steps = []
    for step in definition["steps"]:
        try:
            steps.append(render_step(step, values, target=chosen))
        except ValueError as exc:
            raise ExecutionRefused("parameters", f"step {step['name']!r}: {exc}") from exc
    return {"target": chosen, "values": values, "steps": steps}


def _check_limits(runbook: Runbook, target) -> None:
    settings = runbook.definition["execution"]
    now = timezone.now()
    counted = RunbookExecution.objects.filter(runbook=runbook, status__in=COUNTED)
    same_target = counted.filter(target=target) if target is not None else counted
    active = same_target.filter(status__in=ACTIVE_STATUSES).order_by("created_at").first()
    if active is not None:
        raise ExecutionRefused(
            "duplicate",
            f"execution #{active.pk} of {runbook.name} is already {active.get_status_display().lower()}",
        )
    recent = list(
        counted.filter(created_at__gte=now - timedelta(hours=1))
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    limit = settings["max_executions_per_hour"]
    if len(recent) >= limit:
        next_at = recent[len(recent) - limit] + timedelta(hours=1)
        raise ExecutionRefused(
            "rate_limited",
            f"rate limit: {runbook.name} ran {len(recent)} times in the last "
            f"hour (at most {limit}); next run allowed at {next_at:%H:%M:%S} UTC",
        )
    cooldown = settings["cooldown_minutes"]
    if cooldown:
        last = (
            same_target.filter(created_at__gte=now - timedelta(minutes=cooldown))
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            until = last.created_at + timedelta(minutes=cooldown)
            where = f" on {target.name}" if target is not None else ""
            raise ExecutionRefused(
                "cooldown",
                f"cooldown: {runbook.name} last ran{where} at {last.created_at:%H:%M:%S} "
                f"UTC (#{last.pk}); it may run again after {until:%H:%M:%S} UTC",
            )


def execution_request(
    *,
    runbook: Runbook,
    trigger: str,
    user=None,
    alert=None,
    inputs: dict | None = None,
    target=None,
    reason: str = "",
    record_refusal: bool = False,
) -> RunbookExecution:
    """Ask for a run: refused (ExecutionRefused), waiting for approval, or approved and enqueued.

    With `record_refusal` (alert triggers) a refusal is kept as a `refused` execution, so the alert
    page and the audit show why nothing ran; people asking by hand get the reason back instead.
    """
    execution, refusal = _request(
        runbook=runbook,
        trigger=trigger,
        user=user,
        alert=alert,
        inputs=inputs,
        target=target,
        reason=reason,
        record_refusal=record_refusal,
    )
    if refusal is not None:
        raise refusal
    return execution


@transaction.atomic
def _request(*, runbook, trigger, user, alert, inputs, target, reason, record_refusal):
    # The refusal is returned, not raised, so that the refused row commits with this transaction.
    runbook = Runbook.objects.select_for_update().get(pk=runbook.pk)
    definition = runbook.definition
    execution = RunbookExecution(
        organization_id=runbook.organization_id,
        team_id=runbook.team_id,
        runbook=runbook,
        runbook_name=runbook.name,
        runbook_version=runbook.version,
        definition=definition,
        alert=alert,
        trigger=trigger,
        requested_by=user,
        reason=reason[:2000],
    )
    try:
        if not runbook.enabled:
            raise ExecutionRefused("disabled", f"{runbook.name} is disabled")
        plan = execution_plan(runbook=runbook, alert=alert, inputs=inputs, target=target)
        _check_limits(runbook, plan["target"])
    except ExecutionRefused as exc:
        if record_refusal:
            execution.status, execution.status_reason = ExecutionStatus.REFUSED, str(exc)
            execution.finished_at = timezone.now()
            execution.save()
            audit(execution, AuditKind.REFUSED, actor=user, note=str(exc), code=exc.code)
        return execution, exc
    chosen = plan["target"]
    execution.parameters = plan["values"]
    execution.target = chosen
    execution.target_display = f"{chosen.username}@{chosen.host}:{chosen.port}" if chosen else ""
    needs_approval = definition["execution"]["approval_required"]
    if needs_approval:
        execution.status = ExecutionStatus.PENDING_APPROVAL
        execution.approval_due_at = timezone.now() + timedelta(
            minutes=definition["execution"]["approval_timeout_minutes"]
        )
    else:
        execution.status = ExecutionStatus.APPROVED
    execution.save()
    audit(
        execution,
        AuditKind.REQUESTED,
        actor=user,
        note=reason,
        trigger=trigger,
        alert_id=getattr(alert, "pk", None),
        parameters=plan["values"],
        target=execution.target_display,
    )
    if needs_approval:
        audit(execution, AuditKind.APPROVAL_NEEDED, due_at=execution.approval_due_at.isoformat())
        events.publish(
            "runbook.approval_needed",
            org=execution.organization_id,
            subject=execution,
            actor=user,
            **execution_summary(execution),
        )
    else:
        _enqueue(execution)
    return execution, None


def _enqueue(execution: RunbookExecution) -> None:
    from ..tasks import run_execution

    transaction.on_commit(lambda: run_execution.apply_async(args=[execution.pk], queue="default"))


def _locked(execution: RunbookExecution) -> RunbookExecution:
    return RunbookExecution.objects.select_for_update().get(pk=execution.pk)


def _finish(
    execution: RunbookExecution, status: str, kind: str, *, actor=None, note: str = ""
) -> RunbookExecution:
    execution.status = status
    execution.status_reason = note
    execution.finished_at = timezone.now()
    execution.save(
        update_fields=[
            "status",
            "status_reason",
            "finished_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "updated_at",
        ]
    )
    audit(execution, kind, actor=actor, note=note)
    events.publish(
        "runbook.execution_finished",
        org=execution.organization_id,
        subject=execution,
        actor=actor,
        notifications=[],
        **execution_summary(execution),
    )
    return execution


def execution_approve(*, execution: RunbookExecution, user, note: str = "") -> RunbookExecution:
    """Approve a waiting run (not your own request unless RUNBOOKS_ALLOW_SELF_APPROVAL) and enqueue it."""
    execution, error = _approve(execution, user, note)
    if error:
        raise ExecutionStateError(error)
    return execution


@transaction.atomic
def _approve(execution: RunbookExecution, user, note: str):
    execution = _locked(execution)
    if execution.status != ExecutionStatus.PENDING_APPROVAL:
        return execution, (
            f"execution #{execution.pk} is {execution.get_status_display().lower()}, not waiting for approval"
        )
    if execution.approval_due_at and execution.approval_due_at <= timezone.now():
        return _expire(execution), f"the approval window of execution #{execution.pk} has passed"
    if execution.requested_by_id == user.pk and not conf.allow_self_approval():
        return execution, "you asked for this run; someone else must approve it"
    execution.status = ExecutionStatus.APPROVED
    execution.decided_by, execution.decided_at, execution.decision_note = user, timezone.now(), note
    execution.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit(execution, AuditKind.APPROVED, actor=user, note=note)
    _enqueue(execution)
    return execution, None


@transaction.atomic
def execution_reject(*, execution: RunbookExecution, user, note: str = "") -> RunbookExecution:
    execution = _locked(execution)
    if execution.status != ExecutionStatus.PENDING_APPROVAL:
        raise ExecutionStateError(
            f"execution #{execution.pk} is {execution.get_status_display().lower()}, not waiting for approval"
        )
    execution.decided_by, execution.decided_at, execution.decision_note = user, timezone.now(), note
    return _finish(
        execution,
        ExecutionStatus.REJECTED,
        AuditKind.REJECTED,
        actor=user,
        note=note or f"rejected by {user.get_username()}",
    )


def _expire(execution: RunbookExecution) -> RunbookExecution:
    minutes = execution.definition["execution"]["approval_timeout_minutes"]
    return _finish(
        execution,
        ExecutionStatus.EXPIRED,
        AuditKind.EXPIRED,
        note=f"nobody approved within {minutes} minutes",
    )


@transaction.atomic
def execution_cancel(*, execution: RunbookExecution, user, note: str = "") -> RunbookExecution:
    """Cancel a waiting or queued run at once; ask a running one to stop (the runner kills its command)."""
    execution = _locked(execution)
    if execution.status in (ExecutionStatus.PENDING_APPROVAL, ExecutionStatus.APPROVED):
        return _finish(
            execution,
            ExecutionStatus.CANCELLED,
            AuditKind.CANCELLED,
            actor=user,
            note=note or f"cancelled by {user.get_username()}",
        )
    if execution.status == ExecutionStatus.RUNNING:
        if execution.cancel_requested_at is None:
            execution.cancel_requested_at = timezone.now()
            execution.save(update_fields=["cancel_requested_at", "updated_at"])
            audit(execution, AuditKind.CANCEL_REQUESTED, actor=user, note=note)
        return execution
    raise ExecutionStateError(
        f"execution #{execution.pk} has already ended ({execution.get_status_display().lower()})"
    )


def executions_expire_due(*, now=None, batch: int = 100) -> int:
    """Expire waiting runs whose approval window passed. Safe with several beat workers (skip_locked)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        due = list(
            RunbookExecution.objects.select_for_update(skip_locked=True)
            .filter(status=ExecutionStatus.PENDING_APPROVAL, approval_due_at__lte=now)
            .order_by("approval_due_at")[:batch]
        )
        for execution in due:
            _expire(execution)
            expired += 1
    return expired


def execution_request_manual(
    *, runbook: Runbook, user, alert=None, inputs=None, target=None, reason: str = ""
) -> RunbookExecution:
    """A person starts a run (portal, API, chat); approval still applies if the runbook requires it."""
    return execution_request(
        runbook=runbook,
        trigger=TriggerKind.MANUAL,
        user=user,
        alert=alert,
        inputs=inputs,
        target=target,
        reason=reason,
    )

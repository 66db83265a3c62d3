"""Run an approved execution: steps in order, retries, continue-on-fail, rollback in reverse order.

Every step is recorded as a StepResult before it starts (so the live page shows it) and updated
with its output while it runs. When a step fails without `continue_on_fail`, the rollback
commands of the steps that completed run newest first; the execution ends `rolled_back` if they
all succeed, else `failed`. A cancel request kills the running command and ends the run.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from aiops import events

from .. import conf
from ..choices import AuditKind, ExecutionStatus, StepPhase, StepStatus, StepType
from ..executors import http as http_executor
from ..executors.ssh import SshError, SshSession
from ..models import RunbookExecution, SshTarget, StepResult
from ..summary import execution_summary
from ..templating import render_command, render_data, render_header, render_text, render_url
from .executions import audit
from .targets import target_endpoint, target_pin_host_key

logger = logging.getLogger(__name__)
DEFAULT_RETRY_DELAY = 5


def _resolver(values: dict):
    def resolve(name: str) -> str:
        if name not in values:
            raise ValueError(f"no value for {{{{{name}}}}}")
        return values[name]

    return resolve


def _elevate(step: dict, target: SshTarget | None) -> bool:
    # A root login is already elevated; sudo would only add a dependency on sudo being installed.
    return bool(step.get("requires_elevation")) and (target is None or target.username != "root")


def render_step(step: dict, values: dict, *, target=None, rollback: bool = False) -> dict:
    """What a step will do, fully rendered (commands shell-quoted); raises ValueError."""
    resolve = _resolver(values)
    if step["type"] == StepType.COMMAND:
        template = step["rollback_command_linux"] if rollback else step["command_linux"]
        command = render_command(template, resolve)
        elevated = _elevate(step, target)
        return {
            "name": step["name"],
            "type": step["type"],
            "command": command,
            "elevated": elevated,
            "display": ("sudo -n -- " if elevated else "") + command,
            "rollback": render_command(step["rollback_command_linux"], resolve)
            if step.get("rollback_command_linux") and not rollback
            else None,
        }
    url = render_url(step["endpoint"], resolve)
    headers = {k: render_header(v or "", resolve) for k, v in (step.get("headers") or {}).items()}
    body = render_data(step["body"], resolve) if "body" in step else None
    return {
        "name": step["name"],
        "type": step["type"],
        "method": step["method"],
        "url": url,
        "headers": headers,
        "body": body,
        "display": f"{step['method']} {url}",
        "rollback": None,
    }


class _Run:
    """State of one execution while it runs (the SSH session is opened lazily and reused)."""

    def __init__(self, execution: RunbookExecution):
        self.execution = execution
        self.values = execution.parameters
        self.target = execution.target
        self.session: SshSession | None = None

    def cancel_requested(self) -> bool:
        return RunbookExecution.objects.filter(
            pk=self.execution.pk, cancel_requested_at__isnull=False
        ).exists()

    def ssh(self) -> SshSession:
        if self.session is None:
            if self.target is None:
                raise SshError("the SSH target of this run no longer exists")
            session = SshSession(
                target_endpoint(self.target),
                connect_timeout=conf.ssh_connect_timeout(),
                output_limit=conf.output_limit(),
            )
            session.connect()
            if session.learned_host_key and target_pin_host_key(
                target=self.target, host_key=session.learned_host_key
            ):
                audit(
                    self.execution,
                    AuditKind.HOST_KEY_PINNED,
                    note=f"pinned new host key of {self.target.name}: {session.learned_host_key}",
                )
            self.session = session
        return self.session

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    # -- one step ------------------------------------------------------------------------------
    def step(self, position: int, step: dict, phase: str) -> StepResult:
        rollback = phase == StepPhase.ROLLBACK
        record = StepResult.objects.create(
            organization_id=self.execution.organization_id,
            execution=self.execution,
            position=position,
            phase=phase,
            name=step["name"],
            step_type=step["type"],
            rendered="",
            started_at=timezone.now(),
        )
        try:
            rendered = render_step(step, self.values, target=self.target, rollback=rollback)
        except ValueError as exc:
            return self._end(record, StepStatus.FAILED, error=str(exc))
        record.rendered, record.elevated = rendered["display"], bool(rendered.get("elevated"))
        record.save(update_fields=["rendered", "elevated"])
        retries = 0 if rollback else step.get("retry_count", 0)
        delay = step.get("retry_delay_seconds", DEFAULT_RETRY_DELAY)
        for attempt in range(retries + 1):
            record.attempts = attempt + 1
            if step["type"] == StepType.COMMAND:
                status = self._command(record, rendered, step)
            else:
                status = self._api(record, rendered, step)
            if status in (StepStatus.SUCCEEDED, StepStatus.CANCELLED) or attempt == retries:
                break
            if self._sleep_unless_cancelled(delay):
                status = StepStatus.CANCELLED
                record.error = "cancelled while waiting to retry"
                break
        return self._end(record, status)

    def _sleep_unless_cancelled(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.cancel_requested():
                return True
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        return False

    def _command(self, record: StepResult, rendered: dict, step: dict) -> str:
        timeout = step.get("timeout_seconds", 60)
        try:
            session = self.ssh()

            def flush(stdout, stderr):
                StepResult.objects.filter(pk=record.pk).update(stdout=stdout, stderr=stderr)

            result = session.run(
                rendered["command"],
                timeout=timeout,
                elevate=rendered["elevated"],
                on_output=flush,
                should_cancel=self.cancel_requested,
                flush_every=conf.live_flush_interval(),
            )
        except SshError as exc:
            self.close()
            self.session = None
            record.error = str(exc)
            return StepStatus.FAILED
        record.exit_code, record.stdout, record.stderr = result.exit_code, result.stdout, result.stderr
        record.output_truncated = result.truncated
        if result.cancelled:
            record.error = "cancelled; the remote command was killed"
            return StepStatus.CANCELLED
        if result.timed_out:
            record.error = f"timed out after {timeout} s; the remote command was killed"
            return StepStatus.TIMED_OUT
        if result.exit_code == 0:
            record.error = ""
            return StepStatus.SUCCEEDED
        record.error = (
            f"exit code {result.exit_code}"
            if result.exit_code is not None
            else "the remote command ended without an exit code (killed by a signal?)"
        )
        return StepStatus.FAILED

    def _api(self, record: StepResult, rendered: dict, step: dict) -> str:
        result = http_executor.call(
            method=rendered["method"],
            url=rendered["url"],
            headers=rendered["headers"],
            body=rendered["body"],
            timeout=step.get("timeout_seconds", 30),
            output_limit=conf.output_limit(),
        )
        record.http_status, record.stdout, record.output_truncated = (
            result.status,
            result.body,
            result.truncated,
        )
        expected = step.get("expected_status_codes") or []
        if result.status is None:
            record.error = result.error
            return StepStatus.FAILED
        if (result.status in expected) if expected else (200 <= result.status < 300):
            record.error = ""
            return StepStatus.SUCCEEDED
        wanted = ", ".join(map(str, expected)) if expected else "2xx"
        record.error = f"answered {result.status}, expected {wanted}"
        return StepStatus.FAILED

    def _end(self, record: StepResult, status: str, *, error: str | None = None) -> StepResult:
        record.status = status
        if error is not None:
            record.error = error
        record.finished_at = timezone.now()
        record.duration_ms = round((record.finished_at - record.started_at).total_seconds() * 1000)
        record.save()
        audit(
            self.execution,
            AuditKind.STEP_FINISHED,
            note=f"{record.name}: {record.get_status_display()}",
            position=record.position,
            phase=record.phase,
            status=status,
            exit_code=record.exit_code,
            http_status=record.http_status,
        )
        return record


def _claim(execution_id: int) -> RunbookExecution | None:
    """approved → running, once: a duplicate task delivery finds nothing to claim."""
    with transaction.atomic():
        claimed = RunbookExecution.objects.filter(pk=execution_id, status=ExecutionStatus.APPROVED).update(
            status=ExecutionStatus.RUNNING, started_at=timezone.now()
        )
        if not claimed:
            return None
        execution = RunbookExecution.objects.select_related("target").get(pk=execution_id)
        audit(execution, AuditKind.STARTED, target=execution.target_display)
        events.publish(
            "runbook.execution_started",
            org=execution.organization_id,
            subject=execution,
            **execution_summary(execution),
        )
    return execution


def execution_run(*, execution_id: int) -> RunbookExecution | None:
    """Run an approved execution to its end. Returns None if it was not (or no longer) approved."""
    execution = _claim(execution_id)
    if execution is None:
        return None
    run = _Run(execution)
    steps = execution.definition["steps"]
    completed: list[int] = []
    failed: StepResult | None = None
    cancelled = False
    try:
        for position, step in enumerate(steps):
            if run.cancel_requested():
                cancelled = True
                break
            result = run.step(position, step, StepPhase.RUN)
            if result.status == StepStatus.SUCCEEDED:
                completed.append(position)
            elif result.status == StepStatus.CANCELLED:
                cancelled = True
                break
            elif not step.get("continue_on_fail"):
                failed = result
                break
        if cancelled:
            status, reason = ExecutionStatus.CANCELLED, "cancelled while running"
        elif failed is None:
            status, reason = ExecutionStatus.SUCCEEDED, ""
        else:
            status, reason = _rollback(run, steps, completed, failed)
    except Exception as exc:  # an unexpected bug must still end the run, not leave it "running" forever
        logger.exception("runbook execution crashed", extra={"execution": execution.pk})
        status, reason = ExecutionStatus.FAILED, f"internal error: {type(exc).__name__}"
    finally:
        run.close()
    return _complete(execution, status, reason)


def _rollback(run: _Run, steps: list, completed: list[int], failed: StepResult) -> tuple[str, str]:
    reason = f"step {failed.position + 1} ({failed.name}) failed: {failed.error}"
    to_undo = [p for p in reversed(completed) if steps[p].get("rollback_command_linux")]
    if not to_undo:
        return ExecutionStatus.FAILED, reason
    audit(run.execution, AuditKind.ROLLBACK_STARTED, note=reason, steps=[p + 1 for p in to_undo])
    broken = [
        steps[p]["name"]
        for p in to_undo
        if run.step(p, steps[p], StepPhase.ROLLBACK).status != StepStatus.SUCCEEDED
    ]
    if broken:
        return ExecutionStatus.FAILED, f"{reason}; rollback failed for: {', '.join(broken)}"
    return ExecutionStatus.ROLLED_BACK, f"{reason}; rolled back {len(to_undo)} step(s)"


@transaction.atomic
def _complete(execution: RunbookExecution, status: str, reason: str) -> RunbookExecution:
    execution = RunbookExecution.objects.select_for_update().get(pk=execution.pk)
    execution.status, execution.status_reason, execution.finished_at = status, reason, timezone.now()
    execution.save(update_fields=["status", "status_reason", "finished_at", "updated_at"])
    audit(execution, AuditKind.FINISHED, note=reason or execution.get_status_display(), status=status)
    outcome = (
        "on_success"
        if status == ExecutionStatus.SUCCEEDED
        else ("on_failure" if status in (ExecutionStatus.FAILED, ExecutionStatus.ROLLED_BACK) else None)
    )
    notifications = []
    for entry in execution.definition.get("notifications", {}).get(outcome, []) if outcome else []:
        rendered = dict(entry)
        if isinstance(entry.get("message"), str):
            rendered["message"] = render_text(
                entry["message"], lambda n: execution.parameters.get(n, f"{{{{{n}}}}}")
            )
        notifications.append(rendered)
    events.publish(
        "runbook.execution_finished",
        org=execution.organization_id,
        subject=execution,
        notifications=notifications,
        **execution_summary(execution),
    )
    return execution

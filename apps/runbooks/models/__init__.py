"""Runbook models: definitions (runbooks, versions, SSH targets) and executions (runs, steps, audit,
timers)."""

from .definitions import Runbook, RunbookVersion, SshTarget
from .executions import ExecutionEvent, RunbookExecution, StepResult, TriggerWait

__all__ = [
    "Runbook",
    "RunbookVersion",
    "SshTarget",
    "RunbookExecution",
    "StepResult",
    "ExecutionEvent",
    "TriggerWait",
]

"""Write paths of the runbooks app (HackSoft services): definitions, executions, runner, triggers."""

from .definitions import (
    NewRunbook,
    runbook_create_many,
    runbook_export_yaml,
    runbook_import_yaml,
    runbook_restore_version,
    runbook_save_definition,
    runbook_save_document,
    runbook_set_team,
)
from .executions import (
    ExecutionRefused,
    ExecutionStateError,
    execution_approve,
    execution_cancel,
    execution_plan,
    execution_reject,
    execution_request,
    execution_request_manual,
    executions_expire_due,
)

__all__ = [
    "NewRunbook",
    "runbook_create_many",
    "runbook_export_yaml",
    "runbook_import_yaml",
    "runbook_restore_version",
    "runbook_save_definition",
    "runbook_save_document",
    "runbook_set_team",
    "ExecutionRefused",
    "ExecutionStateError",
    "execution_approve",
    "execution_cancel",
    "execution_plan",
    "execution_reject",
    "execution_request",
    "execution_request_manual",
    "executions_expire_due",
]

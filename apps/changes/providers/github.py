"""GitHub webhooks: `deployment_status` and `workflow_run` deliveries, signed with X-Hub-Signature-256.

GitHub signs the raw body with HMAC-SHA256 and the webhook secret and sends
`X-Hub-Signature-256: sha256=<hex>`; the comparison is constant-time. A deployment's statuses
(queued → in_progress → success) share one external id, so they update one change; so do the
`in_progress` and `completed` deliveries of a workflow run (per attempt).
"""

from __future__ import annotations

import re
from datetime import datetime

from aiops import webhooks

from ..choices import ChangeOrigin, ChangeStatus, ChangeType
from ..payloads import ChangeData, Ignored, PayloadError, finish, mapped_service, parse_time, short

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"
EVENT_HEADER = "HTTP_X_GITHUB_EVENT"
DEPLOYMENT_STATES = {
    "success": ChangeStatus.COMPLETED,
    "failure": ChangeStatus.FAILED,
    "error": ChangeStatus.FAILED,
    "pending": ChangeStatus.STARTED,
    "queued": ChangeStatus.STARTED,
    "in_progress": ChangeStatus.STARTED,
}
RUN_CONCLUSIONS = {
    "success": ChangeStatus.COMPLETED,
    "failure": ChangeStatus.FAILED,
    "timed_out": ChangeStatus.FAILED,
    "cancelled": ChangeStatus.FAILED,
    "startup_failure": ChangeStatus.FAILED,
}
_TAG = re.compile(r"^v?\d+(\.\d+)+")


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith("sha256="):
        return False
    return webhooks.secret_matches(header.strip(), "sha256=" + webhooks.hmac_sha256_hex(secret, body))


def _object(body: dict, key: str, errors: dict) -> dict:
    value = body.get(key)
    if not isinstance(value, dict):
        errors[key] = "is required and must be an object"
        return {}
    return value


def _login(*users) -> str:
    for user in users:
        if isinstance(user, dict) and user.get("login"):
            return short(user["login"], 255)
    return ""


def _repository(body: dict, source, errors: dict) -> tuple[str, str]:
    repo = _object(body, "repository", errors)
    full_name = short(repo.get("full_name"), 255)
    return full_name, mapped_service(source, full_name, short(repo.get("name"), 255))


def parse(event: str, body, *, source, received_at: datetime) -> ChangeData:
    if not isinstance(body, dict):
        raise PayloadError({"body": "must be a JSON object (a GitHub webhook delivery)"})
    if event == "deployment_status":
        return _deployment_status(body, source, received_at)
    if event == "workflow_run":
        return _workflow_run(body, source, received_at)
    raise Ignored(f"GitHub event {event!r} is not a change; subscribe to deployment_status or workflow_run")


def _deployment_status(body: dict, source, received_at) -> ChangeData:
    errors: dict = {}
    status = _object(body, "deployment_status", errors)
    deployment = _object(body, "deployment", errors)
    full_name, service = _repository(body, source, errors)
    if errors:
        raise PayloadError(errors)
    state = str(status.get("state") or "")
    if state == "inactive":
        raise Ignored("an inactive status marks an older deployment as superseded")
    if state not in DEPLOYMENT_STATES:
        raise PayloadError({"deployment_status.state": f"{state!r} is not a GitHub deployment state"})
    if deployment.get("id") in (None, ""):
        raise PayloadError({"deployment.id": "is required"})
    sha = short(deployment.get("sha"), 64)
    ref = short(deployment.get("ref"), 255)
    payload = deployment.get("payload") if isinstance(deployment.get("payload"), dict) else {}
    version = short(payload.get("version"), 255) or (ref if _TAG.match(ref) else sha[:12])
    task = short(deployment.get("task"), 100) or "deploy"
    environment = short(status.get("environment") or deployment.get("environment"), 100)
    final = DEPLOYMENT_STATES[state] != ChangeStatus.STARTED
    data = ChangeData(
        service=service,
        source=ChangeOrigin.GITHUB,
        event_type=ChangeType.ROLLBACK if "rollback" in task.lower() else ChangeType.DEPLOYMENT,
        environment=environment or source.default_environment,
        version=version,
        commit_sha=sha,
        description=short(
            deployment.get("description")
            or status.get("description")
            or f"{task} {ref or sha[:7]} to {environment or 'an environment'}",
            10_000,
        ),
        author=_login(deployment.get("creator"), status.get("creator"), body.get("sender")),
        url=short(status.get("log_url") or status.get("target_url") or status.get("environment_url"), 2000),
        status=DEPLOYMENT_STATES[state],
        external_id=f"deployment:{full_name}:{deployment['id']}",
        metadata={
            "repository": full_name,
            "ref": ref,
            "task": task,
            "deployment_id": deployment["id"],
            "state": state,
            "payload": payload,
        },
    )
    data.started_at = parse_time(deployment.get("created_at"), "deployment.created_at", errors)
    if final:
        data.finished_at = parse_time(status.get("created_at"), "deployment_status.created_at", errors)
    return finish(data, errors, received_at=received_at)


def _workflow_run(body: dict, source, received_at) -> ChangeData:
    errors: dict = {}
    run = _object(body, "workflow_run", errors)
    full_name, service = _repository(body, source, errors)
    if errors:
        raise PayloadError(errors)
    workflow = body.get("workflow") if isinstance(body.get("workflow"), dict) else {}
    name = short(run.get("name") or workflow.get("name"), 255)
    allowed = source.workflow_names()
    if allowed and name not in allowed:
        raise Ignored(f"workflow {name!r} is not one of this source's deployment workflows")
    action = str(body.get("action") or "")
    if action == "in_progress":
        status = ChangeStatus.STARTED
    elif action == "completed":
        conclusion = str(run.get("conclusion") or "")
        if conclusion not in RUN_CONCLUSIONS:
            raise Ignored(f"a {conclusion or 'missing'} conclusion deploys nothing")
        status = RUN_CONCLUSIONS[conclusion]
    else:
        raise Ignored(f"workflow_run {action or 'without action'} is not a change yet")
    if run.get("id") in (None, ""):
        raise PayloadError({"workflow_run.id": "is required"})
    sha = short(run.get("head_sha"), 64)
    commit = run.get("head_commit") if isinstance(run.get("head_commit"), dict) else {}
    title = short(run.get("display_title") or str(commit.get("message") or "").split("\n", 1)[0], 500)
    attempt = run.get("run_attempt") or 1
    data = ChangeData(
        service=service,
        source=ChangeOrigin.GITHUB,
        event_type=ChangeType.DEPLOYMENT,
        environment=source.default_environment,
        version=sha[:12],
        commit_sha=sha,
        description=short(
            f"{name or 'workflow'} #{run.get('run_number', '?')}" + (f": {title}" if title else ""), 10_000
        ),
        author=_login(run.get("actor"), run.get("triggering_actor"), body.get("sender")),
        url=short(run.get("html_url"), 2000),
        status=status,
        external_id=f"workflow_run:{full_name}:{run['id']}:{attempt}",
        metadata={
            "repository": full_name,
            "workflow": name,
            "run_id": run["id"],
            "run_number": run.get("run_number"),
            "branch": run.get("head_branch"),
            "event": run.get("event"),
            "conclusion": run.get("conclusion"),
        },
    )
    data.started_at = parse_time(
        run.get("run_started_at") or run.get("created_at"), "workflow_run.run_started_at", errors
    )
    if status != ChangeStatus.STARTED:
        data.finished_at = parse_time(run.get("updated_at"), "workflow_run.updated_at", errors)
    return finish(data, errors, received_at=received_at)

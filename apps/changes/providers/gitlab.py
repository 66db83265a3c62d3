"""GitLab deployment events (`X-Gitlab-Event: Deployment Hook`), authenticated by `X-Gitlab-Token`.

GitLab sends the secret token it was configured with as a plain header; it is compared in
constant time. A deployment's `running` and `success` deliveries share one external id.
"""

from __future__ import annotations

import re
from datetime import datetime

from aiops import webhooks

from ..choices import ChangeOrigin, ChangeStatus, ChangeType
from ..payloads import ChangeData, Ignored, PayloadError, finish, mapped_service, parse_time, short

TOKEN_HEADER = "HTTP_X_GITLAB_TOKEN"
EVENT_HEADER = "HTTP_X_GITLAB_EVENT"
STATUSES = {
    "running": ChangeStatus.STARTED,
    "success": ChangeStatus.COMPLETED,
    "failed": ChangeStatus.FAILED,
    "canceled": ChangeStatus.FAILED,
}
_SHA = re.compile(r"([0-9a-f]{40})/?$")


def token_valid(secret: str, header: str | None) -> bool:
    return webhooks.secret_matches(header, secret)


def parse(event: str, body, *, source, received_at: datetime) -> ChangeData:
    if event and event != "Deployment Hook":
        raise Ignored(f"GitLab {event!r} is not a change; enable only Deployment events")
    if not isinstance(body, dict):
        raise PayloadError({"body": "must be a JSON object (a GitLab deployment event)"})
    if body.get("object_kind") != "deployment":
        raise PayloadError({"object_kind": 'must be "deployment" (enable Deployment events on the webhook)'})
    errors: dict = {}
    raw_status = str(body.get("status") or "")
    if raw_status not in STATUSES:
        if raw_status in ("created", "blocked", "approved", "rejected"):
            raise Ignored(f"a {raw_status} deployment has not changed anything yet")
        errors["status"] = f"{raw_status!r} is not a GitLab deployment status"
    project = body.get("project")
    if not isinstance(project, dict):
        errors["project"] = "is required and must be an object"
        project = {}
    if body.get("deployment_id") in (None, ""):
        errors["deployment_id"] = "is required"
    if errors:
        raise PayloadError(errors)
    path = short(project.get("path_with_namespace"), 255)
    commit_url = short(body.get("commit_url"), 2000)
    full_sha = _SHA.search(commit_url)
    short_sha = short(body.get("short_sha"), 64)
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    status = STATUSES[raw_status]
    changed_at = parse_time(body.get("status_changed_at"), "status_changed_at", errors)
    data = ChangeData(
        service=mapped_service(source, path, short(project.get("name"), 255)),
        source=ChangeOrigin.GITLAB,
        event_type=ChangeType.DEPLOYMENT,
        environment=short(body.get("environment"), 100) or source.default_environment,
        version=short_sha,
        commit_sha=full_sha.group(1) if full_sha else short_sha,
        description=short(body.get("commit_title"), 10_000)
        or f"Deployment {body['deployment_id']} of {path or 'a project'}",
        author=short(user.get("username") or user.get("name"), 255),
        url=short(body.get("deployable_url") or body.get("environment_external_url") or commit_url, 2000),
        status=status,
        external_id=f"deployment:{project.get('id') or path}:{body['deployment_id']}",
        metadata={
            "project": path,
            "deployment_id": body["deployment_id"],
            "status": raw_status,
            "environment_tier": body.get("environment_tier"),
            "commit_url": commit_url,
            "environment_url": body.get("environment_external_url"),
        },
    )
    if status == ChangeStatus.STARTED:
        data.started_at = changed_at
    else:
        data.finished_at = changed_at
    return finish(data, errors, received_at=received_at)

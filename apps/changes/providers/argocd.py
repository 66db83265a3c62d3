"""Argo CD notifications: the webhook template documented in docs/changes.md, one body per sync.

Argo CD's notification engine renders Go templates, so the body is whatever the template says;
ours sends the application's name, the sync operation's phase, revision and times. Go prints
`<no value>` for a missing field, which is read as empty. A sync's `Running` and `Succeeded`
deliveries share the operation's start time, hence one external id.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..choices import ChangeOrigin, ChangeStatus, ChangeType
from ..payloads import (
    NO_VALUE,
    ChangeData,
    Ignored,
    PayloadError,
    Reader,
    finish,
    mapped_service,
    parse_time,
    short,
)

PHASES = {
    "running": ChangeStatus.STARTED,
    "succeeded": ChangeStatus.COMPLETED,
    "failed": ChangeStatus.FAILED,
    "error": ChangeStatus.FAILED,
}
_HEX = re.compile(r"^[0-9a-f]{7,64}$")


def parse(body, *, source, received_at: datetime) -> ChangeData:
    if not isinstance(body, dict):
        raise PayloadError({"body": "must be a JSON object (see the Argo CD template in the documentation)"})
    r = Reader(body)
    app = r.text("app", limit_key="service")
    if not app:
        r.errors["app"] = "is required: the template sends {{.app.metadata.name}}"
    phase = r.text("phase").lower()
    sync_status = r.text("sync_status")
    if phase in ("terminating",):
        raise Ignored("a terminating sync has not finished")
    if phase and phase not in PHASES:
        r.errors["phase"] = f"{phase!r} is not an Argo CD operation phase"
    r.raise_if_errors()
    status = PHASES.get(phase) or (ChangeStatus.COMPLETED if sync_status.lower() == "synced" else None)
    if status is None:
        raise PayloadError({"phase": "is required (the template sends {{.app.status.operationState.phase}})"})
    revision = r.text("revision", limit_key="commit_sha")
    started_raw = r.text("started_at")
    automated = str(body.get("automated", "")).lower() == "true"
    message = r.text("message", limit_key="description")
    data = ChangeData(
        service=mapped_service(source, app),
        source=ChangeOrigin.ARGOCD,
        event_type=ChangeType.DEPLOYMENT,
        environment=r.text("environment") or source.default_environment,
        version=r.text("version") or revision[:12],
        commit_sha=revision if _HEX.match(revision) else "",
        description=short(
            f"Argo CD sync of {app}"
            + (f" to {revision[:7]}" if revision else "")
            + (f": {message}" if message else ""),
            10_000,
        ),
        author=r.text("initiated_by", limit_key="author") or ("automated sync" if automated else ""),
        url=r.text("url"),
        status=status,
        external_id=short(f"sync:{app}:{started_raw or revision}", 255) if started_raw or revision else "",
        metadata={
            k: body[k]
            for k in ("project", "namespace", "cluster", "sync_status", "health_status", "repo_url", "phase")
            if body.get(k) not in (None, "", NO_VALUE)
        },
    )
    data.started_at = parse_time(started_raw, "started_at", r.errors)
    data.finished_at = (
        parse_time(r.present("finished_at"), "finished_at", r.errors) if status != ChangeStatus.STARTED else None
    )
    return finish(data, r.errors, received_at=received_at)

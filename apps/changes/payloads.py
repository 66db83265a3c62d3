"""The plan's generic change payload, validated into one `ChangeData` with errors that name the field.

Every front door (the generic webhook, the Jenkins and Kubernetes snippets, the API's POST
/changes, the native GitHub/GitLab/Argo CD readers) ends in a `ChangeData`, so a change means
the same thing whichever way it arrived. The plan's names are the contract (`event_type`,
`user`, `timestamp`, ...); the product brief's short names (`type`, `who`, `when`, `previous`)
are accepted as aliases.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from aiops import webhooks
from apps.alerts.payloads import PayloadError, decode_json  # the alert webhooks' error shape, reused

from .choices import ChangeOrigin, ChangeStatus, ChangeType

__all__ = ["ChangeData", "Ignored", "PayloadError", "decode_json", "parse_generic", "parse_time"]

MAX_METADATA_BYTES = 64 * 1024
MAX_DURATION = 366 * 24 * 3600  # a change longer than a year is a unit mistake (ms sent as s)
LIMITS = {
    "service": 255,
    "environment": 100,
    "version": 255,
    "previous_version": 255,
    "author": 255,
    "commit_sha": 64,
    "url": 2000,
    "external_id": 255,
    "description": 10_000,
}
NO_VALUE = "<no value>"  # what Go templates (Argo CD notifications) print for a missing field

TYPE_ALIASES = {
    "deploy": ChangeType.DEPLOYMENT,
    "release": ChangeType.DEPLOYMENT,
    "config": ChangeType.CONFIG_CHANGE,
    "configuration": ChangeType.CONFIG_CHANGE,
    "scale": ChangeType.SCALING,
    "flag": ChangeType.FEATURE_FLAG,
    "rollout": ChangeType.DEPLOYMENT,
}
STATUS_ALIASES = {
    "success": ChangeStatus.COMPLETED,
    "succeeded": ChangeStatus.COMPLETED,
    "done": ChangeStatus.COMPLETED,
    "complete": ChangeStatus.COMPLETED,
    "ok": ChangeStatus.COMPLETED,
    "running": ChangeStatus.STARTED,
    "in_progress": ChangeStatus.STARTED,
    "pending": ChangeStatus.STARTED,
    "queued": ChangeStatus.STARTED,
    "created": ChangeStatus.STARTED,
    "failure": ChangeStatus.FAILED,
    "error": ChangeStatus.FAILED,
    "errored": ChangeStatus.FAILED,
    "cancelled": ChangeStatus.FAILED,
    "canceled": ChangeStatus.FAILED,
    "aborted": ChangeStatus.FAILED,
    "rollback": ChangeStatus.ROLLED_BACK,
    "rolledback": ChangeStatus.ROLLED_BACK,
}


@dataclass
class ChangeData:
    service: str = ""
    event_type: str = ChangeType.DEPLOYMENT
    source: str = ChangeOrigin.OTHER
    environment: str = ""
    version: str = ""
    previous_version: str = ""
    description: str = ""
    author: str = ""
    commit_sha: str = ""
    url: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: int | None = None
    status: str = ChangeStatus.COMPLETED
    metadata: dict = field(default_factory=dict)
    external_id: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def fingerprint(self) -> str:
        """An idempotency key for senders that give no id: the same report twice is one change."""
        basis = [
            self.event_type,
            self.service,
            self.environment,
            self.version,
            self.commit_sha,
            self.description,
            self.started_at.isoformat() if self.started_at else "",
        ]
        return "sha256:" + hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:40]


def parse_time(value, path: str, errors: dict) -> datetime | None:
    """RFC 3339, "YYYY-MM-DD HH:MM:SS[ ±hhmm| UTC]" (GitLab), or epoch seconds/milliseconds.

    A time without a zone is read in the server's TIME_ZONE (the brief's example sends one).
    """
    if value in (None, "", NO_VALUE) or value == "0001-01-01T00:00:00Z":
        return None
    if isinstance(value, bool):
        errors[path] = "must be a timestamp"
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return webhooks.time_in_range(datetime.fromtimestamp(seconds, tz=UTC), path, errors)
        except (OverflowError, OSError, ValueError):
            errors[path] = f"{value!r} is not a valid epoch time"
            return None
    if not isinstance(value, str):
        errors[path] = "must be an RFC 3339 timestamp string"
        return None
    text = value.strip()
    if text.endswith((" UTC", " utc")):
        text = text[:-4] + "+00:00"
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) > 6 and text[-6] == " " and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-6] + text[-5:-2] + ":" + text[-2:]  # "21:50:00 +0200" → "21:50:00+02:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors[path] = f"{value!r} is not an RFC 3339 timestamp"
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return webhooks.time_in_range(parsed.astimezone(UTC), path, errors)


class Reader:
    """Pulls typed fields out of one JSON object, collecting every error before raising."""

    def __init__(self, body: dict):
        self.body = body
        self.errors: dict[str, str] = {}

    def text(self, *names: str, limit_key: str | None = None) -> str:
        for name in names:
            value = self.body.get(name)
            if value in (None, "", NO_VALUE):
                continue
            if isinstance(value, bool | dict | list):
                self.errors[name] = "must be a string"
                return ""
            value = str(value).strip()
            limit = LIMITS.get(limit_key or names[0])
            if limit and len(value) > limit:
                self.errors[name] = f"is {len(value)} characters long; at most {limit} are accepted"
                return ""
            return value
        return ""

    def present(self, *names: str):
        return next((self.body[n] for n in names if self.body.get(n) not in (None, "", NO_VALUE)), None)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise PayloadError(self.errors)


def choice(value: str, allowed: type, aliases: dict, path: str, errors: dict) -> str:
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    if key in allowed.values:
        return key
    if key in aliases:
        return str(aliases[key])
    errors[path] = f"{value!r} is not one of {', '.join(allowed.values)}"
    return ""


def finish(data: ChangeData, errors: dict, *, received_at: datetime) -> ChangeData:
    """Fill what can be derived (start, end, duration) and check the result makes sense."""
    if data.started_at is None:
        data.started_at = (
            data.finished_at - timedelta(seconds=data.duration_seconds)
            if data.finished_at and data.duration_seconds
            else data.finished_at or received_at
        )
    if data.finished_at is None and data.duration_seconds is not None and data.status != ChangeStatus.STARTED:
        data.finished_at = data.started_at + timedelta(seconds=data.duration_seconds)
    if data.finished_at is not None:
        if data.finished_at < data.started_at:
            errors["finished_at"] = "is before the change started"
        elif data.duration_seconds is None:
            data.duration_seconds = round((data.finished_at - data.started_at).total_seconds())
    if not data.service and not data.description:
        errors["service"] = "is required (or give at least a description of the change)"
    if data.url and not data.url.lower().startswith(("http://", "https://")):
        errors["url"] = "must be an http(s) URL"
    if errors:
        raise PayloadError(errors)
    return data


def parse_generic(body, *, default_source: str = ChangeOrigin.OTHER, received_at: datetime) -> ChangeData:
    """The plan's webhook payload (one change per request) → ChangeData."""
    if not isinstance(body, dict):
        raise PayloadError({"body": "must be a JSON object with the change's fields (event_type, service, ...)"})
    r = Reader(body)
    data = ChangeData(
        service=r.text("service"),
        environment=r.text("environment", "env"),
        version=r.text("version"),
        previous_version=r.text("previous_version", "previous"),
        description=r.text("description"),
        author=r.text("user", "author", "who", limit_key="author"),
        commit_sha=r.text("commit_sha", "commit"),
        url=r.text("url"),
        external_id=r.text("external_id", "id", limit_key="external_id"),
    )
    event_type = r.text("event_type", "type")
    data.event_type = (
        choice(event_type, ChangeType, TYPE_ALIASES, "event_type", r.errors) if event_type else ChangeType.DEPLOYMENT
    )
    status = r.text("status")
    data.status = choice(status, ChangeStatus, STATUS_ALIASES, "status", r.errors) if status else ChangeStatus.COMPLETED
    source = r.text("source").lower()
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        r.errors["metadata"] = "must be an object"
        metadata = {}
    metadata = dict(metadata or {})
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        r.errors["metadata"] = f"is larger than {MAX_METADATA_BYTES} bytes"
    if source and source not in ChangeOrigin.values:
        metadata.setdefault("source_name", source)  # kept, so nothing the sender said is lost
        source = ChangeOrigin.OTHER
    data.source = source or default_source
    data.metadata = metadata
    data.started_at = parse_time(r.present("timestamp", "when", "started_at"), "timestamp", r.errors)
    data.finished_at = parse_time(r.present("finished_at"), "finished_at", r.errors)
    duration = r.present("duration_seconds")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, int | float) or not 0 <= duration <= MAX_DURATION:
            r.errors["duration_seconds"] = f"must be a number of seconds between 0 and {MAX_DURATION}"
        else:
            data.duration_seconds = int(duration)
    return finish(data, r.errors, received_at=received_at)


class Ignored(Exception):
    """A well-formed delivery that records nothing (a queued run, a CI workflow that deploys nothing).

    Answered 2xx so that senders which disable failing webhooks (GitHub, GitLab) keep delivering.
    """


def mapped_service(source, *names: str) -> str:
    """The service a sender's repository/app name stands for, through the source's name map."""
    mapping = getattr(source, "service_map", None) or {}
    for name in names:
        if name and name in mapping and isinstance(mapping[name], str):
            return mapping[name][: LIMITS["service"]]
    first = next((n for n in names if n), "")
    return first.rsplit("/", 1)[-1][: LIMITS["service"]]


def short(text, limit: int) -> str:
    return str(text or "").strip()[:limit]

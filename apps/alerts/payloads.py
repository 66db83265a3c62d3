"""Validate and normalise webhook bodies into one alert shape, with errors that name the field.

Hand-written rather than a serializer framework: ingestion handles thousands of alerts a second
on two cores, and each check here is a dict lookup. Both the Alertmanager v4 body (also sent by
Grafana Alerting) and generic JSON (through an integration's field mapping) end up as
`IncomingAlert`s.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from aiops import webhooks

ZERO_TIME_PREFIX = "0001-01-01"  # Go's zero time: Alertmanager's "no end yet"
MAX_ALERTS_PER_REQUEST = 5000
MAX_LABELS = 200
MAX_VALUE_LENGTH = 10_000


class PayloadError(ValueError):
    """The body is not acceptable; `errors` maps a JSON path to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(slots=True)
class IncomingAlert:
    status: str  # "firing" | "resolved"
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str
    fingerprint: str


def parse_time(value, path: str, errors: dict) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors[path] = "must be an RFC 3339 timestamp string"
        return None
    if value.startswith(ZERO_TIME_PREFIX):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Go writes nanoseconds; Python keeps microseconds.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(itertools.takewhile(str.isdigit, rest))
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors[path] = f"{value!r} is not an RFC 3339 timestamp"
        return None
    if parsed.tzinfo is None:
        errors[path] = "needs a time zone (e.g. a trailing Z)"
        return None
    return webhooks.time_in_range(parsed.astimezone(UTC), path, errors)


def _string_map(value, path: str, errors: dict) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[path] = "must be an object of string values"
        return {}
    if len(value) > MAX_LABELS:
        errors[path] = f"has {len(value)} keys; at most {MAX_LABELS} are accepted"
        return {}
    out = {}
    for key, item in value.items():
        if isinstance(item, bool) or item is None or isinstance(item, dict | list):
            errors[f"{path}.{key}"] = "must be a string"
            continue
        text = str(item)
        if len(text) > MAX_VALUE_LENGTH:
            errors[f"{path}.{key}"] = f"longer than {MAX_VALUE_LENGTH} characters"
            continue
        out[str(key)] = text
    return out


def label_fingerprint(labels: dict[str, str]) -> str:
    """A stable id for a label set, for sources that send none (Alertmanager's is also 16 hex)."""
    canonical = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def decode_json(raw: bytes):
    """The kernel's strict JSON (`aiops.webhooks.parse_json`), refusals as a PayloadError."""
    try:
        return webhooks.parse_json(raw)
    except webhooks.InvalidJSON as exc:
        raise PayloadError(exc.fields) from None


def parse_alertmanager(body) -> tuple[list[IncomingAlert], dict]:
    """Alertmanager webhook v4 → alerts plus the notification's group facts (groupKey, ...)."""
    if not isinstance(body, dict):
        raise PayloadError({"body": "must be a JSON object (Alertmanager webhook version 4)"})
    errors: dict[str, str] = {}
    version = body.get("version")
    if version is not None and str(version) != "4":
        errors["version"] = f"version {version!r} is not supported; Alertmanager sends \"4\""
    raw_alerts = body.get("alerts")
    if not isinstance(raw_alerts, list):
        errors["alerts"] = "is required and must be a list"
        raise PayloadError(errors)
    if len(raw_alerts) > MAX_ALERTS_PER_REQUEST:
        raise PayloadError({"alerts": f"has {len(raw_alerts)} items; at most {MAX_ALERTS_PER_REQUEST} per request"})
    group_key = body.get("groupKey") or ""
    if not isinstance(group_key, str):
        errors["groupKey"] = "must be a string"
    alerts = []
    for index, item in enumerate(raw_alerts):
        alert = _parse_one(item, f"alerts[{index}]", errors)
        if alert is not None:
            alerts.append(alert)
    if errors:
        raise PayloadError(errors)
    return alerts, {"group_key": group_key if isinstance(group_key, str) else ""}


def _parse_one(item, path: str, errors: dict) -> IncomingAlert | None:
    if not isinstance(item, dict):
        errors[path] = "must be an object"
        return None
    status = item.get("status")
    if status not in ("firing", "resolved"):
        errors[f"{path}.status"] = "must be \"firing\" or \"resolved\""
    labels = _string_map(item.get("labels"), f"{path}.labels", errors)
    if "labels" not in item:
        errors[f"{path}.labels"] = "is required"
    elif not labels.get("alertname") and f"{path}.labels" not in errors:
        errors[f"{path}.labels.alertname"] = "is required"
    annotations = _string_map(item.get("annotations"), f"{path}.annotations", errors)
    starts_at = parse_time(item.get("startsAt"), f"{path}.startsAt", errors)
    ends_at = parse_time(item.get("endsAt"), f"{path}.endsAt", errors)
    if starts_at is None and f"{path}.startsAt" not in errors:
        errors[f"{path}.startsAt"] = "is required"
    generator_url = item.get("generatorURL") or ""
    if not isinstance(generator_url, str) or len(generator_url) > 2000:
        errors[f"{path}.generatorURL"] = "must be a URL string of at most 2000 characters"
        generator_url = ""
    fingerprint = item.get("fingerprint") or ""
    if not isinstance(fingerprint, str) or len(fingerprint) > 64:
        errors[f"{path}.fingerprint"] = "must be a string of at most 64 characters"
        fingerprint = ""
    if status not in ("firing", "resolved") or f"{path}.labels" in errors:
        return None
    return IncomingAlert(status=status, labels=labels, annotations=annotations, starts_at=starts_at,
                         ends_at=ends_at, generator_url=generator_url,
                         fingerprint=fingerprint or label_fingerprint(labels))


def _dig(obj, dotted: str):
    for part in dotted.split(".") if dotted else ():
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


DEFAULT_GENERIC_MAPPING = {
    "alerts": "alerts",  # path to the list of alerts; "" when the body is one alert or a list
    "name": "name",
    "status": "status",
    "resolved_values": ["resolved", "ok", "closed", "recovered"],
    "severity": "severity",
    "fingerprint": "id",
    "starts_at": "starts_at",
    "ends_at": "ends_at",
    "labels": "labels",
    "annotations": "annotations",
    "summary": "summary",
    "description": "description",
    "service": "service",
    "instance": "instance",
    "url": "url",
}


def parse_generic(body, mapping: dict | None) -> tuple[list[IncomingAlert], dict]:
    """Any JSON alert source, through the integration's field mapping (dotted paths)."""
    m = {**DEFAULT_GENERIC_MAPPING, **(mapping or {})}
    items = _dig(body, m["alerts"]) if m["alerts"] else body
    if items is None and isinstance(body, dict):
        items = [body]
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise PayloadError({m["alerts"] or "body": "must be a list of alerts or one alert object"})
    if len(items) > MAX_ALERTS_PER_REQUEST:
        raise PayloadError({"alerts": f"has {len(items)} items; at most {MAX_ALERTS_PER_REQUEST} per request"})
    converted = []
    errors: dict[str, str] = {}
    for index, item in enumerate(items):
        path = f"alerts[{index}]"
        if not isinstance(item, dict):
            errors[path] = "must be an object"
            continue
        labels = dict(_string_map(_dig(item, m["labels"]), f"{path}.{m['labels']}", errors))
        name = _dig(item, m["name"]) or labels.get("alertname")
        if not name:
            errors[f"{path}.{m['name']}"] = "is required (the alert's name)"
            continue
        labels["alertname"] = str(name)
        for field in ("severity", "service", "instance"):
            value = _dig(item, m[field])
            if value not in (None, "") and field not in labels:
                labels[field] = str(value)
        annotations = dict(_string_map(_dig(item, m["annotations"]), f"{path}.{m['annotations']}", errors))
        for field in ("summary", "description"):
            value = _dig(item, m[field])
            if value not in (None, ""):
                annotations.setdefault(field, str(value))
        raw_status = str(_dig(item, m["status"]) or "firing").lower()
        fingerprint = _dig(item, m["fingerprint"])
        converted.append({
            "status": "resolved" if raw_status in m["resolved_values"] else "firing",
            "labels": labels,
            "annotations": annotations,
            "startsAt": _dig(item, m["starts_at"]),
            "endsAt": _dig(item, m["ends_at"]),
            "generatorURL": _dig(item, m["url"]) or "",
            "fingerprint": str(fingerprint) if fingerprint not in (None, "") else "",
        })
    if errors:
        raise PayloadError(errors)
    alerts = []
    for index, item in enumerate(converted):
        path = f"alerts[{index}]"
        starts_missing = item["startsAt"] in (None, "")
        if starts_missing:
            item["startsAt"] = "1970-01-01T00:00:00Z"  # resolved to the open episode by ingest
        alert = _parse_one(item, path, errors)
        if alert is not None:
            if starts_missing:
                alert.starts_at = None
            alerts.append(alert)
    if errors:
        raise PayloadError(errors)
    return alerts, {"group_key": ""}

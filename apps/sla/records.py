"""Domain events → the item facts SLA clocks are computed from (`ItemEvent`, once per event id).

Event time, not arrival time: an alert opens at its `startsAt`, resolves at its `endsAt` when that
is not in the future; people's actions happen when they were published.
"""
from __future__ import annotations

from datetime import datetime

from django.utils.dateparse import parse_datetime

from .choices import ItemEventKind as K
from .choices import SubjectKind

_RUNBOOK_OK = {"succeeded", "success", "successful", "completed", "ok"}
_RUNBOOK_FAILED = {"failed", "error", "timed_out", "rolled_back", "rollback_failed"}


def _time(value) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value)) if not isinstance(value, datetime) else value
    return parsed


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def alert_facts(data: dict) -> dict:
    return {"severity": data.get("severity", ""), "services": [data.get("service", "")],
            "team_id": data.get("team_id"), "labels": data.get("labels") or {},
            "title": data.get("title") or data.get("name", ""), "url": data.get("url", "")}


def incident_facts(data: dict) -> dict:
    services = list(data.get("affected_services") or [])
    if data.get("root_cause_service") and data["root_cause_service"] not in services:
        services.append(data["root_cause_service"])
    return {"severity": data.get("severity", ""), "services": services, "team_id": data.get("team_id"),
            "labels": {}, "title": data.get("title", ""), "url": data.get("url", "")}


def facts_of(event: dict) -> list[dict]:
    """The item facts one domain event states: [{subject_kind, subject_id, kind, at, until, data}]."""
    name, data = event.get("name", ""), event.get("data") or {}
    published = _time(event.get("occurred_at"))
    alert_id, incident_id = _int(data.get("alert_id")), _int(data.get("incident_id"))

    def fact(kind_, subject_id, item_kind, at=None, until=None, **extra):
        if subject_id is None or (at or published) is None:
            return []
        return [{"subject_kind": item_kind, "subject_id": subject_id, "kind": kind_, "at": at or published,
                 "until": until, "data": extra}]

    A, INC = SubjectKind.ALERT, SubjectKind.INCIDENT
    if name == "alert.received":
        if data.get("is_new") is False:
            return []
        return fact(K.OPENED, alert_id, A, _time(data.get("starts_at")) or published, **alert_facts(data))
    if name == "alert.acknowledged":
        return fact(K.ACKNOWLEDGED, alert_id, A)
    if name == "alert.unacknowledged":
        return fact(K.UNACKNOWLEDGED, alert_id, A)
    if name == "alert.resolved":
        ended = _time(data.get("ends_at"))
        at = ended if ended and published and ended <= published else published
        return fact(K.RESOLVED, alert_id, A, at)
    if name == "alert.silenced":
        return fact(K.SILENCED, alert_id, A, until=_time(data.get("silenced_until")))
    if name == "incident.created":
        return fact(K.OPENED, incident_id, INC, _time(data.get("started_at")) or published, **incident_facts(data))
    if name == "incident.status_changed":
        old, new = data.get("old_status", ""), data.get("new_status", "")
        out = []
        if old == "resolved" and new != "resolved":
            out += fact(K.REOPENED, incident_id, INC)
        if old == "open" and new not in ("open", ""):
            out += fact(K.ACKNOWLEDGED, incident_id, INC)
        if new == "resolved" and old != "resolved":
            out += fact(K.RESOLVED, incident_id, INC)
        return out
    if name == "incident.root_cause_changed":
        return fact(K.ROOT_CAUSE_CHANGED, incident_id, INC, service=data.get("root_cause_service", ""))
    if name == "escalation.fired":
        level = _int(data.get("level")) or 0
        return fact(K.ESCALATED, alert_id, A, level=level) + fact(K.ESCALATED, incident_id, INC, level=level)
    if name == "runbook.execution_finished":
        status = str(data.get("status", "")).lower()
        kind_ = (K.RUNBOOK_SUCCEEDED if status in _RUNBOOK_OK
                 else K.RUNBOOK_FAILED if status in _RUNBOOK_FAILED else None)
        if kind_ is None:
            return []
        return fact(kind_, alert_id, A, _time(data.get("finished_at")) or published,
                    runbook=data.get("runbook_name", ""))
    if name in ("sla.paused", "sla.resumed"):
        item_kind = data.get("subject_kind")
        if item_kind not in (A, INC):
            return []
        return fact(K.PAUSED if name == "sla.paused" else K.RESUMED, _int(data.get("subject_id")), item_kind,
                    until=_time(data.get("until")), reason=data.get("reason", ""))
    return []

"""What an event is about (its facts) and whether a rule or a snooze matches those facts.

Everything here is pure: facts come from event data only, so the producer's models are never
imported, and the same functions serve rule evaluation, snoozes and the API's validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from fnmatch import fnmatchcase
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .choices import MatchOp, PatternMode, SubjectKind, Trigger

_SUCCESS = {"succeeded", "success", "successful", "completed", "ok"}
_RESOLVED = {"resolved", "closed"}


@dataclass
class Facts:
    event_name: str
    trigger: str | None
    subject_kind: str
    subject_key: str
    title: str = ""
    severity: str = ""
    name: str = ""
    service: str = ""
    services: list[str] = field(default_factory=list)
    instance: str = ""
    labels: dict = field(default_factory=dict)
    team_id: int | None = None
    alert_id: int | None = None
    alert_ids: list[int] = field(default_factory=list)
    incident_id: int | None = None
    url: str = ""
    status: str = ""

    @property
    def pattern_key(self) -> str:
        """The "same alert pattern" of the brief's rate limit: alert name and service."""
        if self.subject_kind == SubjectKind.ALERT:
            return f"{self.name}|{self.service}"[:300]
        return f"{self.subject_kind}|{self.title}"[:300]


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def trigger_for(name: str, data: dict) -> str | None:
    """The rule trigger an event fires, or None for events that only update existing messages."""
    status = str(data.get("status", "")).lower()
    if name == "alert.received":
        return Trigger.ALERT_RECEIVED
    if name == "analysis.completed":
        return Trigger.ANALYSIS_COMPLETE
    if name == "runbook.approval_needed":
        return Trigger.APPROVAL_NEEDED
    if name == "runbook.execution_started":
        return Trigger.EXECUTION_STARTED
    if name == "runbook.execution_finished":
        return Trigger.EXECUTION_SUCCESS if status in _SUCCESS else Trigger.EXECUTION_FAILED
    if name == "incident.created":
        return Trigger.INCIDENT_CREATED
    if name == "incident.status_changed":
        return Trigger.INCIDENT_RESOLVED if status in _RESOLVED else Trigger.INCIDENT_UPDATED
    if name == "sla.breached":
        return Trigger.SLA_BREACH
    if name == "escalation.fired":
        return Trigger.ESCALATION
    return None


def alert_ids_of(data: dict) -> list[int]:
    ids = [_int(v) for v in (data.get("alert_ids") or [])]
    ids.append(_int(data.get("alert_id")))
    return sorted({i for i in ids if i is not None})


def facts_from_event(event: dict) -> Facts:
    name, data = event["name"], event.get("data") or {}
    subject = event.get("subject") or {}
    alert_ids = alert_ids_of(data)
    incident_id = _int(data.get("incident_id"))
    family = name.split(".", 1)[0]
    if family == "alert":
        kind, key = SubjectKind.ALERT, f"alert:{_int(data.get('alert_id')) or subject.get('id')}"
    elif family == "incident":
        kind, key = SubjectKind.INCIDENT, f"incident:{incident_id or subject.get('id')}"
    elif name == "analysis.completed" and (incident_id or alert_ids):
        kind = SubjectKind.INCIDENT if incident_id else SubjectKind.ALERT
        key = f"incident:{incident_id}" if incident_id else f"alert:{alert_ids[0]}"
    elif family == "runbook":
        kind = SubjectKind.EXECUTION
        key = f"execution:{_int(data.get('execution_id')) or subject.get('id')}"
    else:
        kind = family
        key = f"{family}:{data.get('id') or subject.get('id') or event.get('id')}"
    labels = data.get("labels") if isinstance(data.get("labels"), dict) else {}
    services = data.get("services") or data.get("affected_services") or []
    service = str(data.get("service") or "")
    if service and service not in services:
        services = [service, *services]
    return Facts(
        event_name=name,
        trigger=trigger_for(name, data),
        subject_kind=kind,
        subject_key=key,
        title=str(data.get("title") or data.get("name") or data.get("runbook_name") or name)[:500],
        severity=str(data.get("severity") or "").lower(),
        name=str(data.get("name") or labels.get("alertname") or ""),
        service=service,
        services=[str(s) for s in services if s],
        instance=str(data.get("instance") or ""),
        labels={str(k): str(v) for k, v in labels.items()},
        team_id=_int(data.get("team_id")),
        alert_id=alert_ids[0] if kind == SubjectKind.ALERT and alert_ids else None,
        alert_ids=alert_ids,
        incident_id=incident_id if kind == SubjectKind.INCIDENT or incident_id else None,
        url=str(data.get("url") or ""),
        status=str(data.get("status") or ""),
    )


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def pattern_matches(pattern: str, value: str, mode: str = PatternMode.GLOB) -> bool:
    if mode == PatternMode.REGEX:
        return _regex(pattern).fullmatch(value) is not None
    return fnmatchcase(value, pattern)


def matcher_matches(matcher: dict, labels: dict) -> bool:
    op, value = matcher.get("op", MatchOp.EQUALS), str(matcher.get("value", ""))
    actual = labels.get(matcher.get("label", ""), "")
    if op == MatchOp.EQUALS:
        return actual == value
    if op == MatchOp.NOT_EQUALS:
        return actual != value
    if op == MatchOp.GLOB:
        return fnmatchcase(actual, value)
    if op == MatchOp.NOT_GLOB:
        return not fnmatchcase(actual, value)
    if op == MatchOp.REGEX:
        return _regex(value).fullmatch(actual) is not None
    if op == MatchOp.NOT_REGEX:
        return _regex(value).fullmatch(actual) is None
    return False


def services_match(patterns: list[str], facts: Facts) -> bool:
    if not patterns:
        return True
    names = [s.lower() for s in facts.services]
    return any(fnmatchcase(n, p.lower()) for p in patterns for n in names)


def _labels_for(facts: Facts) -> dict:
    # The alert name and service are matchable like labels even when the source used other keys.
    return {
        "alertname": facts.name,
        "service": facts.service,
        "severity": facts.severity,
        "instance": facts.instance,
        **facts.labels,
    }


def conditions_match(
    *, name_pattern: str, name_mode: str, matchers: list, services: list, facts: Facts
) -> bool:
    """The alert-shaped conditions shared by rules and snoozes."""
    if name_pattern and not pattern_matches(name_pattern, facts.name or facts.title, name_mode):
        return False
    labels = _labels_for(facts)
    if any(not matcher_matches(m, labels) for m in matchers or []):
        return False
    return services_match(services, facts)


def in_window(*, days: list, start: time | None, end: time | None, tz: str, now: datetime) -> bool:
    """Weekday and time-of-day window in the rule's time zone; a window may wrap past midnight."""
    try:
        local = now.astimezone(ZoneInfo(tz or "UTC"))
    except ZoneInfoNotFoundError:
        local = now
    current = local.time()
    if start is None and end is None:
        return not days or local.weekday() in days
    start, end = start or time.min, end or time.max
    if start <= end:
        return (not days or local.weekday() in days) and start <= current < end
    # Wrapping window (22:00–06:00): the early-morning part belongs to the previous day's window.
    if current >= start:
        return not days or local.weekday() in days
    if current < end:
        return not days or (local.weekday() - 1) % 7 in days
    return False


def rule_matches(rule, facts: Facts, *, now: datetime, team_ids: set[int] | None = None) -> bool:
    if facts.trigger not in (rule.trigger_on or []):
        return False
    if rule.severity_filter and facts.severity not in rule.severity_filter:
        return False
    if team_ids and facts.team_id not in team_ids:
        return False
    if not in_window(
        days=rule.active_days, start=rule.active_from, end=rule.active_to, tz=rule.timezone, now=now
    ):
        return False
    return conditions_match(
        name_pattern=rule.alert_name_pattern,
        name_mode=rule.alert_name_mode,
        matchers=rule.label_matchers,
        services=rule.services,
        facts=facts,
    )


def snooze_matches(snooze, facts: Facts, *, rule_id: int | None, now: datetime) -> bool:
    if not (snooze.starts_at <= now < snooze.until):
        return False
    if snooze.rule_id and snooze.rule_id != rule_id:
        return False
    if snooze.team_id and facts.team_id != snooze.team_id:
        return False
    return conditions_match(
        name_pattern=snooze.alert_name_pattern,
        name_mode=PatternMode.GLOB,
        matchers=snooze.label_matchers,
        services=snooze.services,
        facts=facts,
    )

"""The built-in analyser: deterministic, explainable, and no network at all.

It reads the alert's name and labels against the knowledge base (`knowledge.py`), then lets the
assembled context sharpen the answer: a change that landed just before the alert becomes the prime
suspect, a log pattern is quoted (and checked against what the knowledge entry expects), a past
fix that worked goes first in the remediation, a suggestion that already failed on similar alerts
is left out (and said to have failed), an incident's more fundamental alert is pointed at, and a
recurring alert earns a prevention note. Every claim cites the context block it came from,
so the same evidence panel works for the offline and the LLM answers.
"""

from __future__ import annotations

import re
from datetime import datetime

from . import knowledge, schema
from .context import AssembledContext, ContextBlock
from .context_providers import humanize_seconds

CHANGE_LOOKBACK_SECONDS = 6 * 3600
CHANGE_LOOKAHEAD_SECONDS = 5 * 60
GENERIC_LOG_HINTS = [
    (("no space left", "enospc"), "the disk is full"),
    (
        ("outofmemory", "out of memory", "oomkilled", "cannot allocate memory"),
        "the process ran out of memory",
    ),
    (("connection refused", "econnrefused"), "a dependency is down or not listening"),
    (
        ("too many clients", "too many connections", "max_connections", "maxclients"),
        "connections are exhausted",
    ),
    (("deadlock",), "transactions are deadlocking"),
    (("timed out", "timeout", "deadline exceeded"), "a dependency is too slow to answer"),
    (("certificate", "x509", "tls handshake"), "TLS certificates are failing validation"),
    (("permission denied", "unauthorized", "forbidden"), "credentials or permissions changed"),
]


def alert_variables(alert) -> dict:
    """Placeholders for knowledge texts: every label, plus the alert's normalised fields."""
    values = {str(k): str(v) for k, v in (alert.labels or {}).items() if v not in (None, "")}
    annotations = alert.annotations or {}
    values.update(
        {
            k: v
            for k, v in {
                "alertname": alert.name,
                "service": alert.service,
                "instance": alert.instance,
                "environment": alert.environment,
                "severity": alert.severity,
                "summary": alert.summary or annotations.get("summary", ""),
                "description": alert.description or annotations.get("description", ""),
            }.items()
            if v
        }
    )
    values.setdefault("job_name", values.get("job_name") or values.get("job", ""))
    return values


class Draft:
    """Sections under construction, with the evidence behind each claim."""

    def __init__(self, entry: knowledge.Entry, variables: dict):
        self.entry = entry
        self.vars = variables
        self.root_cause = [knowledge.render(entry.root_cause, variables)]
        self.impact = [knowledge.render(entry.impact, variables)]
        self.remediation = [self._step(s) for s in entry.remediation]
        self.prevention = [knowledge.render(p, variables) for p in entry.prevention]
        self.confidence = entry.confidence
        self.runbook = entry.runbook
        self.avoid_runbooks: set[str] = set()  # runbooks that failed on similar alerts
        self.evidence: list[dict] = []

    def _step(self, step: dict) -> dict:
        out = {"step": knowledge.render(step["step"], self.vars)}
        if step.get("command"):
            out["command"] = knowledge.render(step["command"], self.vars)
        return out

    def cite(self, section: str, claim: str, block: ContextBlock | None) -> None:
        if block is not None and block.id:
            self.evidence.append({"section": section, "claim": claim, "refs": [block.id]})

    def result(self, known_refs: set[str]) -> dict:
        data = {
            "root_cause": " ".join(p for p in self.root_cause if p),
            "impact": " ".join(p for p in self.impact if p),
            "remediation": self.remediation[:12],
            "suggested_runbook": self.runbook,
            "prevention": list(dict.fromkeys(self.prevention))[:10],
            "confidence": round(min(max(self.confidence, 0.05), 0.95), 2),
            "evidence": self.evidence[:30],
        }
        return schema.clean(schema.validate(data), known_refs=known_refs)


def _parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _alert_draft(alert, context: AssembledContext) -> Draft:
    entry = knowledge.match(alert.name, alert.labels)
    draft = Draft(entry, alert_variables(alert))
    block = next(iter(context.by_kind("alert")), None)
    how = (
        f"knowledge-base entry “{entry.title}” ({entry.source})"
        if entry.id != "generic"
        else "no specific knowledge-base entry; the alert's own summary and description"
    )
    draft.cite("root_cause", f"{alert.name} with labels {_label_digest(alert)} matched {how}", block)
    where = f"{alert.severity} alert on {alert.service or 'an unnamed service'}" + (
        f" in {alert.environment}" if alert.environment else ""
    )
    draft.impact.append(f"This is a {where}.")
    draft.cite("impact", f"Severity, service and environment of {alert.name}", block)
    if block is not None and block.facts.get("status") == "resolved":
        draft.impact.insert(
            0, f"The alert already resolved after {humanize_seconds(block.facts.get('duration_seconds'))}."
        )
    return draft


def _label_digest(alert) -> str:
    keys = [
        k
        for k in ("namespace", "pod", "container", "deployment", "node", "mountpoint", "job", "instance")
        if alert.labels.get(k)
    ]
    return "{" + ", ".join(f"{k}={alert.labels[k]}" for k in keys[:4]) + "}" if keys else "{}"


def _incident_draft(subject, context: AssembledContext) -> Draft:
    alerts = subject.alerts
    incident_block = next(iter(context.by_kind("incident")), None)
    root_id = getattr(subject.obj, "root_cause_alert_id", None)
    if not alerts:
        entry = knowledge.match("*")
        draft = Draft(entry, {"alertname": subject.title})
        draft.root_cause = [f"Incident {subject.title} has no alerts to analyse yet."]
        draft.cite("root_cause", "The incident record", incident_block)
        return draft
    matched = [(a, knowledge.match(a.name, a.labels)) for a in alerts]
    primary, entry = max(
        matched, key=lambda m: (m[1].rank + (2 if m[0].pk == root_id else 0), -m[0].starts_at.timestamp())
    )
    draft = Draft(entry, alert_variables(primary))
    others = [a for a, _ in matched if a.pk != primary.pk]
    lead = (
        f"The most likely origin is {primary.name} on "
        f"{primary.service or primary.instance or 'an unnamed service'}, "
        f"which started at {primary.starts_at:%H:%M:%S} UTC ({entry.layer}-level failure)."
    )
    draft.root_cause.insert(0, lead)
    if others:
        names = _counted(a.name for a in others)
        draft.root_cause.append(f"The other {len(others)} alert(s) ({names}) look like consequences of it.")
    draft.cite(
        "root_cause", f"{primary.name} is the most fundamental of the incident's alerts", incident_block
    )
    services = sorted({a.service for a in alerts if a.service})
    severities = {a.severity for a in alerts}
    top = next((s for s in ("critical", "warning", "info") if s in severities), "unknown")
    draft.impact.insert(
        0,
        f"{len(alerts)} alert(s) across {len(services)} service(s) ({', '.join(services[:8]) or '-'}); "
        f"highest severity {top}.",
    )
    draft.cite("impact", "Alert count, services and severities of the incident", incident_block)
    draft.remediation.append(
        {
            "step": f"When {primary.name} clears, check that the incident's other alerts resolve; "
            "investigate any that do not as a separate problem."
        }
    )
    if len(others) >= 5:
        draft.prevention.append(
            f"Add an Alertmanager inhibition rule so symptoms of {primary.name} do not page separately."
        )
    same_rank = {e.id for _, e in matched if e.rank == entry.rank}
    if len(same_rank) > 1:
        draft.confidence -= 0.1  # several equally fundamental failures: the pick is less certain
    return draft


def _counted(names) -> str:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(
        f"{n} ×{c}" if c > 1 else n for n, c in sorted(counts.items(), key=lambda kv: -kv[1])[:6]
    )


def _subject_start(subject) -> datetime | None:
    alert = subject.primary_alert
    return alert.starts_at if alert else None


def _apply_changes(draft: Draft, subject, context: AssembledContext) -> None:
    start = _subject_start(subject)
    services = {a.service for a in subject.alerts if a.service}
    best = None
    for block in context.by_kind("change"):
        facts = block.facts
        at = _parse_time(facts.get("at"))
        if (
            start is None
            or at is None
            or (facts.get("service") and services and facts["service"] not in services)
        ):
            continue
        delta = (start - at).total_seconds()
        if -CHANGE_LOOKAHEAD_SECONDS <= delta <= CHANGE_LOOKBACK_SECONDS and (
            best is None or delta < best[1]
        ):
            best = (block, delta)
    if best is None:
        return
    block, delta = best
    facts = block.facts
    service = facts.get("service") or "the service"
    what = facts.get("description") or (f"version {facts['version']}" if facts.get("version") else "a change")
    when = f"{humanize_seconds(abs(delta))} {'before' if delta >= 0 else 'after'} the alert started"
    draft.root_cause.insert(
        0,
        f"A change to {service} ({what}) landed {when}; changes are the most common "
        "trigger, so treat it as the prime suspect.",
    )
    target = f" to {facts['previous_version']}" if facts.get("previous_version") else ""
    draft.remediation.insert(
        0, {"step": f"Roll back {service}{target} (or revert the change) and watch whether the alert clears."}
    )
    weight = float(facts.get("confidence") or 1.0)
    draft.confidence += 0.15 * min(max(weight, 0.0), 1.0)
    draft.cite("root_cause", f"Change to {service} {when}", block)
    draft.cite("remediation", "Rolling back the suspected change", block)


def _apply_logs(draft: Draft, context: AssembledContext) -> None:
    for block in context.by_kind("logs")[:2]:
        facts = block.facts
        patterns = facts.get("patterns") or (
            [{"pattern": facts["pattern"], "count": facts.get("count")}] if facts.get("pattern") else []
        )
        if not patterns:
            continue
        top = patterns[0]
        text = str(top.get("pattern", ""))[:200]
        count = f" ({top['count']}×)" if top.get("count") else ""
        sentence = f"The logs show “{text}”{count} around the alert"
        lowered = text.lower()
        hint = next(
            (meaning for needles, meaning in GENERIC_LOG_HINTS if any(n in lowered for n in needles)), None
        )
        if any(h.lower() in lowered for h in draft.entry.log_hints):
            sentence += ", which fits this explanation"
            draft.confidence += 0.1
        sentence += f"; that error usually means {hint}." if hint else "."
        draft.root_cause.append(sentence)
        draft.cite("root_cause", f"Log pattern “{text}”", block)


def _apply_past_fixes(draft: Draft, context: AssembledContext) -> None:
    fixes = [b for b in context.by_kind("past_fix") if b.facts.get("solution")]
    fixes.sort(key=lambda b: -int(b.facts.get("success_count") or 0))
    for block in fixes[:2][::-1]:
        facts = block.facts
        times = f" (worked {facts['success_count']} time(s))" if facts.get("success_count") else ""
        draft.remediation.insert(0, {"step": f"What fixed this before: {facts['solution']}{times}."})
        draft.cite("remediation", f"Past fix: {facts['solution']}", block)
        if facts.get("runbook"):
            draft.runbook = str(facts["runbook"])
        draft.confidence += 0.1


_ADVICE_WORD = re.compile(r"[a-z0-9]+")
_ADVICE_STOP = {"the", "and", "for", "with", "then", "that", "this", "from", "into", "its", "was", "were"}


def _advice_words(text: str) -> set[str]:
    return {w for w in _ADVICE_WORD.findall(str(text).lower()) if len(w) > 2 and w not in _ADVICE_STOP}


def _same_advice(step: str, failed: str) -> bool:
    """A step repeats a failed suggestion: nearly all words of the shorter text are in the other."""
    a, b = _advice_words(step), _advice_words(failed)
    common = len(a & b)
    return bool(a and b) and (a == b or (common >= 2 and common / min(len(a), len(b)) >= 0.8))


def _runbook_key(name) -> str:
    return str(name or "").lower().replace("_", "-").replace(" ", "-")


def _apply_failed_fixes(draft: Draft, context: AssembledContext) -> None:
    """Leave out what already failed on similar alerts (and its runbook), and say that it failed."""
    failures = [b for b in context.by_kind("failed_fix") if b.facts.get("solution")]
    failures.sort(key=lambda b: -int(b.facts.get("failure_count") or 0))
    for block in failures[:3]:
        facts = block.facts
        texts = [str(facts["solution"]), *(str(t) for t in facts.get("steps") or [])]
        kept = [s for s in draft.remediation if not any(_same_advice(s["step"], t) for t in texts)]
        dropped = len(kept) < len(draft.remediation)
        draft.remediation = kept or [
            {"step": "The usual remedies did not help before: check the service's dependencies, "
                     "recent changes and logs for what differs this time."}
        ]
        if facts.get("runbook"):
            draft.avoid_runbooks.add(_runbook_key(facts["runbook"]))
        if draft.runbook and _runbook_key(draft.runbook) in draft.avoid_runbooks:
            draft.runbook, dropped = None, True
        times = f" {facts['failure_count']} time(s)" if facts.get("failure_count") else ""
        draft.root_cause.append(
            f"History: “{facts['solution']}” did not help{times} on similar alerts"
            + ("; it is left out of the remediation." if dropped else ".")
        )
        draft.cite("root_cause", f"Did not help before: {facts['solution']}", block)


def _apply_runbooks(draft: Draft, context: AssembledContext) -> None:
    candidates = [
        b
        for b in context.by_kind("runbook")
        if b.facts.get("name") and _runbook_key(b.facts["name"]) not in draft.avoid_runbooks
    ]
    if not candidates:
        return
    wanted = _runbook_key(draft.runbook)
    chosen = next((b for b in candidates if _runbook_key(b.facts["name"]) == wanted), None)
    chosen = chosen or (candidates[0] if not draft.runbook else None)
    if chosen is not None:
        draft.runbook = str(chosen.facts["name"])
        draft.cite("remediation", f"Runbook {draft.runbook} applies to this alert", chosen)


def _apply_incident(draft: Draft, subject, context: AssembledContext) -> None:
    block = next(iter(context.by_kind("incident")), None)
    if block is None or not subject.is_alert:
        return
    members = block.facts.get("alerts", [])
    alerts = [a for a in members if a.get("id") != subject.pk]
    services = sorted({a["service"] for a in members if a.get("service")})
    draft.impact.append(
        f"It is part of an incident with {block.facts.get('alert_count', len(alerts) + 1)} alert(s)"
        + (f" across {', '.join(services[:6])}." if services else ".")
    )
    draft.cite("impact", "The alert's incident", block)
    deeper = [(a, knowledge.match(a["name"], a.get("labels") or {})) for a in alerts]
    deeper = [
        (a, e)
        for a, e in deeper
        if e.rank > draft.entry.rank
        and (a.get("service"), a.get("instance")) != (subject.obj.service, subject.obj.instance)
    ]
    if deeper:
        alert, entry = max(deeper, key=lambda m: m[1].rank)
        draft.root_cause.append(
            f"The same incident contains {alert['name']} on "
            f"{alert.get('service') or alert.get('instance') or '-'} "
            f"({entry.layer}-level), which commonly causes alerts like this one — check it first."
        )
        draft.cite("root_cause", f"{alert['name']} in the same incident", block)
        draft.confidence -= 0.1


def _apply_history(draft: Draft, subject, context: AssembledContext) -> None:
    block = next(iter(context.by_kind("similar_alerts")), None)
    if block is None:
        return
    facts = block.facts
    alert = subject.primary_alert
    count = int(facts.get("count") or 0)
    if count >= 3:
        draft.prevention.append(
            f"{alert.name} fired {count} times in {facts.get('lookback_days', 30)} days "
            f"on {alert.service or '-'}: "
            "fix the underlying cause, or tune the rule (threshold, `for:` duration) if it is noise."
        )
        draft.cite("prevention", f"{count} earlier episodes", block)
    median = facts.get("median_duration_seconds")
    if (
        count
        and facts.get("resolved") == count
        and not facts.get("resolved_by_hand")
        and median
        and median < 900
    ):
        draft.impact.append(
            f"Earlier episodes cleared on their own after a median of {humanize_seconds(median)}."
        )
        draft.cite("impact", "How earlier episodes ended", block)


def analyse(subject, context: AssembledContext) -> dict:
    """A schema-valid analysis of `subject` from the knowledge base and the assembled context."""
    draft = _alert_draft(subject.obj, context) if subject.is_alert else _incident_draft(subject, context)
    if subject.alerts:
        _apply_changes(draft, subject, context)
        _apply_history(draft, subject, context)
    _apply_logs(draft, context)
    _apply_failed_fixes(draft, context)
    _apply_past_fixes(draft, context)
    _apply_runbooks(draft, context)
    _apply_incident(draft, subject, context)
    return draft.result(context.ids)

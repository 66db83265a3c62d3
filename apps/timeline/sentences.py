"""The built-in sentences for every event in aiops.events.CATALOGUE (imported in `ready()`).

Producers' data keys differ; each sentence reads the keys its producer documents and tolerates
their absence, falling back to `title`. Everything goes through gettext: entries are written in
the site language (LANGUAGE_CODE).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.alerts.models import Alert

from .formatters import clip, first, join, parse_time, register_formatter, title_of, when


def _d(event: dict) -> dict:
    return event.get("data") or {}


def _published(event: dict):
    return parse_time(event.get("occurred_at"))


def _status(value: str) -> str:
    return value.replace("_", " ") if value else _("unknown")


# --- alerts ----------------------------------------------------------------------------------

def _alert_number(data: dict) -> str:
    return _("alert #%(id)s") % {"id": data.get("alert_id", "?")}


def _alert_title(data: dict) -> str:
    return clip(title_of(data)) or _alert_number(data)


def _alert_details(event: dict) -> str:
    data = _d(event)
    return join(
        _("Severity: %(severity)s") % {"severity": data["severity"]} if data.get("severity") else "",
        _("Service: %(service)s") % {"service": data["service"]} if data.get("service") else "",
        _("Instance: %(instance)s") % {"instance": data["instance"]} if data.get("instance") else "",
    )


def _alert_received(event: dict) -> str:
    data = _d(event)
    if data.get("is_new") is False:
        return _("Alert updated: %(title)s") % {"title": _alert_title(data)}
    return _("Alert fired: %(title)s") % {"title": _alert_title(data)}


def _alert_fired_at(event: dict):
    # A first firing happened at startsAt; a re-send with new content happened when it arrived.
    return parse_time(_d(event).get("starts_at")) if _d(event).get("is_new") is not False else None


def _alert_resolved_at(event: dict):
    # Alertmanager's endsAt is when it really resolved; a projected endsAt later than the event is not.
    ended, published = parse_time(_d(event).get("ends_at")), _published(event)
    if ended and published and ended > published:
        return None
    return ended


def _alert_silenced(event: dict) -> str:
    data = _d(event)
    if data.get("silenced_until"):
        return _("Alert silenced until %(until)s: %(title)s") % {"until": when(data["silenced_until"]),
                                                                  "title": _alert_title(data)}
    return _("Silence lifted: %(title)s") % {"title": _alert_title(data)}


def _user_label(user_id) -> str:
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return (user.get_full_name() or user.get_username()) if user else ""


def _alert_assigned(event: dict) -> str:
    data = _d(event)
    assignee = _user_label(data.get("assignee_id"))
    if assignee:
        return _("Alert assigned to %(assignee)s: %(title)s") % {"assignee": assignee,
                                                                "title": _alert_title(data)}
    return _("Alert unassigned: %(title)s") % {"title": _alert_title(data)}


def _simple_alert(template: str):
    return lambda event: template % {"title": _alert_title(_d(event))}


register_formatter("alert.received", _alert_received, details=_alert_details, event_time=_alert_fired_at)
register_formatter("alert.acknowledged", _simple_alert(gettext_lazy("Alert acknowledged: %(title)s")),
                   details=_alert_details)
register_formatter("alert.unacknowledged", _simple_alert(gettext_lazy("Acknowledgment withdrawn: %(title)s")),
                   details=_alert_details)
register_formatter("alert.resolved", _simple_alert(gettext_lazy("Alert resolved: %(title)s")),
                   details=_alert_details, event_time=_alert_resolved_at)
register_formatter("alert.silenced", _alert_silenced, details=_alert_details)
register_formatter("alert.assigned", _alert_assigned, details=_alert_details)


# --- incidents -------------------------------------------------------------------------------

def _incident(data: dict) -> dict:
    # Responders know incidents by their per-organisation number; the id is the fallback.
    return {"id": first(data, "number", "incident_number", "incident_id", default="?"),
            "title": clip(first(data, "title", "incident_title"))}


def _incident_created(event: dict) -> str:
    return _("Incident #%(id)s opened: %(title)s") % _incident(_d(event))


def _incident_created_details(event: dict) -> str:
    data = _d(event)
    return join(
        _("Severity: %(severity)s") % {"severity": data["severity"]} if data.get("severity") else "",
        _("%(count)s alerts grouped") % {"count": data["alert_count"]} if data.get("alert_count") else "",
        clip(first(data, "reason"), 300),
    )


def _member_alert(event: dict) -> str:
    """The alert an incident or change event is about (its `title` is the incident's or the change's)."""
    data = _d(event)
    named = first(data, "alert_title", "alert_name")
    if not named and data.get("alert_id"):
        alert = (Alert.objects.filter(pk=data["alert_id"], organization_id=event.get("organization_id"))
                 .values_list("summary", "name").first())
        named = (alert[0] or alert[1]) if alert else ""
    return clip(named) or _alert_number(data)


def _alert_added(event: dict) -> str:
    data = _d(event)
    return _("Alert joined incident #%(id)s: %(alert)s") % {**_incident(data), "alert": _member_alert(event)}


def _alert_removed(event: dict) -> str:
    data = _d(event)
    return _("Alert removed from incident #%(id)s: %(alert)s") % {**_incident(data),
                                                                   "alert": _member_alert(event)}


def _membership_details(event: dict) -> str:
    data = _d(event)
    strategy = first(data, "strategy")
    return join(_("Matched by %(strategy)s") % {"strategy": strategy} if strategy else "",
                clip(first(data, "reason"), 300))


def _status_changed(event: dict) -> str:
    data = _d(event)
    return _("Incident #%(id)s status changed from %(old)s to %(new)s") % {
        **_incident(data), "old": _status(first(data, "old_status")),
        "new": _status(first(data, "new_status", "status"))}


def _comment_text(data: dict) -> str:
    return first(data, "comment", "text", "body", "message")


def _commented(event: dict) -> str:
    data = _d(event)
    return _("Comment on incident #%(id)s: “%(excerpt)s”") % {**_incident(data),
                                                               "excerpt": clip(_comment_text(data), 120)}


def _comment_details(event: dict) -> str:
    text = _comment_text(_d(event)).strip()
    return text if len(" ".join(text.split())) > 120 else ""


def _root_cause(event: dict) -> str:
    data = _d(event)
    cause = first(data, "root_cause_service", "root_cause", "service", "root_cause_alert_title")
    if cause:
        return _("Root cause of incident #%(id)s is now %(cause)s") % {**_incident(data),
                                                                        "cause": clip(cause)}
    return _("Root cause of incident #%(id)s changed") % _incident(data)


def _assigned(event: dict) -> str:
    data = _d(event)
    role = _("commander") if data.get("role") == "commander" else _("assignee")
    if data.get("assignee"):
        return _("%(who)s is now %(role)s of incident #%(id)s") % {**_incident(data), "who": clip(data["assignee"]),
                                                                  "role": role}
    return _("Incident #%(id)s has no %(role)s any more") % {**_incident(data), "role": role}


register_formatter("incident.created", _incident_created, details=_incident_created_details)
register_formatter("incident.assigned", _assigned)
register_formatter("incident.alert_added", _alert_added, details=_membership_details)
register_formatter("incident.alert_removed", _alert_removed, details=_membership_details)
register_formatter("incident.status_changed", _status_changed,
                   details=lambda e: clip(first(_d(e), "reason", "note"), 300))
register_formatter("incident.commented", _commented, details=_comment_details)
register_formatter("incident.root_cause_changed", _root_cause,
                   details=lambda e: clip(first(_d(e), "evidence", "reason"), 300))


# --- everything after the alert: analysis, changes, runbooks, notifications, SLA, ... --------

def _target(event: dict) -> str:
    data = _d(event)
    if data.get("incident_id") and not data.get("alert_id"):
        return _("incident #%(id)s") % {"id": data["incident_id"]}
    return _member_alert(event)


def _analysis(event: dict) -> str:
    if first(_d(event), "status") in ("failed", "error"):
        return _("AI analysis failed for %(target)s") % {"target": _target(event)}
    return _("AI analysis finished for %(target)s") % {"target": _target(event)}


def _analysis_details(event: dict) -> str:
    data = _d(event)
    confidence = first(data, "confidence")
    return join(clip(first(data, "root_cause", "failure_reason", "summary", "error"), 300),
                _("Confidence: %(value)s") % {"value": confidence} if confidence else "",
                first(data, "model", "provider_kind", "provider"))


def _change_title(data: dict) -> str:
    # The plan's ChangeEvent: service, event_type (deployment, rollback, ...), version, description.
    named = first(data, "change_title", "title", "description")
    if not named:
        named = " ".join(str(data[k]) for k in ("service", "event_type", "version") if data.get(k))
    return clip(named) or _("a change")


def _change_details(event: dict) -> str:
    data = _d(event)
    author = first(data, "user", "author", "by")
    commit = first(data, "commit_sha", "commit", "revision")
    score = first(data, "correlation_score", "score")
    return join(
        _("Service: %(service)s") % {"service": data["service"]} if data.get("service") else "",
        _("By: %(author)s") % {"author": author} if author else "",
        _("Commit: %(commit)s") % {"commit": commit} if commit else "",
        _("Score: %(score)s") % {"score": score} if score else "",
    )


def _change_time(event: dict):
    # A deployment belongs on the timeline when it happened, not when it was reported or linked.
    return parse_time(first(_d(event), "timestamp", "changed_at", "deployed_at"))


def _change_recorded(event: dict) -> str:
    return _("Change: %(title)s") % {"title": _change_title(_d(event))}


def _change_correlated(event: dict) -> str:
    data = _d(event)
    return _("Change linked to %(alert)s: %(change)s") % {"alert": _member_alert(event),
                                                          "change": _change_title(data)}


def _runbook(data: dict) -> str:
    return clip(first(data, "runbook_name", "runbook", "name", "title")) or _("runbook")


def _execution_finished(event: dict) -> str:
    data = _d(event)
    return _("Runbook “%(runbook)s” finished: %(status)s") % {"runbook": _runbook(data),
                                                             "status": _status(first(data, "status"))}


def _execution_details(event: dict) -> str:
    data = _d(event)
    duration = first(data, "duration_seconds", "duration")
    started, finished = parse_time(data.get("started_at")), parse_time(data.get("finished_at"))
    if not duration and started and finished:
        duration = round((finished - started).total_seconds())
    return join(
        _("Duration: %(seconds)s s") % {"seconds": duration} if duration not in ("", None) else "",
        first(data, "target"),
        clip(first(data, "status_reason", "output_summary", "error", "reason"), 300),
    )


def _notification(event: dict) -> str:
    data = _d(event)
    return _("Notification %(status)s via %(channel)s") % {
        "status": _status(first(data, "status", "outcome")),
        "channel": clip(first(data, "channel_name", "channel", "channel_kind", "kind")) or _("a channel")}


def _escalation(event: dict) -> str:
    data = _d(event)
    sentence = _("Escalation level %(level)s fired: %(policy)s") % {
        "level": first(data, "level", "step", default="?"),
        "policy": clip(first(data, "policy_name", "policy", "title"))}
    if data.get("paged"):  # people resolved from on-call schedules when the level fired
        sentence += " — " + _("paged %(who)s") % {"who": clip(", ".join(str(p) for p in data["paged"]))}
    return sentence


def _sla(event: dict) -> str:
    data = _d(event)
    name = clip(first(data, "sla_name", "sla", "name", "title"))
    return _("SLA breached: %(sla)s") % {"sla": name or _("an SLA")}


def _sla_details(event: dict) -> str:
    data = _d(event)
    due = first(data, "due_at", "deadline")
    return join(first(data, "target", "kind"), _("Due: %(due)s") % {"due": when(due)} if due else "")


def _sla_warning(event: dict) -> str:
    data = _d(event)
    return _("SLA warning: %(target)s of %(sla)s at %(pct)s %% of its target") % {
        "target": str(first(data, "target", default="")).upper() or _("a target"),
        "sla": clip(first(data, "sla_name", "sla")) or _("an SLA"),
        "pct": first(data, "threshold_percent", default="80")}


def _sla_paused(event: dict) -> str:
    return _("SLA clocks paused (%(reason)s): %(title)s") % {
        "reason": _status(first(_d(event), "reason")), "title": clip(title_of(_d(event)))}


def _sla_report(event: dict) -> str:
    data = _d(event)
    return _("SLA compliance report ready: %(title)s") % {"title": clip(first(data, "title")) or _("a period")}


def _forecast(event: dict) -> str:
    data = _d(event)
    breach = first(data, "breach_at", "predicted_at", "at")
    return _("Forecast: %(what)s crosses its threshold at %(when)s") % {
        "what": clip(first(data, "metric", "title", "name")) or _("a metric"),
        "when": when(breach) or _("soon")}


def _simple(template, *keys: str):
    return lambda event: template % {"what": clip(first(_d(event), *keys))}


register_formatter("analysis.completed", _analysis, details=_analysis_details)
register_formatter("change.recorded", _change_recorded, details=_change_details, event_time=_change_time)
register_formatter("change.correlated", _change_correlated, details=_change_details, event_time=_change_time)
register_formatter("runbook.approval_needed", lambda e: _("Runbook “%(runbook)s” waits for approval") % {
    "runbook": _runbook(_d(e))})
register_formatter("runbook.execution_started", lambda e: _("Runbook “%(runbook)s” started") % {
    "runbook": _runbook(_d(e))})
register_formatter("runbook.execution_finished", _execution_finished, details=_execution_details)
register_formatter("notification.delivered", _notification,
                   details=lambda e: clip(first(_d(e), "error", "reason", "target"), 300))
register_formatter("escalation.fired", _escalation,
                   details=lambda e: clip(first(_d(e), "title", "reason"), 300))
register_formatter("sla.breached", _sla, details=_sla_details)
register_formatter("sla.warning", _sla_warning, details=_sla_details)
register_formatter("sla.paused", _sla_paused)
register_formatter("sla.resumed", lambda e: _("SLA clocks resumed (%(reason)s): %(title)s") % {
    "reason": _status(first(_d(e), "reason")), "title": clip(title_of(_d(e)))})
register_formatter("sla.report_ready", _sla_report)
register_formatter("prediction.breach_forecast", _forecast)
register_formatter("capacity.breach_forecast", _simple(gettext_lazy("Capacity: %(what)s"), "metric", "resource"))
register_formatter("capacity.report_ready", _simple(gettext_lazy("Capacity report ready: %(what)s"), "title"))
register_formatter("anomaly.detected",
                   _simple(gettext_lazy("Anomaly detected: %(what)s"), "metric", "title", "name"))
register_formatter("oncall.shift_changed", lambda e: _("%(who)s is now on call for %(schedule)s") % {
    "who": clip(first(_d(e), "user", default="")) or _("nobody"), "schedule": clip(first(_d(e), "schedule", "title"))})
register_formatter("oncall.coverage_gap", lambda e: _("%(schedule)s has nobody on call from %(start)s") % {
    "schedule": clip(first(_d(e), "schedule", "title")), "start": when(first(_d(e), "gap_start", default=""))})
register_formatter("oncall.shift_starting", lambda e: _("%(who)s goes on call for %(schedule)s at %(time)s") % {
    "who": clip(first(_d(e), "user", default="")), "schedule": clip(first(_d(e), "schedule", default="")),
    "time": clip(first(_d(e), "starts_local", default=""))})
register_formatter("feedback.recorded",
                   _simple(gettext_lazy("Feedback recorded: %(what)s"), "rating", "title", "comment"))


# --- runbook Git sync ----------------------------------------------------------------------------

def _git_commit(data: dict) -> str:
    sha = str(first(data, "commit_sha", default=""))[:12]
    return join(_("Commit: %(sha)s") % {"sha": sha} if sha else "", clip(first(data, "commit_author")),
                clip(first(data, "commit_subject"), 200))


def _sync_succeeded(event: dict) -> str:
    data = _d(event)
    return _("Runbooks synced from %(repository)s: %(created)s created, %(updated)s updated, "
             "%(deactivated)s deactivated") % {"repository": clip(first(data, "repository")) or _("a repository"),
                                               "created": data.get("created", 0), "updated": data.get("updated", 0),
                                               "deactivated": data.get("deactivated", 0)}


def _sync_failed(event: dict) -> str:
    return _("Runbook sync of %(repository)s failed") % {
        "repository": clip(first(_d(event), "repository")) or _("a repository")}


def _sync_details(event: dict) -> str:
    data = _d(event)
    invalid = data.get("invalid") or 0
    return join(_git_commit(data), _("%(count)s invalid files") % {"count": invalid} if invalid else "",
                clip(first(data, "error"), 300))


def _git_runbook(template):
    return lambda event: template % {"runbook": _runbook(_d(event)), "path": clip(first(_d(event), "path"))}


def _git_runbook_details(event: dict) -> str:
    data = _d(event)
    moved = first(data, "renamed_from")
    return join(_("Renamed from %(path)s") % {"path": clip(moved)} if moved else "",
                _("Version %(version)s") % {"version": data["version"]} if data.get("version") else "",
                _git_commit(data))


register_formatter("gitsync.sync_succeeded", _sync_succeeded, details=_sync_details)
register_formatter("gitsync.sync_failed", _sync_failed, details=_sync_details)
register_formatter("gitsync.runbook_created",
                   _git_runbook(gettext_lazy("Runbook “%(runbook)s” created from %(path)s")),
                   details=_git_runbook_details)
register_formatter("gitsync.runbook_updated",
                   _git_runbook(gettext_lazy("Runbook “%(runbook)s” updated from %(path)s")),
                   details=_git_runbook_details)
register_formatter("gitsync.runbook_deactivated",
                   _git_runbook(gettext_lazy("Runbook “%(runbook)s” deactivated: %(path)s was removed")),
                   details=_git_runbook_details)

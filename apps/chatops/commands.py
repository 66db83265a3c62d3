"""The chat command grammar, shared by Slack and Teams, and the actions behind buttons.

Every command parses its arguments strictly (shlex tokens, integer IDs, a bounded duration), checks
the caller's role in the workspace's organisation exactly as the API does for the same action, and
calls the same service the portal and API call, so the audit trail (alert events, runbook audit,
timeline) is the one every front door writes. Nothing from the command text reaches a shell.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from aiops.access import access_for
from aiops.exceptions import ActionRefused
from aiops.roles import Role

from . import conf

ROLE_NAMES = {Role.VIEWER: "viewer", Role.OPERATOR: "operator", Role.ADMIN: "admin", Role.OWNER: "owner"}
DURATION = re.compile(r"^(\d{1,4})([mhd])$")
UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}


class CommandError(Exception):
    """A refusal answered ephemerally with its reason."""


@dataclass
class Actor:
    """Who speaks from chat: the organisation of the workspace, the linked user (or None), a label."""

    organization: object
    user: object | None
    label: str  # "@jane (Slack)", recorded in notes
    front_door: str = "Slack"
    read_only: bool = False  # Teams outgoing webhooks answer read commands only
    team: object | None = None  # the team the Slack channel is mapped to: commands there default to it


@dataclass
class Reply:
    text: str
    blocks: list = field(default_factory=list)
    ephemeral: bool = True

    def slack(self, **extra) -> dict:
        body = {"response_type": "ephemeral" if self.ephemeral else "in_channel", "text": self.text[:3000]}
        if self.blocks:
            body["blocks"] = self.blocks[:50]
        return {**body, **extra}

    def teams(self) -> dict:
        return {"type": "message", "text": self.text}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


# --- role checks -----------------------------------------------------------------------------------

def require(actor: Actor, role: Role, verb: str) -> None:
    """Refuse unless the actor has `role` in the organisation; the message says what they are."""
    org = actor.organization
    if actor.user is None:
        raise CommandError(_("%(verb)s needs a linked portal account.") % {"verb": verb.capitalize()})
    current = access_for(actor.user).role_in(org.pk)
    if current is None:
        raise CommandError(_("you are not a member of %(org)s") % {"org": org.name})
    if current < role:
        raise CommandError(_("you are a %(role)s in %(org)s; %(verb)s needs %(needed)s") % {
            "role": ROLE_NAMES[Role(current)], "org": org.name, "verb": verb, "needed": ROLE_NAMES[role]})


# --- argument parsing ------------------------------------------------------------------------------

def tokens(text: str) -> list[str]:
    try:
        return shlex.split(text or "")
    except ValueError:
        raise CommandError(_("unbalanced quotes in the command")) from None


def integer(value: str, what: str) -> int:
    text = value.lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise CommandError(_("%(what)s must be a number, not %(value)r") % {"what": what, "value": value[:40]})
    return int(text)


def duration(value: str) -> timedelta:
    match = DURATION.match(value.strip().lower())
    if not match:
        raise CommandError(_("the duration must look like 30m, 4h or 2d, not %(v)r") % {"v": value[:40]})
    minutes = int(match.group(1)) * UNIT_MINUTES[match.group(2)]
    if minutes <= 0 or minutes > conf.max_silence_hours() * 60:
        raise CommandError(_("the duration must be between 1m and %(h)dh") % {"h": conf.max_silence_hours()})
    return timedelta(minutes=minutes)


def arity(args: list, usage: str, low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not (low <= len(args) <= high):
        raise CommandError(_("usage: /aiops %(usage)s") % {"usage": usage})


# --- lookups (always inside the workspace's organisation: another's object is "not found") --------

def _alert(actor: Actor, value: str):
    from apps.alerts.models import Alert

    alert = Alert.objects.filter(organization=actor.organization, pk=integer(value, "the alert ID")).first()
    if alert is None:
        raise CommandError(_("no alert %(id)s in %(org)s") % {"id": value, "org": actor.organization.name})
    return alert


def _incident(actor: Actor, value: str):
    from apps.incidents.models import Incident

    number = integer(value, "the incident number")
    incident = Incident.objects.filter(organization=actor.organization, number=number).first()
    if incident is None:
        raise CommandError(_("no incident #%(n)s in %(org)s") % {"n": number, "org": actor.organization.name})
    return incident


def _execution(actor: Actor, value: str):
    from apps.runbooks.models import RunbookExecution

    execution = RunbookExecution.objects.filter(
        organization=actor.organization, pk=integer(value, "the execution ID")).first()
    if execution is None:
        raise CommandError(_("no runbook execution %(id)s in %(org)s") % {"id": value, "org": actor.organization.name})
    return execution


def _note(actor: Actor) -> str:
    return _("via %(door)s (%(who)s)") % {"door": actor.front_door, "who": actor.label}


# --- commands --------------------------------------------------------------------------------------

HELP = [
    ("help", "this list"),
    ("incidents [all]", "open incidents (of the channel's team, if it has one)"),
    ("incident <number>", "one incident"),
    ("alert <id>", "one alert"),
    ("ack <alert_id>", "acknowledge an alert (operator)"),
    ("resolve <alert_id>", "resolve an alert by hand (operator)"),
    ("silence <alert_id> <30m|4h|2d>", "silence an alert (operator)"),
    ("analyze <alert_id> | analyze incident <number>", "queue an analysis, show the latest (operator)"),
    ("logs <alert_id>", "the alert's log context"),
    ("run <runbook> [target] [key=value ...]", "run a runbook; approval rules apply (operator)"),
    ("oncall [team]", "who is on call now"),
    ("status", "system health, as /readyz sees it"),
    ("declare <title>", "open an incident (operator)"),
    ("approve <execution_id>", "approve a waiting runbook run (operator)"),
    ("reject <execution_id> [reason]", "reject a waiting runbook run (operator)"),
]


def cmd_help(actor, args):
    lines = [f"`/aiops {usage}` — {what}" for usage, what in HELP]
    return Reply(_("AIOps commands"), [section("*" + _("AIOps commands") + "*\n" + "\n".join(lines))])


def cmd_incidents(actor, args):
    from apps.incidents.choices import ACTIVE_STATUSES
    from apps.incidents.models import Incident

    arity(args, "incidents [all]", 0, 1)
    if args and args[0].lower() != "all":
        raise CommandError(_("usage: /aiops %(usage)s") % {"usage": "incidents [all]"})
    found = Incident.objects.filter(organization=actor.organization, status__in=ACTIVE_STATUSES)
    where = actor.organization.name
    if actor.team is not None and not args:  # the channel's team, unless "all" is asked for
        found = found.filter(team=actor.team)
        where = _("%(team)s (%(org)s)") % {"team": actor.team.name, "org": actor.organization.name}
    rows = list(found.order_by("-started_at")[:15])
    if not rows:
        return Reply(_("No open incidents in %(org)s.") % {"org": where})
    lines = [f"• *#{i.number}* [{i.severity}] {i.title} — {i.get_status_display()}" for i in rows]
    text = _("Open incidents in %(org)s") % {"org": where}
    return Reply(text + "\n" + "\n".join(lines), [section(f"*{text}*\n" + "\n".join(lines))])


def cmd_incident(actor, args):
    arity(args, "incident <number>", 1)
    i = _incident(actor, args[0])
    text = f"*#{i.number} {i.title}*\n{_('Status')}: {i.get_status_display()} · {_('Severity')}: {i.severity}" \
           f" · {_('Alerts')}: {i.alert_count}"
    if i.summary:
        text += "\n" + i.summary[:1000]
    return Reply(text, [section(text)])


def cmd_alert(actor, args):
    arity(args, "alert <id>", 1)
    a = _alert(actor, args[0])
    state = a.get_status_display()
    if a.acknowledged_at:
        state += " · " + _("acknowledged")
    if a.silenced_until and a.silenced_until > timezone.now():
        state += " · " + _("silenced until %(t)s") % {"t": a.silenced_until.strftime("%Y-%m-%d %H:%M UTC")}
    text = f"*{_('Alert')} {a.pk}: {a.name}* [{a.severity}]\n{a.service or '—'} · {state}"
    if a.summary:
        text += "\n" + a.summary[:1000]
    return Reply(text, [section(text)])


def cmd_ack(actor, args):
    from apps.alerts.choices import ActionSource
    from apps.alerts.services import alert_acknowledge

    arity(args, "ack <alert_id>", 1)
    require(actor, Role.OPERATOR, "acknowledging")
    alert = _alert(actor, args[0])
    already = alert.acknowledged_at is not None
    alert_acknowledge(alert=alert, user=actor.user, source=ActionSource.CHAT, note=_note(actor))
    if already:
        return Reply(_("Alert %(id)s was already acknowledged.") % {"id": alert.pk})
    return Reply(_("%(who)s acknowledged alert %(id)s (%(name)s).") % {
        "who": actor.label, "id": alert.pk, "name": alert.name}, ephemeral=False)


def cmd_resolve(actor, args):
    from apps.alerts.choices import ActionSource, AlertStatus
    from apps.alerts.services import alert_resolve

    arity(args, "resolve <alert_id>", 1)
    require(actor, Role.OPERATOR, "resolving")
    alert = _alert(actor, args[0])
    if alert.status == AlertStatus.RESOLVED:
        return Reply(_("Alert %(id)s is already resolved.") % {"id": alert.pk})
    alert_resolve(alert=alert, user=actor.user, source=ActionSource.CHAT, note=_note(actor))
    return Reply(_("%(who)s resolved alert %(id)s (%(name)s).") % {
        "who": actor.label, "id": alert.pk, "name": alert.name}, ephemeral=False)


def cmd_silence(actor, args):
    from apps.alerts.choices import ActionSource
    from apps.alerts.services import alert_silence

    arity(args, "silence <alert_id> <30m|4h|2d>", 2)
    require(actor, Role.OPERATOR, "silencing")
    alert = _alert(actor, args[0])
    span = duration(args[1])
    until = timezone.now() + span
    if alert.silenced_until and alert.silenced_until >= until - timedelta(minutes=1):
        return Reply(_("Alert %(id)s is already silenced until %(t)s.") % {
            "id": alert.pk, "t": alert.silenced_until.strftime("%Y-%m-%d %H:%M UTC")})
    alert_silence(alert=alert, user=actor.user, until=until, source=ActionSource.CHAT, note=_note(actor))
    return Reply(_("%(who)s silenced alert %(id)s until %(t)s.") % {
        "who": actor.label, "id": alert.pk, "t": until.strftime("%Y-%m-%d %H:%M UTC")}, ephemeral=False)


def cmd_oncall(actor, args):
    from apps.oncall import selectors
    from apps.oncall.models import Schedule

    arity(args, "oncall [team]", 0, 1)
    schedules = Schedule.objects.filter(organization=actor.organization).select_related("team")
    if args:
        wanted = args[0].lstrip("@#").lower()
        schedules = [s for s in schedules if (s.team and (s.team.name.lower() == wanted
                     or getattr(s.team, "slug", "").lower() == wanted)) or s.name.lower() == wanted]
        if not schedules:
            raise CommandError(_("no on-call schedule for %(team)r in %(org)s") % {
                "team": args[0][:40], "org": actor.organization.name})
    elif actor.team is not None and schedules.filter(team=actor.team).exists():
        schedules = schedules.filter(team=actor.team)
    lines = []
    for schedule in list(schedules)[:20]:
        shifts = selectors.oncall_at(schedule)
        users = selectors.users_by_id([s.user_id for s in shifts if s.user_id])
        names = [selectors.display_name(users.get(s.user_id)) for s in shifts if s.user_id in users]
        who = ", ".join(names) if names else _("nobody (coverage gap)")
        lines.append(f"• *{schedule.name}*: {who}")
    if not lines:
        return Reply(_("No on-call schedules in %(org)s.") % {"org": actor.organization.name})
    text = _("On call now") + "\n" + "\n".join(lines)
    return Reply(text, [section(text)])


def cmd_status(actor, args):
    from aiops import health

    arity(args, "status", 0)
    failures = {name: err for name, err in (("database", health._check_database()),
                                            ("broker", health._check_broker())) if err}
    if "database" not in failures:
        figures, more = health.work_status(per_subscriber=False)
        failures.update(more)
    else:
        figures = {}
    if failures:
        lines = [f"• {name}: {err}" for name, err in failures.items()]
        text = ":red_circle: " + _("Unavailable") + "\n" + "\n".join(lines)
    else:
        text = ":large_green_circle: " + _("Ready") + " · " + _("open events: %(n)s") % {
            "n": figures.get("open_events", 0)}
    return Reply(text, [section(text)])


def cmd_declare(actor, args):
    from apps.incidents.services import incident_create

    if not args:
        raise CommandError(_("usage: /aiops %(usage)s") % {"usage": "declare <title>"})
    require(actor, Role.OPERATOR, "declaring an incident")
    title = " ".join(args).strip()[:300]
    incident = incident_create(organization=actor.organization, user=actor.user, title=title, team=actor.team)
    return Reply(_("%(who)s declared incident #%(n)s: %(title)s") % {
        "who": actor.label, "n": incident.number, "title": incident.title}, ephemeral=False)


def cmd_approve(actor, args):
    from apps.runbooks.choices import ExecutionStatus
    from apps.runbooks.services.executions import execution_approve

    arity(args, "approve <execution_id>", 1)
    require(actor, Role.OPERATOR, "approving a runbook run")
    execution = _execution(actor, args[0])
    if execution.status != ExecutionStatus.PENDING_APPROVAL and execution.decided_by_id == actor.user.pk:
        return Reply(_("You already decided on execution %(id)s (%(s)s).") % {
            "id": execution.pk, "s": execution.get_status_display().lower()})
    execution_approve(execution=execution, user=actor.user, note=_note(actor))
    return Reply(_("%(who)s approved runbook execution %(id)s.") % {"who": actor.label, "id": execution.pk},
                 ephemeral=False)


def cmd_reject(actor, args):
    from apps.runbooks.choices import ExecutionStatus
    from apps.runbooks.services.executions import execution_reject

    if not args:
        raise CommandError(_("usage: /aiops %(usage)s") % {"usage": "reject <execution_id> [reason]"})
    require(actor, Role.OPERATOR, "rejecting a runbook run")
    execution = _execution(actor, args[0])
    if execution.status != ExecutionStatus.PENDING_APPROVAL and execution.decided_by_id == actor.user.pk:
        return Reply(_("You already decided on execution %(id)s (%(s)s).") % {
            "id": execution.pk, "s": execution.get_status_display().lower()})
    reason = " ".join(args[1:]).strip()[:1000]
    execution_reject(execution=execution, user=actor.user, note=reason or _note(actor))
    return Reply(_("%(who)s rejected runbook execution %(id)s.") % {"who": actor.label, "id": execution.pk},
                 ephemeral=False)


# --- analysis, logs, runbooks (the analysis, logs and runbooks apps' services) --------------------

def _visible_alert(actor: Actor, value: str):
    """An alert the linked user may see (team scoping as in the portal); others are "not found"."""
    from apps.alerts.models import Alert

    # Teams' read-only door has no linked user: it reads organisation-wide, as its other read commands.
    alerts = Alert.objects.for_org(actor.organization)
    if actor.user is not None:
        alerts = alerts.visible_to(actor.user)
    alert = alerts.filter(pk=integer(value, "the alert ID")).first()
    if alert is None:
        raise CommandError(_("no alert %(id)s in %(org)s") % {"id": value, "org": actor.organization.name})
    return alert


def _analysis_line(analysis) -> str:
    if analysis.status == "failed":
        return _("Analysis v%(v)s failed: %(reason)s") % {
            "v": analysis.version, "reason": analysis.failure_reason[:300]}
    text = _("Latest analysis (v%(v)s)") % {"v": analysis.version}
    if analysis.confidence is not None:
        text += " " + _("confidence %(c)d%%") % {"c": round(analysis.confidence * 100)}
    if analysis.root_cause:
        text += "\n*" + _("Root cause") + "*: " + analysis.root_cause[:800]
    runbook = (analysis.suggested_runbook or {}).get("name")
    if runbook:
        text += "\n*" + _("Suggested runbook") + "*: " + str(runbook)[:200]
    return text


ANALYZE_USAGE = "analyze <alert_id> | analyze incident <number>"


def cmd_analyze(actor, args):
    """Queue a new analysis (operator, as the portal's "Analyse again") and show the latest finished one."""
    from apps.analysis import incident_support
    from apps.analysis import services as analysis_services
    from apps.analysis.choices import AnalysisStatus, SubjectType, Trigger
    from apps.analysis.selectors import analyses_for
    from apps.analysis.subjects import Subject

    arity(args, ANALYZE_USAGE, 1, 2)
    if len(args) == 2 and args[0].lower() != "incident":
        raise CommandError(_("usage: /aiops %(usage)s") % {"usage": ANALYZE_USAGE})
    require(actor, Role.OPERATOR, "analysing")
    if len(args) == 2:
        incidents = incident_support.visible_incidents(actor.user, actor.organization)
        number = integer(args[1], "the incident number")
        incident = incidents.filter(number=number).first() if incidents is not None else None
        if incident is None:
            raise CommandError(_("no incident #%(n)s in %(org)s") % {"n": number, "org": actor.organization.name})
        subject, kind = Subject.for_incident(incident), SubjectType.INCIDENT
        what = _("incident #%(n)s") % {"n": incident.number}
    else:
        alert = _visible_alert(actor, args[0])
        subject, kind = Subject.for_alert(alert), SubjectType.ALERT
        what = _("alert %(id)s") % {"id": alert.pk}
    done = (analyses_for(user=actor.user, organization=actor.organization, subject_type=kind, pk=subject.pk)
            .filter(status__in=[AnalysisStatus.OK, AnalysisStatus.REUSED, AnalysisStatus.FAILED]).first())
    queued = analysis_services.analysis_request(subject=subject, trigger=Trigger.MANUAL, requested_by=actor.user)
    text = _("%(who)s queued analysis v%(v)s of %(what)s.") % {"who": actor.label, "v": queued.version, "what": what}
    if done is not None:
        shown = done.reused_from if done.status == AnalysisStatus.REUSED and done.reused_from else done
        text += "\n" + _analysis_line(shown)
    return Reply(text, [section(text)])


def cmd_logs(actor, args):
    """The alert's log context from the logs app; fetching a missing one needs operator (the portal's
    "Fetch logs")."""
    from django.apps import apps as django_apps

    from aiops.access import access_for

    arity(args, "logs <alert_id>", 1)
    if not django_apps.is_installed("apps.logs"):
        raise CommandError(_("the logs app is not installed"))
    from apps.logs import services as log_services

    alert = _visible_alert(actor, args[0])
    may_fetch = actor.user is not None and access_for(actor.user).has_role(actor.organization.pk, Role.OPERATOR)
    context = log_services.context_for_alert(alert, fetch=may_fetch)
    if context is None:
        if may_fetch:
            return Reply(_("No log source applies to alert %(id)s in %(org)s.") % {
                "id": alert.pk, "org": actor.organization.name})
        return Reply(_("No log context for alert %(id)s yet; fetching logs needs operator.") % {"id": alert.pk})
    head = _("Logs for alert %(id)s (%(name)s)") % {"id": alert.pk, "name": alert.name}
    if context.status not in ("ok", "empty"):
        text = f"*{head}*\n{context.get_status_display()}: {context.reason[:500]}"
        return Reply(text, [section(text)])
    counts = ", ".join(f"{level}: {n}" for level, n in sorted((context.level_counts or {}).items()))
    lines = [f"*{head}*", _("%(n)s lines") % {"n": context.entries} + (f" ({counts})" if counts else "")]
    if context.summary:
        lines.append(context.summary[:800])
    for pattern in (context.patterns or [])[:5]:
        if isinstance(pattern, dict):
            template = str(pattern.get("template", ""))[:200].replace("`", "'")
            lines.append(f"• {pattern.get('count', 0)}× `{template}`")
    key = [str(k.get("line", ""))[:200] for k in (context.key_lines or [])[:5] if isinstance(k, dict)]
    if key:
        lines.append("```" + "\n".join(key).replace("`", "'") + "```")
    if context.explore_url:
        lines.append(f"<{context.explore_url}|" + _("Open in the log source") + ">")
    text = "\n".join(lines)
    return Reply(text, [section(text)])


PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]{0,63})=(.*)$", re.S)
RUN_USAGE = "run <runbook> [target] [key=value ...]"


def runbook_lookup(actor: Actor, value: str):
    """A runbook the linked user may see, by ID or (case-insensitive, unique) name."""
    from apps.runbooks.models import Runbook

    runbooks = Runbook.objects.visible_to(actor.user).for_org(actor.organization)
    text = value.lstrip("#")
    found = runbooks.filter(pk=int(text)).first() if text.isascii() and text.isdigit() and len(text) < 12 else None
    if found is None:
        matches = list(runbooks.filter(name__iexact=value)[:2])
        if len(matches) > 1:
            raise CommandError(_("several runbooks are named %(name)r; use its ID") % {"name": value[:80]})
        found = matches[0] if matches else None
    if found is None:
        raise CommandError(_("no runbook %(name)r in %(org)s") % {"name": value[:80], "org": actor.organization.name})
    return found


def run_runbook(actor: Actor, runbook, *, alert=None, target_name: str | None = None, inputs: dict | None = None):
    """Ask for a run exactly as the portal's Run button does (approval rules, limits, audit, refusals)."""
    from apps.runbooks import services as runbook_services
    from apps.runbooks.choices import ExecutionStatus
    from apps.runbooks.models import SshTarget
    from apps.runbooks.services.parameters import input_names

    require(actor, Role.OPERATOR, "running a runbook")
    inputs = dict(inputs or {})
    unknown = sorted(set(inputs) - set(input_names(runbook.definition)))
    if unknown:
        raise CommandError(_("%(runbook)s has no parameter %(names)s") % {
            "runbook": runbook.name, "names": ", ".join(n[:64] for n in unknown)})
    target = None
    if target_name:
        target = (SshTarget.objects.visible_to(actor.user).for_org(actor.organization)
                  .filter(enabled=True, name=target_name).first())
        if target is None:
            raise CommandError(_("no enabled SSH target %(name)r in %(org)s") % {
                "name": target_name[:80], "org": actor.organization.name})
    try:
        execution = runbook_services.execution_request_manual(
            runbook=runbook, user=actor.user, alert=alert, inputs=inputs, target=target, reason=_note(actor))
    except runbook_services.ExecutionRefused as exc:
        raise CommandError(_("Not run: %(reason)s") % {"reason": exc}) from None
    values = {"who": actor.label, "runbook": runbook.name, "id": execution.pk,
              "where": f" on {execution.target_display}" if execution.target_display else ""}
    if execution.status == ExecutionStatus.PENDING_APPROVAL:
        return Reply(_("%(who)s asked to run %(runbook)s%(where)s: execution %(id)s waits for approval "
                       "(/aiops approve %(id)s).") % values, ephemeral=False)
    return Reply(_("%(who)s started %(runbook)s%(where)s: execution %(id)s.") % values, ephemeral=False)


def cmd_run(actor, args):
    """Values are runbook parameters, never shell text (the runbook's templating quotes them)."""
    if not args:
        raise CommandError(_("usage: /aiops %(usage)s") % {"usage": RUN_USAGE})
    require(actor, Role.OPERATOR, "running a runbook")
    name, rest = args[0], args[1:]
    target_name = None
    if rest and "=" not in rest[0]:
        target_name, rest = rest[0], rest[1:]
    inputs: dict[str, str] = {}
    for item in rest:
        match = PARAM.match(item)
        if not match:
            raise CommandError(_("parameters look like key=value, not %(v)r") % {"v": item[:40]})
        if match.group(1) in inputs:
            raise CommandError(_("parameter %(k)s is given twice") % {"k": match.group(1)})
        inputs[match.group(1)] = match.group(2)[:1000]
    return run_runbook(actor, runbook_lookup(actor, name), target_name=target_name, inputs=inputs)


# name -> (handler, writes?)
COMMANDS = {
    "help": (cmd_help, False), "incidents": (cmd_incidents, False), "incident": (cmd_incident, False),
    "alert": (cmd_alert, False), "oncall": (cmd_oncall, False), "status": (cmd_status, False),
    "ack": (cmd_ack, True), "resolve": (cmd_resolve, True), "silence": (cmd_silence, True),
    "declare": (cmd_declare, True), "approve": (cmd_approve, True), "reject": (cmd_reject, True),
    "analyze": (cmd_analyze, True), "analyse": (cmd_analyze, True), "logs": (cmd_logs, False),
    "run": (cmd_run, True),
}


def run(actor: Actor, text: str) -> Reply:
    """Parse and run one command; every refusal is an ephemeral reply saying why."""
    try:
        args = tokens(text)
        name = (args.pop(0).lower() if args else "help")
        if name not in COMMANDS:
            raise CommandError(_("unknown command %(name)r; try /aiops help") % {"name": name[:40]})
        handler, writes = COMMANDS[name]
        if writes and actor.read_only:
            raise CommandError(_("%(door)s answers read commands only; use Slack or the portal to act.")
                               % {"door": actor.front_door})
        if name != "help" and not writes and not actor.read_only:
            require(actor, Role.VIEWER, "reading")
        return handler(actor, args)
    except CommandError as exc:
        return Reply(":warning: " + str(exc))
    except ActionRefused as exc:
        return Reply(":warning: " + str(exc))

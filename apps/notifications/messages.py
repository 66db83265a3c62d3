"""Provider-neutral messages, built from what events told us about a subject.

A message is rendered at send time from the subject's latest facts, so a Slack message that is
sent after a retry, or edited after an acknowledgment, always shows the current state. Each
provider turns a `Message` into its own format (Block Kit, Adaptive Card, email, ...).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import DeliveryKind, SubjectKind, SubjectState

# The technical plan's colour map (its Slack message format).
COLORS = {"critical": "#ff0000", "warning": "#ffa500", "info": "#0000ff"}
DEFAULT_COLOR = "#808080"
RESOLVED_COLOR = "#2eb67d"
EMOJI = {"critical": "🚨", "warning": "⚠️", "info": "ℹ️"}
ACK_ACTION = "aiops_acknowledge"
# Apps that answer more buttons (ChatOps) add them: fn(msg, organization_id=, ctx=, data=) -> None.
MESSAGE_EXTENDERS: list = []


def register_message_extender(fn) -> None:
    if fn not in MESSAGE_EXTENDERS:
        MESSAGE_EXTENDERS.append(fn)
EXCERPT_KEYS = ("excerpt", "summary", "root_cause", "explanation", "analysis", "text")
RECOMMENDATION_KEYS = (
    "recommendation",
    "recommended_action",
    "recommendations",
    "next_steps",
    "suggested_runbook",
)


@dataclass
class Action:
    label: str
    url: str = ""
    action_id: str = ""  # an interactive button (Slack) rather than a link
    value: str = ""
    style: str = ""


@dataclass
class Message:
    kind: str
    event_name: str
    subject_key: str
    title: str
    headline: str
    severity: str
    color: str
    base_headline: str = ""  # the headline before a kind (ack, resolve, ...) changed it: edits show this
    status_line: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    ai_excerpt: str = ""
    url: str = ""
    actions: list[Action] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    source: str = ""
    component: str = ""
    timestamp: str = ""
    data: dict = field(default_factory=dict)

    def as_text(self) -> str:
        """Plain text: the email text part, Slack's notification fallback, the webhook's `text`."""
        lines = [self.headline]
        if self.status_line:
            lines.append(self.status_line)
        lines += [f"{label}: {value}" for label, value in self.fields if value]
        if self.text:
            lines += ["", self.text]
        if self.alerts:
            lines += ["", _("Alerts:")] + [
                f"- [{a['severity']}] {a['title']} ({a['status']})" for a in self.alerts
            ]
        if self.ai_excerpt:
            lines += ["", _("AI Analysis: %(text)s") % {"text": self.ai_excerpt}]
        if self.url:
            lines += ["", self.url]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["fields"] = [{"label": label, "value": value} for label, value in self.fields]
        return data


def analysis_excerpt(data: dict, limit: int = 400) -> str:
    """A short plain-text excerpt of an analysis, whatever shape the analysis app sends."""
    parts = []
    for keys in (EXCERPT_KEYS, RECOMMENDATION_KEYS):
        for key in keys:
            value = data.get(key)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value[:3])
            if isinstance(value, dict):
                value = value.get("summary") or value.get("text") or ""
            if value:
                parts.append(
                    str(value).strip()
                    if keys is EXCERPT_KEYS
                    else _("Recommended: %(text)s") % {"text": str(value).strip()}
                )
                break
    text = "\n".join(parts)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _when(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return parse_datetime(value) if value else None


def format_time(value) -> str:
    moment = _when(value)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def format_duration(start, end=None) -> str:
    started = _when(start)
    if not started:
        return ""
    minutes = max(0, int(((_when(end) or timezone.now()) - started).total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} + (
        " " + ngettext("%(n)d minute", "%(n)d minutes", minutes % 60) % {"n": minutes % 60}
        if minutes % 60
        else ""
    )


def status_line(ctx: dict) -> str:
    if ctx.get("state") == SubjectState.RESOLVED:
        return _("✅ Resolved %(when)s") % {"when": format_time(ctx.get("resolved_at"))}
    if ctx.get("state") == SubjectState.ACKNOWLEDGED:
        who = ctx.get("acknowledged_by") or _("someone")
        return _("👀 Acknowledged by %(who)s") % {"who": who}
    return ""


def _base(ctx: dict, kind: str, event_name: str, key: str) -> Message:
    severity = str(ctx.get("severity") or "").lower()
    resolved = ctx.get("state") == SubjectState.RESOLVED
    return Message(
        kind=kind,
        event_name=event_name,
        subject_key=key,
        title=str(ctx.get("title") or key),
        headline="",
        severity=severity,
        color=RESOLVED_COLOR if resolved else COLORS.get(severity, DEFAULT_COLOR),
        status_line=status_line(ctx),
        url=str(ctx.get("url") or ""),
        ai_excerpt=str((ctx.get("analysis") or {}).get("excerpt") or ""),
        source=str(ctx.get("instance") or ctx.get("service") or "aiops"),
        component=str(ctx.get("service") or ""),
        timestamp=str(ctx.get("starts_at") or ctx.get("occurred_at") or ""),
    )


def _alert_message(msg: Message, ctx: dict) -> None:
    sev = msg.severity or "warning"
    msg.headline = f"{EMOJI.get(sev, '🔔')} {sev.upper()}: {msg.title}"
    annotations = ctx.get("annotations") or {}
    impact = (
        annotations.get("impact") or (ctx.get("labels") or {}).get("impact") or ctx.get("description") or ""
    )
    msg.fields = [
        (_("Instance"), str(ctx.get("instance") or "")),
        (_("Service"), str(ctx.get("service") or "")),
        (_("Environment"), str(ctx.get("environment") or "")),
        (_("Time"), format_time(ctx.get("starts_at"))),
        (_("Duration"), format_duration(ctx.get("starts_at"), ctx.get("resolved_at") or ctx.get("ends_at"))),
        (_("Impact"), str(impact)),
    ]
    summary = str(ctx.get("summary") or "")
    msg.text = summary if summary and summary != msg.title else ""


def _incident_message(msg: Message, ctx: dict, alerts: list[dict], alert_count: int) -> None:
    sev = msg.severity or "warning"
    number = f"#{ctx['number']} " if ctx.get("number") else ""
    msg.headline = f"🔥 {sev.upper()}: {_('Incident')} {number}{msg.title}"
    services = ctx.get("affected_services") or ctx.get("services") or []
    msg.fields = [
        (_("Status"), str(ctx.get("status") or "")),
        (_("Alerts"), str(max(alert_count, int(ctx.get("alert_count") or 0)))),
        (_("Services"), ", ".join(str(s) for s in services)),
        (_("Started"), format_time(ctx.get("started_at") or ctx.get("starts_at"))),
        (_("Impact"), str(ctx.get("estimated_impact") or ctx.get("impact") or "")),
    ]
    msg.text = str(ctx.get("description") or "")
    msg.alerts = alerts


_EVENT_HEADLINES = {
    "runbook.approval_needed": ("✋", "Approval needed"),
    "runbook.execution_started": ("▶️", "Runbook started"),
    "sla.breached": ("⏰", "SLA breached"),
    "escalation.fired": ("📣", "Escalated"),
}


def _other_message(msg: Message, ctx: dict, event_name: str) -> None:
    emoji, label = _EVENT_HEADLINES.get(event_name, ("🔔", ""))
    if event_name == "runbook.execution_finished":
        ok = str(ctx.get("status", "")).lower() in {"succeeded", "success", "successful", "completed", "ok"}
        emoji, label = ("✅", "Runbook succeeded") if ok else ("❌", "Runbook failed")
    msg.headline = f"{emoji} {_(label) + ': ' if label else ''}{msg.title}"
    keys = (
        ("runbook_name", _("Runbook")),
        ("target", _("Target")),
        ("status", _("Status")),
        ("requested_by", _("Requested by")),
        ("expires_at", _("Expires")),
        ("sla_name", _("SLA")),
        ("level", _("Level")),
        ("error", _("Error")),
    )
    msg.fields = [(label, str(ctx[key])) for key, label in keys if ctx.get(key) not in (None, "")]
    msg.text = str(ctx.get("description") or ctx.get("summary") or ctx.get("message") or "")


def build_message(
    *,
    kind: str,
    event_name: str,
    subject_key: str,
    ctx: dict,
    data: dict,
    alerts: list[dict] | None = None,
    alert_count: int = 0,
    organization_id: int | None = None,
) -> Message:
    """The message for one delivery: the subject's current facts plus what this delivery adds."""
    msg = _base(ctx, kind, event_name, subject_key)
    subject_kind = subject_key.split(":", 1)[0]
    if subject_kind == SubjectKind.ALERT:
        _alert_message(msg, ctx)
    elif subject_kind == SubjectKind.INCIDENT:
        _incident_message(msg, ctx, alerts or [], alert_count)
    else:
        _other_message(msg, ctx, event_name)
    open_ = ctx.get("state") not in (SubjectState.ACKNOWLEDGED, SubjectState.RESOLVED)
    if msg.url:
        msg.actions.append(Action(_("View Details"), url=msg.url))
    if subject_kind in (SubjectKind.ALERT, SubjectKind.INCIDENT) and open_:
        msg.actions.append(Action(_("Acknowledge"), action_id=ACK_ACTION, value=subject_key, style="primary"))
    if subject_kind == SubjectKind.ALERT and msg.url and ctx.get("state") != SubjectState.RESOLVED:
        msg.actions.append(Action(_("Start Runbook"), url=msg.url + "#runbooks"))
    if subject_kind == SubjectKind.EXECUTION and event_name == "runbook.approval_needed" and msg.url:
        msg.actions = [Action(_("Review and approve"), url=msg.url, style="primary")]
    for extend in MESSAGE_EXTENDERS:
        extend(msg, organization_id=organization_id, ctx=ctx, data=data)
    if data.get("message"):  # a runbook's own notification text
        msg.text = str(data["message"])
    if data.get("severity") in COLORS:
        msg.severity, msg.color = data["severity"], COLORS[data["severity"]]
    msg.base_headline = msg.headline
    _apply_kind(msg, kind, data)
    msg.data = data
    return msg


def _apply_kind(msg: Message, kind: str, data: dict) -> None:
    if kind == DeliveryKind.ACKNOWLEDGE:
        msg.headline = _("👀 Acknowledged by %(who)s: %(title)s") % {
            "who": data.get("by") or _("someone"),
            "title": msg.title,
        }
    elif kind == DeliveryKind.UNACKNOWLEDGE:
        msg.headline = _("↩️ Acknowledgment withdrawn: %(title)s") % {"title": msg.title}
    elif kind == DeliveryKind.RESOLVE:
        msg.headline = _("✅ Resolved: %(title)s") % {"title": msg.title}
        msg.color = RESOLVED_COLOR
    elif kind in (DeliveryKind.FOLLOWUP, DeliveryKind.NEW) and data.get("analysis"):
        msg.headline = _("🤖 AI analysis: %(title)s") % {"title": msg.title}
        msg.ai_excerpt = str(data.get("analysis_excerpt") or msg.ai_excerpt)
        if data.get("analysis_url"):
            msg.actions.insert(0, Action(_("View analysis"), url=str(data["analysis_url"])))
    elif kind == DeliveryKind.ESCALATION:
        msg.headline = _("⏫ Escalation level %(level)s: %(headline)s") % {
            "level": data.get("level"),
            "headline": msg.headline,
        }
        msg.text = _("Nobody acknowledged within %(minutes)s minutes.") % {
            "minutes": data.get("after_minutes", 0)
        }
        if data.get("paged"):
            msg.text += " " + _("Paging %(who)s.") % {"who": data["paged"]}
    elif kind == DeliveryKind.DIGEST:
        count = int(data.get("count") or 0)
        msg.headline = ngettext(
            "🔕 %(n)d notification held back: %(pattern)s",
            "🔕 %(n)d notifications held back: %(pattern)s",
            count,
        ) % {"n": count, "pattern": data.get("pattern", "")}
        msg.text = _("Rate limit reached between %(start)s and %(end)s. Latest:") % {
            "start": format_time(data.get("since")),
            "end": format_time(data.get("until")),
        }
        msg.alerts = data.get("samples", [])
        msg.fields, msg.actions, msg.ai_excerpt = [], [], ""
    elif kind == DeliveryKind.TEST:
        msg.headline = _("🔔 Test notification from AIOps")
        msg.text = _("Channel “%(name)s” is configured correctly.") % {"name": data.get("channel", "")}
        msg.fields, msg.actions, msg.status_line = [(_("Sent by"), str(data.get("by", "")))], [], ""

"""Slack front door: who is speaking, the work behind a slash command or a button, the answer.

`hooks.slack` verifies and acknowledges within Slack's 3 s; these functions run in the Celery task
and answer through the request's `response_url` (Slack's documented JSON body: `text`, `blocks`,
`response_type`, `replace_original`). Buttons on the notifications app's messages carry the
subject key ("alert:12", "incident:4", "execution:9") as their value.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from aiops import http
from aiops.exceptions import ActionRefused
from aiops.roles import Role

from . import commands, conf, services
from .commands import Actor, CommandError, Reply, require, section
from .models import ChatIdentity, SlackChannel, SlackWorkspace

logger = logging.getLogger(__name__)
ACK, RESOLVE, SILENCE = "aiops_acknowledge", "aiops_resolve", "aiops_silence"
APPROVE, REJECT = "aiops_approve", "aiops_reject"
RUN, VIEW = "aiops_run_runbook", "aiops_view"
BUTTONS = (ACK, RESOLVE, SILENCE, APPROVE, REJECT, RUN, VIEW)


def _portal_url(path: str) -> str:
    base = (getattr(settings, "AIOPS_BASE_URL", "") or getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + path


def channel_team(workspace: SlackWorkspace, channel_id: str):
    """The team a Slack channel is mapped to (its commands default to that team), or None."""
    if not channel_id:
        return None
    mapping = (SlackChannel.objects.filter(workspace=workspace, channel_id=channel_id[:32])
               .select_related("team").first())
    return mapping.team if mapping else None


def actor_for(workspace: SlackWorkspace, slack_user_id: str, name: str, channel_id: str = "") -> Actor:
    identity = (ChatIdentity.objects.filter(workspace=workspace, external_id=slack_user_id)
                .select_related("user").first())
    user = identity.user if identity and identity.user.is_active else None
    return Actor(organization=workspace.organization, user=user, label=f"@{name or slack_user_id}",
                 team=channel_team(workspace, channel_id))


def link_reply(workspace: SlackWorkspace, slack_user_id: str, name: str) -> Reply:
    """The ephemeral "link your account" button (a signed, short-lived portal link)."""
    token = services.link_token(workspace=workspace, external_id=slack_user_id, display_name=name)
    url = _portal_url(reverse("chatops:link", args=[token]))
    text = _("Link your Slack account to your AIOps account first (the link is valid for %(m)d minutes).") % {
        "m": conf.link_max_age() // 60}
    return Reply(text, [section(text), {"type": "actions", "elements": [{
        "type": "button", "action_id": "aiops_link_account", "style": "primary", "url": url,
        "text": {"type": "plain_text", "text": _("Link your account")}}]}])


def handle_command(workspace: SlackWorkspace, form: dict) -> Reply:
    user_id, name = str(form.get("user_id", "")), str(form.get("user_name", ""))
    actor = actor_for(workspace, user_id, name, str(form.get("channel_id", "")))
    text = str(form.get("text", ""))
    if actor.user is None and text.strip().lower() not in ("", "help"):
        return link_reply(workspace, user_id, name)
    return commands.run(actor, text)


def _subject_alerts(actor: Actor, key: str):
    from apps.alerts.models import Alert

    kind, _sep, ident = key.partition(":")
    if kind == "alert":
        return list(Alert.objects.filter(organization=actor.organization, pk=commands.integer(ident, "the alert ID")))
    if kind == "incident":
        from apps.incidents.models import Incident

        incident = Incident.objects.filter(organization=actor.organization,
                                           pk=commands.integer(ident, "the incident ID")).first()
        if incident is None:
            return []
        return list(Alert.objects.filter(organization=actor.organization, incident_link__incident=incident))
    raise CommandError(_("this button does not apply to %(key)r") % {"key": key[:40]})


def _base_action(action_id) -> str:
    """Run buttons are numbered (`aiops_run_runbook_2`): Slack wants action IDs unique in a block."""
    if not isinstance(action_id, str):
        return ""
    base, sep, number = action_id.rpartition("_")
    return base if base == RUN and number.isdigit() else action_id


def _channel_of(payload: dict) -> str:
    for key in ("container", "channel"):
        part = payload.get(key)
        if isinstance(part, dict):
            found = part.get("channel_id") or (part.get("id") if key == "channel" else "")
            if isinstance(found, str) and found:
                return found
    return ""


def _value_of(action: dict) -> str:
    """A button's value, or a select menu's chosen option (Slack's `selected_option.value`)."""
    value = action.get("value")
    if value is None and isinstance(action.get("selected_option"), dict):
        value = action["selected_option"].get("value")
    return str(value or "")[:100]


def _run_click(actor: Actor, value: str, *, workspace=None, payload=None) -> Reply | None:
    """A value "runbook:<id>:alert:<id>": run a suggested runbook for the alert (the portal's Run, same rules).

    A runbook with parameters only a person can give opens the parameter modal instead (None: no reply)."""
    from . import modals

    parts = value.split(":")
    if len(parts) != 4 or parts[0] != "runbook" or parts[2] != "alert":
        raise CommandError(_("this button does not apply to %(key)r") % {"key": value[:40]})
    require(actor, Role.OPERATOR, "running a runbook")
    alert = commands._visible_alert(actor, parts[3])
    runbook = commands.runbook_lookup(actor, parts[1])
    trigger_id = str((payload or {}).get("trigger_id") or "")[:100]
    if workspace is not None and trigger_id and modals.typed_parameters(runbook):
        return modals.open_modal(workspace, trigger_id, runbook, alert, _channel_of(payload))
    return commands.run_runbook(actor, runbook, alert=alert)


def view_reply(actor: Actor, key: str) -> Reply:
    """The View button: the subject's card, for the clicking user's eyes only (viewer and up)."""
    require(actor, Role.VIEWER, "reading")
    kind, _sep, ident = key.partition(":")
    if kind == "alert":
        alert = commands._visible_alert(actor, ident)
        card = commands.cmd_alert(actor, [str(alert.pk)])
        extra = _latest_analysis(actor, alert)
        url = _portal_url(reverse("alerts:detail", args=[alert.pk]))
    elif kind == "incident":
        from apps.incidents.models import Incident

        incident = (Incident.objects.visible_to(actor.user).for_org(actor.organization)
                    .filter(pk=commands.integer(ident, "the incident ID")).first())
        if incident is None:
            raise CommandError(_("no incident %(id)s in %(org)s") % {"id": ident, "org": actor.organization.name})
        card = commands.cmd_incident(actor, [str(incident.number)])
        extra, url = "", _portal_url(reverse("incidents:detail", args=[incident.pk]))
    else:
        raise CommandError(_("this button does not apply to %(key)r") % {"key": key[:40]})
    text = card.text + (("\n" + extra) if extra else "")
    blocks = [section(text)]
    if url:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "action_id": "aiops_link_portal", "url": url,
            "text": {"type": "plain_text", "text": _("Open in AIOps")}}]})
    return Reply(text, blocks)


def _latest_analysis(actor: Actor, alert) -> str:
    from apps.analysis.choices import SubjectType
    from apps.analysis.selectors import analyses_for

    done = (analyses_for(user=actor.user, organization=actor.organization, subject_type=SubjectType.ALERT,
                         pk=alert.pk).filter(status__in=["ok", "failed"]).first())
    return commands._analysis_line(done) if done is not None else ""


def handle_action(workspace: SlackWorkspace, payload: dict) -> Reply | None:
    """One button click, through the same commands (so the same role checks and services)."""
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    user_id = str(user.get("id", ""))
    name = str(user.get("username") or user.get("name") or user_id)
    actions = [{**a, "action_id": _base_action(a.get("action_id"))} for a in payload.get("actions") or []
               if isinstance(a, dict) and _base_action(a.get("action_id")) in BUTTONS]
    if not actions:
        return None
    actor = actor_for(workspace, user_id, name, _channel_of(payload))
    if actor.user is None:
        return link_reply(workspace, user_id, name)
    action = actions[0]
    action_id, value = action["action_id"], _value_of(action)
    try:
        if action_id == VIEW:
            return view_reply(actor, value)
        if action_id == RUN:
            return _run_click(actor, value, workspace=workspace, payload=payload)
        if action_id in (APPROVE, REJECT):
            kind, _sep, ident = value.partition(":")
            if kind != "execution":
                raise CommandError(_("this button does not apply to %(key)r") % {"key": value[:40]})
            verb = "approve" if action_id == APPROVE else "reject"
            return commands.run(actor, f"{verb} {commands.integer(ident, 'the execution ID')}")
        verb = {ACK: "acknowledging", RESOLVE: "resolving", SILENCE: "silencing"}[action_id]
        require(actor, Role.OPERATOR, verb)
        alerts = _subject_alerts(actor, value)
        replies = []
        for alert in alerts:
            if action_id == ACK:
                replies.append(commands.cmd_ack(actor, [str(alert.pk)]))
            elif action_id == RESOLVE:
                replies.append(commands.cmd_resolve(actor, [str(alert.pk)]))
            else:
                replies.append(commands.cmd_silence(actor, [str(alert.pk), conf.default_silence()]))
        if not replies:
            return Reply(":warning: " + _("nothing to act on for %(key)s") % {"key": value})
        public = [r for r in replies if not r.ephemeral]
        chosen = public or replies
        return Reply("\n".join(r.text for r in chosen), ephemeral=not public)
    except (CommandError, ActionRefused) as exc:
        return Reply(":warning: " + str(exc))


def respond(response_url: str, reply: Reply) -> None:
    """Answer through Slack's response_url (valid 30 minutes, 5 uses); never edits the original."""
    if not response_url:
        return
    try:
        http.request("POST", response_url, json=reply.slack(replace_original=False), raise_for_status=True)
    except http.OutboundError as exc:
        logger.warning("slack response_url failed", extra={"error": str(exc)[:200]})

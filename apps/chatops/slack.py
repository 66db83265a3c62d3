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
from .models import ChatIdentity, SlackWorkspace

logger = logging.getLogger(__name__)
ACK, RESOLVE, SILENCE = "aiops_acknowledge", "aiops_resolve", "aiops_silence"
APPROVE, REJECT = "aiops_approve", "aiops_reject"
BUTTONS = (ACK, RESOLVE, SILENCE, APPROVE, REJECT)


def _portal_url(path: str) -> str:
    base = (getattr(settings, "AIOPS_BASE_URL", "") or getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + path


def actor_for(workspace: SlackWorkspace, slack_user_id: str, name: str) -> Actor:
    identity = (ChatIdentity.objects.filter(workspace=workspace, external_id=slack_user_id)
                .select_related("user").first())
    user = identity.user if identity and identity.user.is_active else None
    return Actor(organization=workspace.organization, user=user, label=f"@{name or slack_user_id}")


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
    actor = actor_for(workspace, user_id, name)
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


def handle_action(workspace: SlackWorkspace, payload: dict) -> Reply | None:
    """One button click, through the same commands (so the same role checks and services)."""
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    user_id = str(user.get("id", ""))
    name = str(user.get("username") or user.get("name") or user_id)
    actions = [a for a in payload.get("actions") or [] if isinstance(a, dict) and a.get("action_id") in BUTTONS]
    if not actions:
        return None
    actor = actor_for(workspace, user_id, name)
    if actor.user is None:
        return link_reply(workspace, user_id, name)
    action = actions[0]
    action_id, value = action["action_id"], str(action.get("value", ""))[:100]
    try:
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

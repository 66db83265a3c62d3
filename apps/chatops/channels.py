"""Incident channels: a new incident at or above a workspace's severity gets its own Slack channel.

`incident.created` (declared in the portal, by `/aiops declare`, or opened by correlation) →
`conversations.create` `#inc-<number>-<slug>` (lowercase, ≤ 80 characters, a numbered suffix
when the name is taken), `conversations.invite` the responders who linked their Slack account
(the incident's commander, assignee and creator, the team's on-call people), `chat.postMessage`
the incident card, `pins.add` it, and record the channel as the incident's chat link
(`IncidentChannel`). The subscriber receipts the event in the same transaction
(`aiops.events.consume`), and a link already recorded is never created again, so a redelivered
event opens no second channel.
"""
from __future__ import annotations

import logging
import re
import unicodedata

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .models import ChatIdentity, IncidentChannel, SlackWorkspace

logger = logging.getLogger(__name__)
MAX_NAME = 80  # Slack's limit for a channel name
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def channel_name(number: int, title: str, suffix: str = "") -> str:
    """`inc-42-payments-api-is-down` (Slack: lowercase letters, digits, hyphens, ≤ 80 characters)."""
    ascii_title = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode("ascii")
    slug = _NOT_ALLOWED.sub("-", ascii_title.lower()).strip("-")
    head = f"inc-{number}"
    tail = f"-{suffix}" if suffix else ""
    room = MAX_NAME - len(head) - len(tail) - 1
    slug = slug[:max(room, 0)].rstrip("-")
    return head + (f"-{slug}" if slug else "") + tail


def _rank(severity: str) -> int:
    from apps.alerts.choices import SEVERITY_RANK

    return SEVERITY_RANK.get(severity, 0)


def workspaces_for(incident) -> list[SlackWorkspace]:
    """The organisation's workspaces whose threshold this incident's severity reaches."""
    found = SlackWorkspace.objects.for_org(incident.organization_id).filter(enabled=True).exclude(
        incident_channel_severity="").exclude(bot_token="")
    return [w for w in found if _rank(incident.severity) >= _rank(w.incident_channel_severity)]


def responders(incident, workspace: SlackWorkspace) -> list[str]:
    """Slack user IDs of the people to invite: owner, commander, assignee, on call for the team."""
    user_ids = [incident.commander_id, incident.assignee_id, incident.created_by_id]
    if incident.team_id:
        from apps.oncall import selectors
        from apps.oncall.models import Schedule

        for schedule in Schedule.objects.filter(organization_id=incident.organization_id, team_id=incident.team_id):
            user_ids.extend(shift.user_id for shift in selectors.oncall_at(schedule))
    wanted = {u for u in user_ids if u}
    if not wanted:
        return []
    found = (ChatIdentity.objects.filter(workspace=workspace, user_id__in=wanted, user__is_active=True)
             .order_by("external_id").values_list("external_id", flat=True))
    return list(dict.fromkeys(found))[:1000]  # conversations.invite takes up to 1000 users


def client_for(workspace: SlackWorkspace) -> WebClient:
    from apps.notifications.conf import send_timeout, slack_api_url

    return WebClient(token=workspace.bot_token, base_url=workspace.api_url or slack_api_url(),
                     timeout=int(send_timeout()), retry_handlers=[])


def _error(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    return (data or {}).get("error", "") if isinstance(data, dict) else ""


def incident_card(incident) -> dict:
    """The card posted (and pinned) in the channel: title, status, severity, a link to the portal."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    base = (getattr(settings, "AIOPS_BASE_URL", "") or getattr(settings, "SITE_URL", "") or "").rstrip("/")
    headline = f"#{incident.number} {incident.title}"[:150]
    text = f"*{headline}*\n{_('Status')}: {incident.get_status_display()} · {_('Severity')}: {incident.severity}"
    if incident.summary:
        text += "\n" + incident.summary[:1000]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]
    elements = [{"type": "button", "action_id": "aiops_view", "value": f"incident:{incident.pk}",
                 "text": {"type": "plain_text", "text": _("View")}}]
    if base:
        elements.append({"type": "button", "action_id": "aiops_link_portal",
                         "url": base + reverse("incidents:detail", args=[incident.pk]),
                         "text": {"type": "plain_text", "text": _("Open in AIOps")}})
    blocks.append({"type": "actions", "elements": elements})
    return {"text": headline, "blocks": blocks}


def _create(client: WebClient, incident) -> dict:
    for attempt in range(10):
        name = channel_name(incident.number, incident.title, str(attempt + 1) if attempt else "")
        try:
            return client.conversations_create(name=name, is_private=False)["channel"]
        except SlackApiError as exc:
            if _error(exc) != "name_taken":
                raise
    raise RuntimeError(f"no free channel name for incident {incident.pk}")


def incident_channel_open(incident, workspace: SlackWorkspace) -> IncidentChannel:
    """Open (once) the incident's channel in `workspace`; the caller holds the transaction."""
    existing = IncidentChannel.objects.filter(incident=incident, workspace=workspace).first()
    if existing is not None:
        return existing
    client = client_for(workspace)
    channel = _create(client, incident)
    invited = responders(incident, workspace)
    if invited:
        try:
            client.conversations_invite(channel=channel["id"], users=",".join(invited))
        except SlackApiError as exc:  # a deactivated user, or the bot itself: the channel still stands
            logger.info("slack invite failed", extra={"error": _error(exc), "channel": channel["id"]})
    posted = client.chat_postMessage(channel=channel["id"], unfurl_links=False, **incident_card(incident))
    ts = str(posted.get("ts") or "")
    if ts:
        try:
            client.pins_add(channel=channel["id"], timestamp=ts)
        except SlackApiError as exc:
            logger.info("slack pin failed", extra={"error": _error(exc), "channel": channel["id"]})
    return IncidentChannel.objects.create(
        organization_id=incident.organization_id, incident=incident, workspace=workspace,
        channel_id=str(channel["id"])[:32], name=str(channel.get("name") or "")[:80], invited=invited, card_ts=ts[:32],
    )


def on_incident_created(event: dict) -> int:
    """The subscriber's work for one `incident.created` event: how many channels were opened."""
    from apps.incidents.models import Incident

    subject = event.get("subject") or {}
    incident = (Incident.objects.for_org(event.get("organization_id")).filter(pk=subject.get("id"))
                .select_related("organization").first())
    if incident is None:
        return 0
    opened = 0
    for workspace in workspaces_for(incident):
        incident_channel_open(incident, workspace)
        opened += 1
    return opened

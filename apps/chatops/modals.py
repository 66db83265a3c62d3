"""The Run-runbook modal: a runbook whose declared parameters must be typed (`source: input`) opens a
`views.open` form instead of running at once; its `view_submission` runs the runbook with the values.

`views.open` needs the click's `trigger_id` (valid 3 s): the Celery task opens it right after the
endpoint's acknowledgement. The form carries "runbook:<id>:alert:<id>:<channel>" in
`private_metadata`; the submission is acknowledged with an empty 200 (closing the modal) and runs,
in a task, through the same `commands.run_runbook` (role check, approval rules, audit); the result
is posted to the channel the button was in.
"""
from __future__ import annotations

import logging
import re

from django.utils.translation import gettext as _
from slack_sdk.errors import SlackApiError

from aiops.exceptions import ActionRefused

from .commands import Actor, CommandError, Reply

logger = logging.getLogger(__name__)
CALLBACK_ID = "aiops_run_params"
_META = re.compile(r"^runbook:(\d{1,12}):alert:(\d{1,12}):([A-Z0-9]{0,32})$")


def typed_parameters(runbook) -> list[dict]:
    """Declared parameters only a person can give (the alert's labels never fill them)."""
    return [p for p in (runbook.definition or {}).get("parameters", []) if p.get("source") == "input"]


def modal_view(runbook, alert, channel_id: str) -> dict:
    blocks = []
    for param in typed_parameters(runbook)[:100]:
        element = {"type": "plain_text_input", "action_id": "value", "max_length": 1000}
        if param.get("default"):
            element["initial_value"] = str(param["default"])[:1000]
        block = {"type": "input", "block_id": f"p_{param['name']}"[:255], "element": element,
                 "label": {"type": "plain_text", "text": str(param["name"])[:2000]},
                 "optional": not param.get("required", False)}
        if param.get("description"):
            block["hint"] = {"type": "plain_text", "text": str(param["description"])[:2000]}
        blocks.append(block)
    return {
        "type": "modal", "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": _("Run runbook")[:24]},
        "submit": {"type": "plain_text", "text": _("Run")[:24]},
        "close": {"type": "plain_text", "text": _("Cancel")[:24]},
        "private_metadata": f"runbook:{runbook.pk}:alert:{alert.pk}:{channel_id[:32]}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{runbook.name}*"[:3000]}}] + blocks,
    }


def open_modal(workspace, trigger_id: str, runbook, alert, channel_id: str) -> Reply | None:
    """views.open the parameter form; None when it opened (the modal is the answer)."""
    from .channels import client_for

    try:
        client_for(workspace).views_open(trigger_id=trigger_id, view=modal_view(runbook, alert, channel_id))
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return Reply(":warning: " + _("The parameter form could not be opened (%(error)s); use "
                                      "/aiops run %(id)s key=value …") % {"error": data.get("error") or "?",
                                                                        "id": runbook.pk})
    return None


def submitted_values(view: dict) -> dict[str, str]:
    values = ((view.get("state") or {}).get("values") or {}) if isinstance(view, dict) else {}
    out = {}
    for block_id, actions in values.items():
        if not (isinstance(block_id, str) and block_id.startswith("p_") and isinstance(actions, dict)):
            continue
        given = (actions.get("value") or {}).get("value") if isinstance(actions.get("value"), dict) else None
        if isinstance(given, str) and given.strip():
            out[block_id[2:][:64]] = given[:1000]
    return out


def handle_submission(workspace, payload: dict) -> None:
    """A submitted parameter form: run the runbook as the clicking (linked) user, post the outcome."""
    from . import commands
    from .channels import client_for
    from .slack import actor_for, link_reply

    view = payload.get("view") if isinstance(payload.get("view"), dict) else {}
    if view.get("callback_id") != CALLBACK_ID:
        return
    match = _META.match(str(view.get("private_metadata", "")))
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    user_id = str(user.get("id", ""))[:32]
    name = str(user.get("username") or user.get("name") or user_id)
    channel = match.group(3) if match else ""
    actor: Actor = actor_for(workspace, user_id, name, channel)
    if actor.user is None:
        reply = link_reply(workspace, user_id, name)
    elif match is None:
        reply = Reply(":warning: " + _("This form is not valid."))
    else:
        try:
            alert = commands._visible_alert(actor, match.group(2))
            runbook = commands.runbook_lookup(actor, match.group(1))
            reply = commands.run_runbook(actor, runbook, alert=alert, inputs=submitted_values(view))
        except (CommandError, ActionRefused) as exc:
            reply = Reply(":warning: " + str(exc))
    client = client_for(workspace)
    body = reply.slack(replace_original=False)
    body = {k: v for k, v in body.items() if k in ("text", "blocks")}
    try:
        if reply.ephemeral or not channel:
            client.chat_postEphemeral(channel=channel or user_id, user=user_id, **body)
        else:
            client.chat_postMessage(channel=channel, unfurl_links=False, **body)
    except SlackApiError as exc:
        logger.info("slack modal answer failed", extra={"error": str(exc)[:200]})

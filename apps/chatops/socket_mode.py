"""Socket Mode: the same commands and buttons over Slack's outbound WebSocket (no public URL).

slack-bolt's `SocketModeHandler` opens the connection with the workspace's app-level token
(`apps.connections.open`, then the WebSocket). Slack has authenticated the connection, so there is
no request signature to check; the listeners only acknowledge (within Slack's 3 s) and enqueue the
same Celery tasks the HTTP endpoint enqueues — no ORM work in Bolt's threads.
"""
from __future__ import annotations

import logging
import re

from django.db import connections
from django.utils.translation import gettext as _

from . import conf, tasks
from .models import SlackWorkspace

logger = logging.getLogger(__name__)
DEFAULT_API_URL = "https://slack.com/api/"


def _enqueue(task, *args) -> None:
    """Publish the task; a connection this Bolt thread opened (eager mode in tests) is closed, never leaked."""
    try:
        task.delay(*args)
    finally:
        connections.close_all()


def build_handler(workspace: SlackWorkspace):
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    base_url = workspace.api_url or DEFAULT_API_URL
    client = WebClient(token=workspace.bot_token or None, base_url=base_url.rstrip("/") + "/")
    app = App(client=client, token_verification_enabled=False, request_verification_enabled=False,
              ignoring_self_events_enabled=False)
    workspace_id, team_id = workspace.pk, workspace.team_id

    def ours(body: dict) -> bool:
        team = body.get("team_id") or (body.get("team") or {}).get("id")
        return team == team_id

    @app.command(re.compile(r"^/"))
    def slash_command(ack, body):
        if not ours(body):
            ack()
            return
        ack(response_type="ephemeral", text=_("Working on it…"))
        _enqueue(tasks.slack_command, workspace_id, {k: str(v) for k, v in body.items() if isinstance(v, str | int)})

    @app.action(re.compile(r"^aiops_"))
    def button(ack, body):
        ack()
        if ours(body) and body.get("type") == "block_actions":
            _enqueue(tasks.slack_action, workspace_id, body)

    return SocketModeHandler(app, app_token=workspace.app_token or conf.slack_app_token())


def socket_workspaces() -> list[SlackWorkspace]:
    """The enabled workspaces Socket Mode connects: their own app-level token, or CHATOPS_SLACK_APP_TOKEN."""
    fallback = bool(conf.slack_app_token())
    return [w for w in SlackWorkspace.objects.filter(enabled=True) if w.app_token or fallback]


def wanted() -> bool:
    """Whether `make run` (runstack) should supervise a Socket Mode process."""
    try:
        return bool(socket_workspaces())
    except Exception:  # no database yet (before migrate): nothing to connect
        logger.warning("socket mode check failed", exc_info=True)
        return False

"""The chat front doors under /hooks/chatops/: Slack (one endpoint) and Teams outgoing webhooks.

Slack: every request (slash command, interactivity, Events API) is signed with the workspace's
signing secret — `v0=HMAC-SHA256(secret, "v0:<timestamp>:<raw body>")` — and refused when the
signature is wrong, the timestamp is more than five minutes off, or the same signature was already
seen (a replay inside the window). The workspace is found by the body's team ID *before* the
check only to pick the secret; nothing else is read until the signature matches. The endpoint
answers at once (Slack's 3 s limit) and the work runs in a Celery task that replies via
`response_url`. (Bolt's Django adapter takes one signing secret per App, while each workspace here
has its own, so the kernel's helpers do the check, as the notifications callback does.)

Teams: `Authorization: HMAC <base64(HMAC-SHA256(base64decode(secret), raw body))>`, compared in
constant time; the answer is inline (Teams waits 5 s) and only read commands are served.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import time

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from aiops import webhooks

from . import commands, conf, tasks
from .models import SlackWorkspace, TeamsWebhook

logger = logging.getLogger(__name__)
MAX_BYTES = 256 * 1024
_TAGS = re.compile(r"<at>.*?</at>|<[^>]+>", re.S)


def _refuse(status: int, code: str, message: str):
    return webhooks.error_response(status, code, message, log=logger)


def slack_signature_ok(secret: str, raw: bytes, timestamp: str, signature: str, *, now: float | None = None) -> bool:
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs((now or time.time()) - int(timestamp)) > conf.replay_window():
        return False
    expected = "v0=" + webhooks.hmac_sha256_hex(secret, b"v0:" + timestamp.encode() + b":" + raw)
    return webhooks.secret_matches(signature, expected)


def _first_use(signature: str) -> bool:
    """False when this exact signed request was seen inside the replay window."""
    key = "chatops:slack-sig:" + hashlib.sha256(signature.encode("utf-8", "surrogatepass")).hexdigest()
    return cache.add(key, 1, conf.replay_window() + 60)


@csrf_exempt
@require_POST
def slack(request):
    try:
        raw = webhooks.read_body(request, MAX_BYTES)
        text = raw.decode("utf-8")
    except webhooks.WebhookError as exc:
        return exc.response(log=logger)
    except UnicodeDecodeError:
        return _refuse(400, "invalid_payload", "The body is not UTF-8.")
    kind, body = "event", None
    try:
        if webhooks.header(request, "Content-Type").split(";")[0].strip().lower() == "application/json":
            body = webhooks.parse_json(raw)
            team_id = body.get("team_id") if isinstance(body, dict) else None
        else:
            form = QueryDict(text)
            if "payload" in form:
                kind, body = "action", webhooks.parse_json(form.get("payload", ""))
                team = body.get("team") if isinstance(body, dict) else None
                team_id = team.get("id") if isinstance(team, dict) else None
            else:
                kind, body = "command", {k: form.get(k, "") for k in form}
                team_id = body.get("team_id")
    except webhooks.WebhookError as exc:
        return exc.response(log=logger)
    if not isinstance(body, dict) or not isinstance(team_id, str) or not team_id:
        return _refuse(400, "invalid_payload", "A Slack request names its team.")
    workspace = SlackWorkspace.objects.filter(team_id=team_id[:32], enabled=True).first()
    signature = webhooks.header(request, "X-Slack-Signature")
    if workspace is None or not slack_signature_ok(
        workspace.signing_secret or "", raw, webhooks.header(request, "X-Slack-Request-Timestamp").strip(), signature,
    ):
        return _refuse(403, "bad_signature", "The Slack signature is missing, wrong or too old.")
    if not _first_use(signature):
        return _refuse(403, "replayed", "This signed request was already received.")
    if kind == "event":
        if body.get("type") == "url_verification":
            return JsonResponse({"challenge": str(body.get("challenge", ""))[:200]})
        return HttpResponse(status=200)  # no event subscriptions yet
    if kind == "command":
        if not str(body.get("command", "")).startswith("/"):
            return _refuse(400, "invalid_payload", "A slash command names its command.")
        transaction.on_commit(lambda: tasks.slack_command.delay(workspace.pk, body))
        return JsonResponse({"response_type": "ephemeral", "text": _("Working on it…")})
    if body.get("type") == "block_actions":
        transaction.on_commit(lambda: tasks.slack_action.delay(workspace.pk, body))
    elif body.get("type") == "view_submission":  # the Run-runbook parameter modal; an empty 200 closes it
        transaction.on_commit(lambda: tasks.slack_view_submission.delay(workspace.pk, body))
    return HttpResponse(status=200)


def teams_signature_ok(secret: str, raw: bytes, authorization: str) -> bool:
    scheme, _sep, given = authorization.partition(" ")
    if scheme != "HMAC" or not given.strip() or not secret:
        return False
    try:
        key = base64.b64decode(secret.encode("ascii"), validate=True)
    except (ValueError, UnicodeError, binascii.Error):
        return False
    expected = base64.b64encode(hmac.new(key, raw, hashlib.sha256).digest()).decode("ascii")
    return webhooks.secret_matches(given.strip(), expected)


@csrf_exempt
@require_POST
def teams(request, webhook_id: int):
    webhook = TeamsWebhook.objects.filter(pk=webhook_id, enabled=True).select_related("organization").first()
    try:
        raw = webhooks.read_body(request, MAX_BYTES)
    except webhooks.WebhookError as exc:
        return exc.response(log=logger)
    if webhook is None or not teams_signature_ok(webhook.secret or "", raw, webhooks.header(request, "Authorization")):
        return _refuse(401, "bad_signature", "The Teams HMAC signature is missing or wrong.")
    try:
        body = webhooks.parse_json(raw)
    except webhooks.WebhookError as exc:
        return exc.response(log=logger)
    if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
        return _refuse(400, "invalid_payload", "A Teams message has a text.")
    sender = body.get("from") if isinstance(body.get("from"), dict) else {}
    text = _TAGS.sub(" ", body.get("text") or "").replace("&nbsp;", " ").strip()
    actor = commands.Actor(organization=webhook.organization, user=None, label=str(sender.get("name") or "Teams")[:100],
                           front_door="Microsoft Teams", read_only=True)
    return JsonResponse(commands.run(actor, text).teams())

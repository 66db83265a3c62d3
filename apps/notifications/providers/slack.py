"""Slack: an incoming webhook, or a bot token posting with `chat.postMessage` (editable later).

Messages use Block Kit: the headline on top, the details in an attachment whose bar carries the
severity colour, then buttons (view, acknowledge, start runbook). The acknowledge button needs a
Slack app with interactivity pointed at this product, so it is only shown when the channel has
the app's signing secret. With a bot token, acknowledgments and new alerts joining an incident
edit the original message (`chat.update`) instead of posting again.
"""

from __future__ import annotations

import logging
import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ..choices import DeliveryKind
from ..conf import send_timeout, slack_api_url
from ..messages import Message
from .base import Provider, ProviderError, SendResult, check_url, host_of, only_keys, post_json, truncate

logger = logging.getLogger(__name__)
KEYS = {"webhook_url", "token", "channel", "username", "icon_emoji", "api_url", "signing_secret"}
TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}
EDITS = {DeliveryKind.UPDATE, DeliveryKind.ACKNOWLEDGE, DeliveryKind.UNACKNOWLEDGE, DeliveryKind.RESOLVE}


def blocks_for(message: Message, *, interactive: bool, edit: bool = False) -> dict:
    """The Block Kit body shared by the webhook and chat.postMessage/chat.update."""
    headline = (message.base_headline if edit else "") or message.headline
    top = [{"type": "section", "text": {"type": "mrkdwn", "text": truncate(f"*{headline}*", 3000)}}]
    details: list[dict] = []
    if message.status_line:
        details.append({"type": "context", "elements": [{"type": "mrkdwn", "text": message.status_line}]})
    fields = [
        {"type": "mrkdwn", "text": truncate(f"*{label}:*\n{value}", 2000)}
        for label, value in message.fields
        if value
    ][:10]
    if fields:
        details.append({"type": "section", "fields": fields})
    if message.text:
        details.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(message.text, 3000)}})
    if message.alerts:
        lines = [
            f"• [{a.get('severity', '')}] {a.get('title', '')} — {a.get('status', '')}"
            for a in message.alerts
        ]
        details.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 3000)}}
        )
    if message.ai_excerpt:
        text = _("*AI Analysis:* %(text)s") % {"text": message.ai_excerpt}
        details.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}})
    buttons = []
    for action in message.actions:
        button = {"type": "button", "text": {"type": "plain_text", "text": truncate(action.label, 75)}}
        if action.url:
            button["url"] = action.url
            button["action_id"] = f"aiops_link_{len(buttons)}"
        elif interactive and action.action_id:
            button["action_id"], button["value"] = action.action_id, action.value
        else:
            continue
        if action.style:
            button["style"] = action.style
        buttons.append(button)
    if buttons:
        details.append({"type": "actions", "elements": buttons[:25]})
    body = {"text": truncate(headline, 3000), "blocks": top}
    if details:
        body["attachments"] = [{"color": message.color, "blocks": details}]
    return body


class SlackProvider(Provider):
    kind = "slack"
    kinds = frozenset(DeliveryKind.values)

    def validate_config(self, config: dict) -> dict:
        only_keys(config, KEYS)
        if config.get("token"):
            if not config.get("channel"):
                raise ValidationError({"channel": _("A bot token needs a channel (#name or ID).")})
            check_url(config, "api_url", required=False)
        elif config.get("webhook_url"):
            check_url(config, "webhook_url")
        else:
            raise ValidationError(
                {"webhook_url": _("Give an incoming webhook URL, or a bot token and channel.")}
            )
        return config

    def _bot(self, config: dict) -> bool:
        return bool(config.get("token"))

    def is_editable(self, config: dict) -> bool:
        return self._bot(config)

    def supports(self, kind: str, config: dict) -> bool:
        # A webhook cannot edit what it posted, so content updates are not sent to it.
        return kind != DeliveryKind.UPDATE or self._bot(config)

    def summary(self, config: dict) -> str:
        if self._bot(config):
            return _("bot → %(channel)s") % {"channel": config.get("channel", "")}
        return _("webhook → %(host)s") % {"host": host_of(config.get("webhook_url", ""))}

    def send(self, *, config: dict, message: Message, ref: dict) -> SendResult:
        interactive = bool(config.get("signing_secret"))
        if not self._bot(config):
            body = blocks_for(message, interactive=interactive)
            for key in ("channel", "username", "icon_emoji"):
                if config.get(key):
                    body[key] = config[key]
            response = post_json(config["webhook_url"], body)
            return SendResult(response=response.text)
        return self._bot_send(config, message, ref, interactive)

    def _bot_send(self, config: dict, message: Message, ref: dict, interactive: bool) -> SendResult:
        client = WebClient(
            token=config["token"],
            base_url=config.get("api_url") or slack_api_url(),
            timeout=int(send_timeout()),
            retry_handlers=[],
        )
        extra = {k: config[k] for k in ("username", "icon_emoji") if config.get(k)}
        if message.kind in EDITS and ref.get("ts"):
            body = blocks_for(message, interactive=interactive, edit=True)
            try:
                result = self._call(client, "chat_update", channel=ref["channel"], ts=ref["ts"], **body)
                return SendResult(response=_short(result))  # the edited message keeps its ts
            except ProviderError as exc:
                if "message_not_found" not in str(exc):
                    raise
                # The original was deleted in Slack: post the current state as a new message.
        body = blocks_for(message, interactive=interactive)
        if message.kind == DeliveryKind.FOLLOWUP and ref.get("ts"):
            result = self._call(
                client,
                "chat_postMessage",
                channel=ref["channel"],
                thread_ts=ref["ts"],
                unfurl_links=False,
                **body,
                **extra,
            )
            return SendResult(response=_short(result))
        result = self._call(
            client, "chat_postMessage", channel=config["channel"], unfurl_links=False, **body, **extra
        )
        return SendResult(response=_short(result), ref={"channel": result["channel"], "ts": result["ts"]})

    def _call(self, client: WebClient, method: str, **kwargs):
        started = time.monotonic()
        try:
            result = getattr(client, method)(**kwargs)
        except SlackApiError as exc:
            response = exc.response
            status = getattr(response, "status_code", None)
            error = (response.data or {}).get("error", "") if isinstance(response.data, dict) else ""
            logger.info(
                "slack call failed",
                extra={
                    "method": method,
                    "status": status,
                    "error": error,
                    "ms": round((time.monotonic() - started) * 1000),
                },
            )
            retry_after = None
            if status == 429:
                try:
                    retry_after = float(response.headers.get("Retry-After", "1"))
                except (TypeError, ValueError):
                    retry_after = 1.0
            raise ProviderError(
                _("Slack %(method)s failed: %(error)s") % {"method": method, "error": error or status},
                transient=status == 429 or (status or 0) >= 500 or error in TRANSIENT_ERRORS,
                retry_after=retry_after,
                response=str(response.data)[:2000],
            ) from exc
        except OSError as exc:  # connection refused, timeout (urllib raises these)
            raise ProviderError(
                _("Slack %(method)s failed: %(error)s") % {"method": method, "error": type(exc).__name__},
                transient=True,
            ) from exc
        logger.info("slack call", extra={"method": method, "ms": round((time.monotonic() - started) * 1000)})
        return result


def _short(result) -> str:
    data = result.data if hasattr(result, "data") else result
    return str({k: data.get(k) for k in ("ok", "channel", "ts") if k in data})

"""Microsoft Teams incoming webhook (or a Workflows webhook) carrying one Adaptive Card.

The envelope is the documented one: `{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": {AdaptiveCard}}]}`. Teams cannot edit a
webhook post, so content updates are not sent; acknowledgments and resolutions are new cards.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..choices import DeliveryKind
from ..messages import Message
from .base import Provider, SendResult, check_url, host_of, only_keys, post_json, truncate

KEYS = {"webhook_url"}
STYLE = {"critical": "attention", "warning": "warning", "info": "accent"}


def adaptive_card(message: Message) -> dict:
    style = "good" if message.kind == DeliveryKind.RESOLVE else STYLE.get(message.severity, "emphasis")
    body: list[dict] = [
        {
            "type": "Container",
            "style": style,
            "bleed": True,
            "items": [
                {
                    "type": "TextBlock",
                    "text": truncate(message.headline, 400),
                    "weight": "Bolder",
                    "size": "Medium",
                    "wrap": True,
                }
            ],
        }
    ]
    if message.status_line:
        body.append({"type": "TextBlock", "text": message.status_line, "isSubtle": True, "wrap": True})
    facts = [{"title": label, "value": truncate(value, 500)} for label, value in message.fields if value]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    if message.text:
        body.append({"type": "TextBlock", "text": truncate(message.text, 2000), "wrap": True})
    for alert in message.alerts[:10]:
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "spacing": "None",
                "text": "• [{}] {} — {}".format(
                    alert.get("severity", ""), alert.get("title", ""), alert.get("status", "")
                ),
            }
        )
    if message.ai_excerpt:
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "text": _("**AI Analysis:** %(text)s") % {"text": truncate(message.ai_excerpt, 2000)},
            }
        )
    actions = [{"type": "Action.OpenUrl", "title": a.label, "url": a.url} for a in message.actions if a.url]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


class TeamsProvider(Provider):
    kind = "teams"
    kinds = frozenset(set(DeliveryKind.values) - {DeliveryKind.UPDATE})

    def validate_config(self, config: dict) -> dict:
        only_keys(config, KEYS)
        check_url(config, "webhook_url")
        return config

    def summary(self, config: dict) -> str:
        return _("webhook → %(host)s") % {"host": host_of(config.get("webhook_url", ""))}

    def send(self, *, config: dict, message: Message, ref: dict) -> SendResult:
        response = post_json(config["webhook_url"], adaptive_card(message))
        return SendResult(response=response.text)

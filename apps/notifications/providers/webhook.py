"""Generic webhook: any URL and method, optional headers, a Django-template body, HMAC signature.

Without a template the body is the JSON of the whole message (`{"event", "kind", "message", ...}`).
With `hmac_secret`, the request carries `X-AIOps-Timestamp` and a signature header (default
`X-AIOps-Signature: sha256=<hex>`) over `"<timestamp>.<body>"`, so receivers can reject forged
and replayed requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext as _

from ..choices import DeliveryKind
from ..messages import Message
from .base import Provider, SendResult, call, check_url, host_of, only_keys

KEYS = {"url", "method", "headers", "template", "content_type", "hmac_secret", "signature_header"}
METHODS = {"POST", "PUT", "PATCH"}
ENGINE = Engine(autoescape=False, builtins=["apps.notifications.templatetags.notification_webhook"])


def template_context(message: Message) -> dict:
    return {
        "event": message.event_name,
        "kind": message.kind,
        "subject": message.subject_key,
        "title": message.title,
        "headline": message.headline,
        "severity": message.severity,
        "status": message.status_line,
        "url": message.url,
        "text": message.as_text(),
        "fields": dict(message.fields),
        "ai_analysis": message.ai_excerpt,
        "alerts": message.alerts,
        "message": message.as_dict(),
        "data": message.data,
    }


def render_body(config: dict, message: Message) -> str:
    context = template_context(message)
    if not config.get("template"):
        return json.dumps(
            {k: context[k] for k in ("event", "kind", "subject", "message")}, ensure_ascii=False, default=str
        )
    return ENGINE.from_string(config["template"]).render(Context(context, autoescape=False))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookProvider(Provider):
    kind = "webhook"
    kinds = frozenset(DeliveryKind.values)

    def validate_config(self, config: dict) -> dict:
        only_keys(config, KEYS)
        check_url(config, "url")
        config = {**config, "method": str(config.get("method") or "POST").upper()}
        if config["method"] not in METHODS:
            raise ValidationError({"method": _("Use POST, PUT or PATCH.")})
        headers = config.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValidationError({"headers": _("Give headers as an object of strings.")})
        if config.get("template"):
            try:
                ENGINE.from_string(config["template"])
            except TemplateSyntaxError as exc:
                raise ValidationError({"template": _("Template error: %(error)s") % {"error": exc}}) from exc
        return config

    def summary(self, config: dict) -> str:
        return f"{config.get('method', 'POST')} {host_of(config.get('url', ''))}"

    def send(self, *, config: dict, message: Message, ref: dict) -> SendResult:
        body = render_body(config, message).encode()
        headers = {
            "Content-Type": config.get("content_type") or "application/json; charset=utf-8",
            **(config.get("headers") or {}),
        }
        if config.get("hmac_secret"):
            timestamp = str(int(time.time()))
            headers["X-AIOps-Timestamp"] = timestamp
            headers[config.get("signature_header") or "X-AIOps-Signature"] = signature(
                config["hmac_secret"], timestamp, body
            )
        response = call(config.get("method", "POST"), config["url"], data=body, headers=headers)
        return SendResult(response=response.text)

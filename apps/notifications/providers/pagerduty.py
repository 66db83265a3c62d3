"""PagerDuty Events API v2: trigger, acknowledge and resolve with a stable `dedup_key`.

The dedup_key is derived from our subject ("aiops-<org>-alert:12") when the first trigger goes
out and kept on the thread, so acknowledging or resolving here acknowledges or resolves the
PagerDuty incident, and a re-trigger (escalation) lands in the same incident. PagerDuty's own
acknowledgments come back through the v3 webhook in `hooks.py`.
"""

from __future__ import annotations

import contextlib
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..choices import DeliveryKind
from ..conf import pagerduty_events_url
from ..messages import Message
from .base import Provider, ProviderError, SendResult, check_url, only_keys, post_json, require, truncate

KEYS = {"routing_key", "api_url", "webhook_secret", "severity_map"}
SEVERITIES = {"critical", "error", "warning", "info"}
DEFAULT_SEVERITY_MAP = {"critical": "critical", "warning": "warning", "info": "info"}
CLIENT = "AIOps Remediation Engine"


class PagerDutyProvider(Provider):
    kind = "pagerduty"
    kinds = frozenset(
        {
            DeliveryKind.NEW,
            DeliveryKind.ACKNOWLEDGE,
            DeliveryKind.RESOLVE,
            DeliveryKind.ESCALATION,
            DeliveryKind.TEST,
        }
    )

    def validate_config(self, config: dict) -> dict:
        only_keys(config, KEYS)
        require(config, "routing_key")
        check_url(config, "api_url", required=False)
        mapping = config.get("severity_map") or {}
        if not isinstance(mapping, dict) or not set(mapping.values()) <= SEVERITIES:
            raise ValidationError(
                {"severity_map": _("Map our severities to critical, error, warning or info.")}
            )
        return config

    def summary(self, config: dict) -> str:
        key = str(config.get("routing_key", ""))
        return _("Events API v2, key …%(tail)s") % {"tail": key[-4:]}

    def send(self, *, config: dict, message: Message, ref: dict) -> SendResult:
        url = config.get("api_url") or pagerduty_events_url()
        routing_key = config["routing_key"]
        if message.kind == DeliveryKind.TEST:
            dedup_key = f"aiops-test-{uuid.uuid4().hex[:12]}"
            first = post_json(url, self._trigger(config, message, routing_key, dedup_key))
            post_json(url, {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key})
            return SendResult(response=first.text)
        dedup_key = ref.get("dedup_key") or message.data.get("dedup_key")
        if message.kind in (DeliveryKind.ACKNOWLEDGE, DeliveryKind.RESOLVE):
            if not dedup_key:
                raise ProviderError(
                    _("Nothing was triggered in PagerDuty for this subject."), transient=False
                )
            action = "acknowledge" if message.kind == DeliveryKind.ACKNOWLEDGE else "resolve"
            response = post_json(
                url, {"routing_key": routing_key, "event_action": action, "dedup_key": dedup_key}
            )
            return SendResult(response=response.text)
        response = post_json(url, self._trigger(config, message, routing_key, dedup_key))
        with contextlib.suppress(ValueError, AttributeError):
            dedup_key = dedup_key or response.json().get("dedup_key")
        return SendResult(response=response.text, ref={"dedup_key": dedup_key})

    def _trigger(self, config: dict, message: Message, routing_key: str, dedup_key: str) -> dict:
        mapping = {**DEFAULT_SEVERITY_MAP, **(config.get("severity_map") or {})}
        details = {label: value for label, value in message.fields if value}
        if message.text:
            details[_("Details")] = message.text
        if message.ai_excerpt:
            details[_("AI Analysis")] = message.ai_excerpt
        if message.alerts:
            details[_("Alerts")] = [f"[{a.get('severity')}] {a.get('title')}" for a in message.alerts]
        if message.url:
            details[_("Dashboard")] = message.url
        payload = {
            "summary": truncate(message.headline, 1024),
            "source": truncate(message.source or "aiops", 255),
            "severity": mapping.get(message.severity, "warning"),
            "custom_details": details,
        }
        if message.timestamp:
            payload["timestamp"] = message.timestamp
        if message.component:
            payload["component"] = message.component
            payload["group"] = message.component
        body = {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": payload,
            "client": CLIENT,
        }
        if message.url:
            body["client_url"] = message.url
            body["links"] = [{"href": message.url, "text": _("View in AIOps")}]
        return body

"""Channel providers, one module each; `get_provider(kind)` is the only lookup."""

from __future__ import annotations

from .base import Provider, ProviderError, SendResult
from .email import EmailProvider
from .pagerduty import PagerDutyProvider
from .slack import SlackProvider
from .teams import TeamsProvider
from .webhook import WebhookProvider

PROVIDERS: dict[str, Provider] = {
    p.kind: p
    for p in (SlackProvider(), PagerDutyProvider(), TeamsProvider(), EmailProvider(), WebhookProvider())
}


def get_provider(kind: str) -> Provider:
    return PROVIDERS[kind]


__all__ = ["PROVIDERS", "Provider", "ProviderError", "SendResult", "get_provider"]

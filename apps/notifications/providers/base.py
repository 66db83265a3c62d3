"""What every channel provider implements, and the HTTP call they share.

Providers never retry themselves: one call per attempt, and the outcome tells the outbox whether
the failure is worth retrying (`transient`) and how long the provider asked us to wait
(`retry_after`, from a 429). Retries with backoff live in one place, `services/dispatch.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from aiops import http
from aiops.redaction import redact_netloc

from ..conf import send_timeout
from ..messages import Message

TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class ProviderError(Exception):
    def __init__(
        self, message: str, *, transient: bool = True, retry_after: float | None = None, response: str = ""
    ):
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.response = response


@dataclass
class SendResult:
    response: str = ""
    ref: dict | None = None  # what later updates need (Slack ts, PagerDuty dedup_key, email Message-ID)


class Provider:
    kind: str = ""
    #: can a sent message be edited later (Slack with a bot token)? Then updates edit it.
    editable: bool = False
    #: delivery kinds this provider sends; others are not even queued for it.
    kinds: frozenset[str] = frozenset()

    def validate_config(self, config: dict) -> dict:  # pragma: no cover - every provider overrides
        raise NotImplementedError

    def supports(self, kind: str, config: dict) -> bool:
        return kind in self.kinds

    def is_editable(self, config: dict) -> bool:
        return self.editable

    def send(self, *, config: dict, message: Message, ref: dict) -> SendResult:  # pragma: no cover
        raise NotImplementedError

    def summary(self, config: dict) -> str:
        """A non-secret description of where messages go (shown in lists)."""
        return ""


def require(config: dict, *keys: str) -> None:
    missing = {k: _("This key is required.") for k in keys if not config.get(k)}
    if missing:
        raise ValidationError(missing)


def check_url(config: dict, key: str, *, required: bool = True) -> None:
    value = config.get(key)
    if not value and not required:
        return
    parts = urlsplit(str(value or ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError({key: _("Enter an http:// or https:// URL.")})


def only_keys(config: dict, allowed: set[str]) -> None:
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ValidationError({k: _("Unknown key for this channel type.") for k in unknown})


def host_of(url: str) -> str:
    """Where a URL points, for summaries: its host, with any password in it masked."""
    try:
        return redact_netloc(urlsplit(url or "").netloc)
    except ValueError:
        return ""


def retry_after_seconds(headers) -> float | None:
    value = (headers or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def call(method: str, url: str, *, timeout: float | None = None, **kwargs) -> requests.Response:
    """One HTTP call through the product's helper; classify failures for the outbox."""
    try:
        response = http.request(method, url, timeout=timeout or send_timeout(), retries=0, **kwargs)
    except http.OutboundError as exc:
        raise ProviderError(str(exc), transient=True) from exc
    if response.status_code >= 300:
        body = response.text[:2000]
        raise ProviderError(
            _("%(host)s answered HTTP %(status)s") % {"host": host_of(url), "status": response.status_code},
            transient=response.status_code in TRANSIENT_STATUSES or response.status_code >= 500,
            retry_after=retry_after_seconds(response.headers),
            response=body,
        )
    return response


def post_json(url: str, payload: dict, *, headers: dict | None = None, timeout: float | None = None):
    body = json.dumps(payload, ensure_ascii=False).encode()
    return call(
        "POST",
        url,
        data=body,
        timeout=timeout,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def truncate(text: str, limit: int) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"

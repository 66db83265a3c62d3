"""Log source providers: one small module per backend, all behind `fetch(source, query, start, end)`.

A provider turns a rendered query and a window into (timestamp, line, labels) entries, oldest
first, and builds a link that opens the same query in the backend's own UI. Every call goes
through `aiops.http` (timeouts, bounded retries, logs without secrets). `ProviderError` carries a
reason fit to show to people ("logs unavailable: <reason>").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from aiops import http

from .. import conf


class ProviderError(Exception):
    """The source could not answer; the message is shown to people.

    `unavailable` marks transport failures (refused, timed out): the source is down, not wrong.
    """

    def __init__(self, message: str, *, unavailable: bool = False):
        super().__init__(message)
        self.unavailable = unavailable


@dataclass
class FetchResult:
    entries: list[tuple[datetime | None, str, dict]] = field(default_factory=list)
    truncated: bool = False


def call(method: str, url: str, **kwargs):
    """One request with the product defaults; a 429/503's Retry-After is honoured once if short."""
    kwargs.setdefault("timeout", conf.timeout_seconds())
    for attempt in (1, 2):
        try:
            # retries=0: urllib3 would otherwise sleep whatever Retry-After a source sends (an hour).
            response = http.request(method, url, retries=0, **kwargs)
        except http.OutboundError as exc:
            raise ProviderError(str(exc), unavailable=True) from exc
        if response.status_code in (429, 503) and attempt == 1:
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait <= conf.max_retry_after_seconds():
                time.sleep(wait)
                continue
            raise ProviderError(f"rate limited (HTTP {response.status_code}); retry after {wait or '?'} s")
        if response.status_code in (401, 403):
            raise ProviderError(f"authentication refused (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise ProviderError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response
    raise ProviderError("rate limited")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def provider_for(kind: str):
    from . import cloudwatch, elasticsearch, loki, splunk

    return {"loki": loki, "elasticsearch": elasticsearch, "cloudwatch": cloudwatch, "splunk": splunk}[kind]


def auth_headers(config: dict) -> tuple[dict, tuple | None]:
    """Bearer token, API key (Elasticsearch) or basic auth from a source's config."""
    headers, auth = {}, None
    if config.get("token"):
        headers["Authorization"] = f"Bearer {config['token']}"
    elif config.get("api_key"):
        headers["Authorization"] = f"ApiKey {config['api_key']}"
    elif config.get("username"):
        auth = (config["username"], config.get("password", ""))
    return headers, auth

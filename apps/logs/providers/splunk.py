"""Splunk: POST /services/search/jobs/export (SPL), `output_mode=json`, one JSON object per line.

Documented in Splunk's REST API reference (search/jobs/export): form fields `search` (must start
with a command, so "search …"), `earliest_time`/`latest_time` (epoch seconds accepted),
`output_mode=json`; the answer streams `{"preview": false, "result": {"_raw", "_time", ...}}`
lines. Auth: a bearer token (Splunk authentication tokens) or basic. Config: token | username +
password, web_url for links.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from urllib.parse import urlencode

from . import FetchResult, ProviderError, auth_headers, call


def fetch(source, query: str, start: datetime, end: datetime, limit: int) -> FetchResult:
    headers, auth = auth_headers(source.config)
    form = {"search": f"{query} | head {int(limit)}", "earliest_time": f"{start.timestamp():.3f}",
            "latest_time": f"{end.timestamp():.3f}", "output_mode": "json"}
    response = call("POST", source.url.rstrip("/") + "/services/search/jobs/export", data=form, headers=headers,
                    auth=auth)
    entries = []
    for raw in response.text.splitlines():
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError as exc:
            raise ProviderError("Splunk answered a line that is not JSON") from exc
        result = row.get("result")
        if row.get("preview") or not isinstance(result, dict) or "_raw" not in result:
            continue
        when = None
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(str(result.get("_time", "")).replace("Z", "+00:00"))
        labels = {k: str(v) for k, v in result.items() if not k.startswith("_") and isinstance(v, str)}
        entries.append((when, result["_raw"], labels))
    entries.sort(key=lambda e: e[0].timestamp() if e[0] else 0)
    return FetchResult(entries=entries[:limit], truncated=len(entries) >= limit)


def test(source) -> str:
    headers, auth = auth_headers(source.config)
    answer = call("GET", source.url.rstrip("/") + "/services/server/info", params={"output_mode": "json"},
                  headers=headers, auth=auth).json()
    version = ((answer.get("entry") or [{}])[0].get("content") or {}).get("version", "?")
    return f"Splunk {version} answered"


def explore_url(source, query: str, start: datetime, end: datetime) -> str:
    base = (source.config.get("web_url") or "").rstrip("/")
    if not base:
        return ""
    return f"{base}/app/search/search?" + urlencode(
        {"q": query, "earliest": int(start.timestamp()), "latest": int(end.timestamp())})

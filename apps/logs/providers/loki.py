"""Loki: GET /loki/api/v1/query_range (LogQL, start/end in nanoseconds since the epoch).

Documented at grafana.com/docs/loki/latest/reference/loki-http-api/#query-logs-within-a-range-of-time:
`query`, `start`, `end` (ns), `limit`, `direction` (forward|backward); the answer's
`data.result[]` are streams, each `{"stream": {labels}, "values": [["<ns>", "<line>"], ...]}`.
Multi-tenant Loki wants `X-Scope-OrgID`. Grafana Explore links need `grafana_url` in the config.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from . import FetchResult, ProviderError, auth_headers, call


def _ns(moment: datetime) -> str:
    return str(int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000)


def _request(source, params: dict):
    headers, auth = auth_headers(source.config)
    if source.config.get("tenant_id"):
        headers["X-Scope-OrgID"] = source.config["tenant_id"]
    return call("GET", source.url.rstrip("/") + "/loki/api/v1/query_range", params=params, headers=headers, auth=auth)


def fetch(source, query: str, start: datetime, end: datetime, limit: int) -> FetchResult:
    params = {"query": query, "start": _ns(start), "end": _ns(end), "limit": limit, "direction": "backward"}
    body = _request(source, params).json()
    if body.get("status") != "success" or (body.get("data") or {}).get("resultType") != "streams":
        raise ProviderError("Loki answered without a streams result")
    entries = []
    for stream in body["data"].get("result") or []:
        labels = stream.get("stream") or {}
        for ns, line in stream.get("values") or []:
            entries.append((datetime.fromtimestamp(int(ns) / 1e9, tz=UTC), line, labels))
    entries.sort(key=lambda e: e[0])
    return FetchResult(entries=entries, truncated=len(entries) >= limit)


def test(source) -> str:
    now = datetime.now(tz=UTC)
    params = {"query": source.config.get("test_query") or '{job=~".+"}', "start": _ns(now - timedelta(minutes=5)),
              "end": _ns(now), "limit": 1, "direction": "backward"}
    body = _request(source, params).json()
    if body.get("status") != "success":
        raise ProviderError("Loki did not answer with status success")
    return "Loki answered"


def explore_url(source, query: str, start: datetime, end: datetime) -> str:
    base = (source.config.get("grafana_url") or "").rstrip("/")
    if not base:
        return ""
    state = {"datasource": source.config.get("grafana_datasource", "loki"), "queries": [{"refId": "A", "expr": query}],
             "range": {"from": str(int(start.timestamp() * 1000)), "to": str(int(end.timestamp() * 1000))}}
    return f"{base}/explore?orgId=1&left={quote(json.dumps(state, separators=(',', ':')))}"

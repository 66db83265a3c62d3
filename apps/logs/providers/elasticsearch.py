"""Elasticsearch and OpenSearch over plain HTTP (no version-locked client): POST /<index>/_search.

The body is a bool query: `filter` holds a `range` on the configured timestamp field and a `terms`
per mapped alert label; `should` holds a `match_phrase` per error word on the message field with
`minimum_should_match: 1`. Pages follow with `search_after` on the sort values (timestamp, then
the configured tiebreaker field when set). Auth: `api_key` ("Authorization: ApiKey …") or basic.
Config keys: index (default "logs-*"), timestamp_field ("@timestamp"), message_field ("message"),
tiebreaker_field, page_size (500), kibana_url.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

from . import FetchResult, ProviderError, auth_headers, call


def _get(source, key, default):
    return source.config.get(key) or default


def _dig(document: dict, dotted: str):
    if dotted in document:
        return document[dotted]
    value = document
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def build_body(source, spec: dict, start: datetime, end: datetime, size: int) -> dict:
    """`spec` is {"terms": {field: value}, "words": [...]} (see apps.logs.querying)."""
    ts = _get(source, "timestamp_field", "@timestamp")
    message = _get(source, "message_field", "message")
    bounds = {"gte": start.isoformat(), "lte": end.isoformat(), "format": "strict_date_optional_time"}
    filters = [{"range": {ts: bounds}}]
    filters += [{"terms": {field: [value]}} for field, value in sorted(spec.get("terms", {}).items())]
    if spec.get("lucene"):
        filters.append({"query_string": {"query": spec["lucene"], "default_field": message}})
    query = {"bool": {"filter": filters}}
    if spec.get("words"):
        query["bool"]["should"] = [{"match_phrase": {message: word}} for word in spec["words"]]
        query["bool"]["minimum_should_match"] = 1
    sort = [{ts: {"order": "asc"}}]
    if source.config.get("tiebreaker_field"):
        sort.append({source.config["tiebreaker_field"]: {"order": "asc"}})
    return {"size": size, "query": query, "sort": sort, "track_total_hits": False}


def _search(source, body: dict) -> dict:
    headers, auth = auth_headers(source.config)
    headers["Content-Type"] = "application/json"
    index = quote(_get(source, "index", "logs-*"), safe="*,-_.")
    return call("POST", f"{source.url.rstrip('/')}/{index}/_search", data=json.dumps(body), headers=headers,
                auth=auth).json()


def _parse_time(value) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def fetch(source, spec: dict, start: datetime, end: datetime, limit: int) -> FetchResult:
    page = min(int(_get(source, "page_size", 500)), limit)
    body = build_body(source, spec, start, end, page)
    ts, message = _get(source, "timestamp_field", "@timestamp"), _get(source, "message_field", "message")
    entries = []
    while len(entries) < limit:
        answer = _search(source, body)
        hits = (answer.get("hits") or {}).get("hits")
        if hits is None:
            raise ProviderError("Elasticsearch answered without hits")
        for hit in hits:
            document = hit.get("_source") or {}
            line = _dig(document, message)
            if line is None:
                continue
            labels = {k: str(v) for k, v in document.items()
                      if k not in (message, ts) and not isinstance(v, dict | list)}
            entries.append((_parse_time(_dig(document, ts)), str(line), labels))
        if len(hits) < page or not hits[-1].get("sort"):
            break
        body = {**body, "search_after": hits[-1]["sort"]}
    return FetchResult(entries=entries[:limit], truncated=len(entries) >= limit)


def test(source) -> str:
    headers, auth = auth_headers(source.config)
    answer = call("GET", source.url.rstrip("/") + "/", headers=headers, auth=auth).json()
    version = (answer.get("version") or {}).get("number", "?")
    return f"{(answer.get('version') or {}).get('distribution', 'elasticsearch')} {version} answered"


def _rison(value: str) -> str:
    return "'" + value.replace("!", "!!").replace("'", "!'") + "'"


def explore_url(source, lucene: str, start: datetime, end: datetime) -> str:
    base = (source.config.get("kibana_url") or "").rstrip("/")
    if not base:
        return ""
    g = f"(time:(from:{_rison(start.isoformat())},to:{_rison(end.isoformat())}))"
    a = f"(query:(language:lucene,query:{_rison(lucene)}))"
    return f"{base}/app/discover#/?_g={quote(g, safe='():,!')}&_a={quote(a, safe='():,!')}"

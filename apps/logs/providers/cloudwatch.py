"""CloudWatch Logs Insights: StartQuery, then GetQueryResults until Complete (SigV4-signed JSON 1.1).

Documented in the CloudWatch Logs API reference: POST / with `X-Amz-Target:
Logs_20140328.StartQuery`, `Content-Type: application/x-amz-json-1.1`, body `logGroupNames`,
`startTime`/`endTime` (epoch seconds), `queryString`, `limit`; the answer has `queryId`.
GetQueryResults answers `status` and `results`: rows of `{"field", "value"}` (`@timestamp`,
`@message`, `@logStream`). Config keys: region, log_groups (list), access_key_id,
secret_access_key, session_token; `url` overrides the regional endpoint (tests, VPC endpoints).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import quote

from . import FetchResult, ProviderError, call
from .sigv4 import sign

POLL_SECONDS = 0.5


def _endpoint(source) -> str:
    if source.url:
        return source.url.rstrip("/") + "/"
    return f"https://logs.{source.config.get('region', 'us-east-1')}.amazonaws.com/"


def _post(source, target: str, payload: dict) -> dict:
    body = json.dumps(payload).encode()
    config = source.config
    headers = sign(
        method="POST", url=_endpoint(source), body=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Logs_20140328.{target}"},
        access_key=config.get("access_key_id", ""), secret_key=config.get("secret_access_key", ""),
        region=config.get("region", "us-east-1"), service="logs", now=datetime.now(tz=UTC),
        session_token=config.get("session_token", ""),
    )
    return call("POST", _endpoint(source), data=body, headers=headers).json()


def _time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def fetch(source, query: str, start: datetime, end: datetime, limit: int) -> FetchResult:
    groups = source.config.get("log_groups") or []
    if not groups:
        raise ProviderError("no log_groups configured")
    started = _post(source, "StartQuery", {"logGroupNames": groups, "startTime": int(start.timestamp()),
                                           "endTime": int(end.timestamp()), "queryString": query,
                                           "limit": min(limit, 10000)})
    query_id = started.get("queryId")
    if not query_id:
        raise ProviderError("StartQuery answered without a queryId")
    deadline = time.monotonic() + float(source.config.get("query_timeout", 30))
    while True:
        answer = _post(source, "GetQueryResults", {"queryId": query_id})
        status = answer.get("status")
        if status == "Complete":
            break
        if status in ("Failed", "Cancelled", "Timeout", "Unknown"):
            raise ProviderError(f"query {status.lower()}")
        if time.monotonic() > deadline:
            raise ProviderError("query still running at the timeout")
        time.sleep(POLL_SECONDS)
    entries = []
    for row in answer.get("results") or []:
        fields = {f.get("field"): f.get("value") for f in row if isinstance(f, dict)}
        if fields.get("@message") is None:
            continue
        labels = {k: v for k, v in fields.items() if k not in ("@message", "@timestamp", "@ptr")}
        entries.append((_time(fields.get("@timestamp")), fields["@message"], labels))
    entries.sort(key=lambda e: e[0] or datetime.min.replace(tzinfo=UTC))
    return FetchResult(entries=entries, truncated=len(entries) >= limit)


def test(source) -> str:
    answer = _post(source, "DescribeLogGroups", {"limit": 1})
    return f"CloudWatch Logs answered ({len(answer.get('logGroups') or [])} group(s) listed)"


def explore_url(source, query: str, start: datetime, end: datetime) -> str:
    region = source.config.get("region", "us-east-1")
    return (f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:logs-insights"
            f"$3FqueryDetail$3D~(end~'{quote(end.isoformat())}~start~'{quote(start.isoformat())}"
            f"~editorString~'{quote(query, safe='')})")

"""Fixtures: loopback log backends that check each request against the provider's documented API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from tests.support.http_stub import StubResponse, StubServer, http_stub  # noqa: F401

HOUR_NS = 3600 * 10**9


def is_baseline(req) -> bool:
    """A Loki query over the hour before an alert's window: the new/elevated baseline."""
    q = req.query
    return "start" in q and "end" in q and int(q["end"][0]) - int(q["start"][0]) == HOUR_NS


class _WindowOnly(StubResponse):
    def matches(self, request) -> bool:
        return super().matches(request) and not is_baseline(request)


class _BaselineOnly(StubResponse):
    def matches(self, request) -> bool:
        return super().matches(request) and is_baseline(request)


class LokiStub(StubServer):
    """A loopback Loki whose scripted answers go to the alert's own window, never to the baseline hour.

    The baseline is fetched at the same time as the window, so the two arrive in either order: a
    script answering "the next request" would be a race. `respond` scripts the window's answers,
    `respond_baseline` the hour's; unscripted requests get the default (no lines).
    """

    def respond(self, *args, **kwargs):
        return self._script(_WindowOnly, *args, **kwargs)

    def respond_baseline(self, *args, **kwargs):
        return self._script(_BaselineOnly, *args, **kwargs)

    def _script(self, kind, *args, **kwargs):
        super().respond(*args, **kwargs)
        with self._lock:
            self._queue[-1] = kind(**self._queue[-1].__dict__)
        return self


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def assert_loki_request(req, *, token="s3cret-token", tenant=None):
    """GET /loki/api/v1/query_range: query, start/end as integer nanoseconds, limit, direction."""
    assert req.method == "GET", req.method
    assert req.path == "/loki/api/v1/query_range", req.path
    q = {k: v[0] for k, v in req.query.items()}
    assert set(q) >= {"query", "start", "end", "limit"}, q
    assert q["start"].isdigit() and q["end"].isdigit(), "start/end must be integer nanoseconds"
    assert len(q["start"]) == 19, "nanoseconds since the epoch have 19 digits today"
    assert int(q["start"]) < int(q["end"])
    assert int(q["limit"]) > 0
    assert q.get("direction", "backward") in ("forward", "backward")
    assert q["query"].lstrip().startswith("{"), "a LogQL log query starts with a stream selector"
    if token:
        assert req.header("authorization") == f"Bearer {token}"
    if tenant:
        assert req.header("x-scope-orgid") == tenant


def loki_streams(lines: list[tuple[datetime, str]], labels=None) -> dict:
    return {"status": "success", "data": {"resultType": "streams", "stats": {}, "result": [
        {"stream": labels or {"job": "payment-api"},
         "values": [[str(int(ts.timestamp() * 1e9)), line] for ts, line in sorted(lines, reverse=True)]}]}}


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 5, 1, 14, minute, second, tzinfo=UTC)


def es_hits(docs: list[dict], *, sort_field="@timestamp") -> dict:
    return {"took": 1, "timed_out": False, "hits": {"hits": [
        {"_index": "logs-1", "_id": str(i), "_source": doc, "sort": [doc[sort_field]]} for i, doc in enumerate(docs)]}}


def splunk_lines(rows: list[dict]) -> str:
    return "\n".join(json.dumps({"preview": False, "offset": i, "result": row}) for i, row in enumerate(rows)) + "\n"

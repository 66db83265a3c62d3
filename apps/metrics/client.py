"""A bounded client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`).

Capacity and forecasting tools are known to knock over Prometheus with month-long, fine-step
range queries. This client therefore:

* never asks for more than `METRICS_MAX_POINTS_PER_SERIES` (11,000, Prometheus' own limit) points
  per series: a long range is cut into chunks that each stay under it, fetched separately and
  stitched back together by label set; `choose_step` picks a step when the caller has none;
* runs at most `source.max_concurrency` queries against one source at a time (a per-source
  semaphore shared by every thread of the process, plus a pool of that size for chunks);
* sends the per-query timeout both to the server (`timeout=`) and to the socket;
* raises `MetricQueryError` whose message says which source, which query and what failed
  (transport, HTTP status, Prometheus' errorType/error, malformed body).

Thanos, Mimir and VictoriaMetrics implement the same API, so one client serves them all.
"""
from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiops import http

from . import conf
from .choices import SourceAuth

# Steps a chosen step is rounded up to, so chunks and refreshes line up on the same timestamps.
NICE_STEPS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]

_semaphores: dict[tuple, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


class MetricQueryError(Exception):
    """A query that failed; the message names the source, the query and the cause."""


@dataclass
class Series:
    labels: dict
    timestamps: list[float] = field(default_factory=list)  # unix seconds
    values: list[float] = field(default_factory=list)

    @property
    def metric_name(self) -> str:
        return self.labels.get("__name__", "")

    def key(self) -> str:
        """A stable identity for the label set (used to match forecasts across runs)."""
        return ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))


def choose_step(start: datetime, end: datetime, *, points: int = 2000) -> int:
    """A step (seconds) that gives about `points` points over the range, rounded up to a nice value."""
    span = max((end - start).total_seconds(), 1.0)
    raw = span / max(points - 1, 1)
    for nice in NICE_STEPS:
        if nice >= raw:
            return nice
    return int(math.ceil(raw / 86400.0) * 86400)


def chunk_ranges(start: datetime, end: datetime, step: int, max_points: int) -> list[tuple[datetime, datetime]]:
    """Cut [start, end] into windows of at most `max_points` samples at `step`, sharing no sample."""
    width = timedelta(seconds=step * (max_points - 1))
    chunks = []
    cursor = start
    while cursor <= end:
        stop = min(cursor + width, end)
        chunks.append((cursor, stop))
        cursor = stop + timedelta(seconds=step)
    return chunks


def _semaphore(source) -> threading.BoundedSemaphore:
    key = (source.pk, source.max_concurrency)
    with _semaphores_lock:
        if key not in _semaphores:
            _semaphores[key] = threading.BoundedSemaphore(max(1, source.max_concurrency))
        return _semaphores[key]


class PrometheusClient:
    """Queries one `MetricSource`. Thread-safe; cheap to build."""

    def __init__(self, source, *, timeout: float | None = None):
        self.source = source
        self.timeout = float(timeout or source.timeout_seconds or conf.default_timeout_seconds())
        self.base = source.url.rstrip("/")

    def _auth(self) -> dict:
        kwargs: dict = {"headers": {"Accept": "application/json"}}
        if self.source.auth_type == SourceAuth.BEARER and self.source.secret:
            kwargs["headers"]["Authorization"] = f"Bearer {self.source.secret}"
        elif self.source.auth_type == SourceAuth.BASIC:
            kwargs["auth"] = (self.source.username, self.source.secret or "")
        if self.source.headers:
            kwargs["headers"].update({str(k): str(v) for k, v in self.source.headers.items()})
        return kwargs

    def _get(self, path: str, params: dict, what: str, *, method: str = "POST") -> dict:
        where = f"{self.source.name}: {what}"
        # POST form is what Grafana sends: long PromQL does not hit URL length limits.
        body = {"data": params} if method == "POST" else {"params": params}
        with _semaphore(self.source):
            try:
                response = http.request(method, self.base + path, timeout=self.timeout, retries=1,
                                        **body, **self._auth())
            except http.OutboundError as exc:
                cause = f"timed out after {self.timeout:g} s" if exc.timed_out else f"could not connect ({exc})"
                raise MetricQueryError(f"{where} {cause}") from exc
        try:
            body = response.json()
        except ValueError:
            raise MetricQueryError(
                f"{where} answered HTTP {response.status_code} with a body that is not JSON "
                f"(is {self.base} a Prometheus API root?)") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            if response.status_code in (401, 403):
                raise MetricQueryError(f"{where} refused the credentials (HTTP {response.status_code})")
            kind = body.get("errorType", "") if isinstance(body, dict) else ""
            error = body.get("error", "") if isinstance(body, dict) else ""
            raise MetricQueryError(f"{where} failed with HTTP {response.status_code}"
                                   + (f" ({kind}: {error})" if kind or error else ""))
        data = body.get("data")
        if not isinstance(data, dict):
            raise MetricQueryError(f"{where} answered without a data object")
        return data

    def build_info(self) -> dict:
        """`/api/v1/status/buildinfo` (Prometheus, Thanos, Mimir; VictoriaMetrics answers too)."""
        return self._get("/api/v1/status/buildinfo", {}, "build info", method="GET")

    def query(self, expr: str, *, at: datetime | None = None) -> list[Series]:
        """An instant query: one sample per series (vector) or a scalar as one unlabelled series."""
        params = {"query": expr, "timeout": f"{self.timeout:g}s"}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        data = self._get("/api/v1/query", params, f"query {expr!r}")
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return [Series({}, [float(result[0])], [_float(result[1])])]
        if kind != "vector" or not isinstance(result, list):
            raise MetricQueryError(f"{self.source.name}: query {expr!r} returned {kind!r}, expected a vector")
        return [Series(dict(item.get("metric", {})), [float(item["value"][0])], [_float(item["value"][1])])
                for item in result]

    def query_range(self, expr: str, *, start: datetime, end: datetime, step: int | None = None) -> list[Series]:
        """A range query, chunked so that no request asks for more than the per-series point limit."""
        if end <= start:
            raise MetricQueryError(f"{self.source.name}: query {expr!r}: the range ends before it starts")
        step = int(step or choose_step(start, end))
        max_points = conf.max_points_per_series()
        chunks = chunk_ranges(start, end, step, max_points)
        workers = max(1, min(self.source.max_concurrency, len(chunks)))
        if workers == 1:
            parts = [self._range_chunk(expr, a, b, step) for a, b in chunks]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                parts = list(pool.map(lambda ab: self._range_chunk(expr, ab[0], ab[1], step), chunks))
        merged: dict[str, Series] = {}
        for part in parts:
            for series in part:
                into = merged.setdefault(series.key(), Series(series.labels))
                into.timestamps.extend(series.timestamps)
                into.values.extend(series.values)
        if len(merged) > conf.max_series():
            raise MetricQueryError(f"{self.source.name}: query {expr!r} returned {len(merged)} series, more than "
                                   f"METRICS_MAX_SERIES={conf.max_series()}; narrow it with label matchers")
        return list(merged.values())

    def _range_chunk(self, expr: str, start: datetime, end: datetime, step: int) -> list[Series]:
        params = {"query": expr, "start": f"{start.timestamp():.3f}", "end": f"{end.timestamp():.3f}",
                  "step": str(step), "timeout": f"{self.timeout:g}s"}
        what = f"query_range {expr!r} ({start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}, step {step}s)"
        data = self._get("/api/v1/query_range", params, what)
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise MetricQueryError(f"{self.source.name}: {what} returned {data.get('resultType')!r}, expected a matrix")
        out = []
        for item in data["result"]:
            values = item.get("values") or []
            out.append(Series(dict(item.get("metric", {})), [float(t) for t, _ in values],
                              [_float(v) for _, v in values]))
        return out


def _float(text) -> float:
    try:
        return float(text)  # Prometheus writes NaN and ±Inf as strings; float() reads them
    except (TypeError, ValueError):
        return math.nan

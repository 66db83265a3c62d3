"""Run one `api` step: a single HTTP request through `aiops.http.request` (one attempt; the runner
owns retries so the step's retry_count and retry_delay_seconds mean exactly what the YAML says)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiops.http import OutboundError, request


@dataclass
class ApiResult:
    status: int | None
    body: str
    truncated: bool
    error: str
    duration_ms: int


def call(*, method: str, url: str, headers: dict, body, timeout: float, output_limit: int) -> ApiResult:
    kwargs: dict = {"headers": headers}
    if isinstance(body, dict | list):
        kwargs["json"] = body
    elif body is not None:
        kwargs["data"] = body.encode()
    started = time.monotonic()
    try:
        response = request(method, url, timeout=timeout, retries=0, **kwargs)
    except OutboundError as exc:
        return ApiResult(None, "", False, str(exc), round((time.monotonic() - started) * 1000))
    content = response.content or b""
    text = content[:output_limit].decode(response.encoding or "utf-8", errors="replace")
    return ApiResult(
        response.status_code,
        text,
        len(content) > output_limit,
        "",
        round((time.monotonic() - started) * 1000),
    )

"""What every LLM client shares: the result type, the error type and the retrying POST.

Retries live here rather than in `aiops.http.request` (which is called with `retries=0`) so that one
bounded budget — 1 + `provider.max_retries` attempts — covers timeouts, connection failures, 429
and 5xx answers alike, and so that Retry-After is honoured up to ANALYSIS_MAX_RETRY_WAIT_SECONDS.
Error messages name the host and the status, never the key or the prompt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from aiops import http

from .. import conf

RETRYABLE_STATUSES = {408, 429, 500, 502, 503, 504, 529}  # 529: Anthropic "overloaded"


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    model: str
    finish_reason: str | None
    http_status: int
    attempts: int

    @property
    def truncated(self) -> bool:
        return self.finish_reason in ("length", "max_tokens")


class ProviderError(Exception):
    """A provider call that failed for good; `kind` is one of timeout, transport, rate_limited,
    server_error, auth, bad_request, bad_response."""

    def __init__(self, message: str, *, kind: str, status: int | None = None, attempts: int = 1):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.attempts = attempts


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After") or response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: fall back to our own back-off


def _error_detail(response: requests.Response) -> str:
    """The provider's own error message (OpenAI and Anthropic both use {"error": {"message"}})."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "")[:300]
    if isinstance(error, str):
        return error[:300]
    return ""


def _kind_for(status: int) -> str:
    if status == 429:
        return "rate_limited"
    if status in (401, 403):
        return "auth"
    if status >= 500 or status == 408:
        return "server_error"
    return "bad_request"


def post_json(
    provider, url: str, *, headers: dict, body: dict, timeout: float | None = None
) -> tuple[requests.Response, int, int]:
    """POST `body` as JSON with bounded retries; return (response, latency_ms of the last try, attempts)."""
    attempts_allowed = 1 + provider.max_retries
    timeout = timeout or provider.timeout_seconds
    host = requests.utils.urlparse(url).netloc
    for attempt in range(1, attempts_allowed + 1):
        last = attempt == attempts_allowed
        started = time.monotonic()
        try:
            response = http.request("POST", url, json=body, headers=headers, timeout=timeout, retries=0)
        except http.OutboundError as exc:
            cause = exc.__cause__
            kind = "timeout" if _is_timeout(cause) else "transport"
            if last:
                what = (
                    f"timed out after {timeout:g}s"
                    if kind == "timeout"
                    else f"could not connect ({type(cause).__name__})"
                )
                raise ProviderError(
                    f"{host} {what}; gave up after {attempt} attempt(s)", kind=kind, attempts=attempt
                ) from exc
            time.sleep(_backoff(attempt))
            continue
        latency = round((time.monotonic() - started) * 1000)
        status = response.status_code
        if status < 400:
            return response, latency, attempt
        if status in RETRYABLE_STATUSES and not last:
            wait = _retry_after(response)
            time.sleep(min(wait if wait is not None else _backoff(attempt), conf.max_retry_wait()))
            continue
        detail = _error_detail(response)
        kind = _kind_for(status)
        label = {
            "rate_limited": "rate limited the request",
            "auth": "rejected the credentials",
            "server_error": "failed",
            "bad_request": "rejected the request",
        }[kind]
        raise ProviderError(
            f"{host} {label} (HTTP {status}){': ' + detail if detail else ''}; "
            f"gave up after {attempt} attempt(s)",
            kind=kind,
            status=status,
            attempts=attempt,
        )
    raise AssertionError("unreachable")  # the loop returns or raises on its last attempt


def _is_timeout(exc: BaseException | None) -> bool:
    """A timeout, also when urllib3 wrapped it (a read timeout with retries=0 surfaces as ConnectionError)."""
    if isinstance(exc, requests.Timeout):
        return True
    inner = exc.args[0] if exc is not None and exc.args else None
    return isinstance(getattr(inner, "reason", None), Urllib3Timeout)


def _backoff(attempt: int) -> float:
    return min(0.5 * (2 ** (attempt - 1)), conf.max_retry_wait())


def parse_json_body(response: requests.Response, host_hint: str) -> dict:
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderError(
            f"{host_hint} answered HTTP {response.status_code} with a body that is not JSON",
            kind="bad_response",
            status=response.status_code,
        ) from exc
    if not isinstance(data, dict):
        raise ProviderError(
            f"{host_hint} answered with unexpected JSON", kind="bad_response", status=response.status_code
        )
    return data

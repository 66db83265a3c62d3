"""The one way the product calls out: timeouts, bounded retries, a user agent, structured logs.

Logs and errors name the host and the first path segment only — never the rest of the path,
query strings, headers or bodies, which carry secrets (Slack and Teams webhook URLs, tokens).
"""
from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

logger = logging.getLogger("aiops.http")
USER_AGENT = "aiops-remediation-engine/0.1 (+https://github.com/aiops-remediation-engine)"


class OutboundError(Exception):
    """A call that failed after its retries; carries the last status (if any) for the caller."""

    def __init__(self, message: str, *, status: int | None = None, response: requests.Response | None = None,
                 timed_out: bool = False):
        super().__init__(message)
        self.status = status
        self.response = response
        self.timed_out = timed_out


def _timed_out(exc: requests.RequestException) -> bool:
    """A timeout, including one urllib3 retried and then reported as a connection error."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # urllib3's NewConnectionError (refused, unreachable) subclasses ConnectTimeoutError.
    return isinstance(reason, ReadTimeoutError) or (
        isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError))


def _loggable_path(path: str) -> str:
    """The first path segment only: webhook URLs (Slack, Teams) carry their secret in the path."""
    first = path.strip("/").split("/", 1)[0]
    return f"/{first}/…" if "/" in path.strip("/") else f"/{first}"


def _session(retries: int) -> requests.Session:
    session = requests.Session()
    retry = Retry(
        total=retries, connect=retries, read=retries, status=retries, backoff_factor=0.3,
        status_forcelist=(502, 503, 504), allowed_methods=None, respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _private_target(host: str) -> str | None:
    """The private/loopback/link-local address `host` resolves to, if any (None when all public)."""
    import ipaddress
    import socket

    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return None  # unresolvable: the request itself will fail and say so
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified):
            return str(address)
    return None


def check_target(url: str) -> None:
    """Refuse a URL the outbound policy forbids (`OUTBOUND_HTTP_DENY_PRIVATE`); default: allow all.

    Channel, LLM and runbook HTTP targets are typed in by admins; on a shared installation the
    deny-list stops them from reaching the cloud metadata service or internal hosts.
    """
    if not getattr(settings, "OUTBOUND_HTTP_DENY_PRIVATE", False):
        return
    host = (urlsplit(url).hostname or "").lower()
    if host in {h.lower() for h in getattr(settings, "OUTBOUND_HTTP_ALLOW_HOSTS", ())}:
        return
    address = _private_target(host)
    if address is not None:
        logger.warning("outbound call refused", extra={"host": host, "reason": "private address"})
        raise OutboundError(f"{host} resolves to a private address ({address}); outbound calls to private "
                            "ranges are disabled (OUTBOUND_HTTP_DENY_PRIVATE)")


def request(method: str, url: str, *, timeout: float | None = None, retries: int | None = None,
            raise_for_status: bool = False, **kwargs) -> requests.Response:
    """Send one HTTP request with the product's defaults; raise OutboundError on transport failure."""
    timeout = settings.OUTBOUND_HTTP_TIMEOUT if timeout is None else timeout
    retries = settings.OUTBOUND_HTTP_RETRIES if retries is None else retries
    check_target(url)
    parts = urlsplit(url)
    where = {"method": method.upper(), "host": parts.hostname or "", "path": _loggable_path(parts.path)}
    started = time.monotonic()
    try:
        with _session(retries) as session:
            response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        elapsed = round((time.monotonic() - started) * 1000)
        timed_out = _timed_out(exc)
        error = "timeout" if timed_out else type(exc).__name__
        logger.warning("outbound call failed", extra={**where, "error": error, "ms": elapsed})
        what = f"timed out after {timeout:g} s" if timed_out else f"failed: {type(exc).__name__}"
        raise OutboundError(f"{method.upper()} {where['host']}{where['path']} {what}", timed_out=timed_out) from exc
    elapsed = round((time.monotonic() - started) * 1000)
    logger.info("outbound call", extra={**where, "status": response.status_code, "ms": elapsed})
    if raise_for_status and response.status_code >= 400:
        raise OutboundError(
            f"{method.upper()} {where['host']}{where['path']} answered {response.status_code}",
            status=response.status_code, response=response,
        )
    return response

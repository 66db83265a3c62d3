"""The one front door for untrusted webhook bodies: bounded read, strict JSON, safe headers, secrets.

Every inbound hook (alerts, changes, Slack, PagerDuty, and the apps that add their own) reads its
body with `read_body`, parses it with `parse_json`, reads headers with `header`, checks secrets
with `secret_matches` and refuses with `error_response`, so a malformed delivery is a 4xx with
one body shape — `{"error": {"code", "message", "fields"?}}` — and never a 500 or a stored row.

`parse_json` refuses what Python's `json` accepts but storage or arithmetic cannot take later:
NaN/Infinity (and `1e400`, which is infinity), integers outside 64 bits (and 5,000-digit ones that
make `int()` itself fail), NUL characters (PostgreSQL text refuses them), lone UTF-16 surrogates
(not encodable as UTF-8) and nesting deeper than `max_depth`. Each refusal names its JSON path.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from datetime import UTC, datetime

from django.http import JsonResponse

logger = logging.getLogger("aiops.webhooks")

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# Timestamps a webhook may carry: anything outside is a typo or an attack, and breaks arithmetic
# (a year-9999 startsAt overflows `+ timedelta` in correlation).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


class WebhookError(Exception):
    """A refusal: HTTP status, machine code, human message, optional {json path: problem}."""

    def __init__(self, status: int, code: str, message: str, *, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers or {}

    def response(self, **log_extra) -> JsonResponse:
        return error_response(self.status, self.code, self.message, fields=self.fields, headers=self.headers,
                              **log_extra)


class InvalidJSON(WebhookError):
    def __init__(self, fields: dict[str, str]):
        super().__init__(400, "invalid_payload", "The body is not acceptable JSON.", fields=fields)


def error_response(status: int, code: str, message: str, *, fields: dict | None = None,
                   headers: dict | None = None, log: logging.Logger | None = None, **log_extra) -> JsonResponse:
    """The one refusal body; logs the status and code (and what the caller names), never the token."""
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    (log or logger).warning("webhook refused", extra={"status": status, "code": code, **log_extra})
    response = JsonResponse(body, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


# --- reading the request -------------------------------------------------------------------------

def header(request, name: str) -> str:
    """A request header as text, "" when absent. Never raises, whatever bytes the client sent.

    WSGI hands headers over as latin-1-decoded strings; they are returned unchanged, so a
    comparison with `secret_matches` (which works on bytes) stays safe.
    """
    key = name.upper().replace("-", "_")
    if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        key = f"HTTP_{key}"
    value = request.META.get(key, "")
    return value if isinstance(value, str) else ""


def require_json(request) -> None:
    """415 unless the body is declared JSON (or not declared at all)."""
    content_type = header(request, "Content-Type").split(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise WebhookError(415, "unsupported_media_type", "Send the body as application/json.")


def read_body(request, limit: int) -> bytes:
    """At most `limit` bytes of the body; 413 beyond (checked on Content-Length before reading)."""
    declared = header(request, "Content-Length").strip()
    too_large = WebhookError(413, "payload_too_large", f"The body exceeds {limit} bytes.")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    try:
        data = request.read(limit + 1)
    except OSError:
        raise WebhookError(400, "unreadable_body", "The body could not be read.") from None
    if len(data) > limit:
        raise too_large
    return data


# --- strict JSON -----------------------------------------------------------------------------------

class _Bad:
    """A placeholder left by the parser hooks where a number was refused; reported with its path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def _parse_int(text: str):
    digits = len(text.lstrip("-"))
    if digits > 19:
        return _Bad("is an integer outside the 64-bit range")
    value = int(text)
    return value if INT_MIN <= value <= INT_MAX else _Bad("is an integer outside the 64-bit range")


def _parse_float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Bad("is a number too large to represent")


def _parse_constant(text: str):
    return _Bad(f"{text} is not JSON (numbers must be finite)")


def _path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _problems(value, *, max_depth: int, check_text: bool, limit: int = 20) -> dict[str, str]:
    """Walk the parsed document (iteratively) and collect the first `limit` problems by path."""
    errors: dict[str, str] = {}
    stack = [("", value, 0)]
    while stack and len(errors) < limit:
        path, item, depth = stack.pop()
        where = path or "body"
        if isinstance(item, _Bad):
            errors[where] = item.reason
        elif isinstance(item, str):
            if check_text and _BAD_CHARS.search(item):
                errors[where] = "contains a NUL character or a lone UTF-16 surrogate"
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                errors[where] = f"is nested deeper than {max_depth} levels"
                continue
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                child_path = _path(path, key)
                if check_text and isinstance(key, str) and _BAD_CHARS.search(key):
                    errors[child_path] = "has a key with a NUL character or a lone UTF-16 surrogate"
                    continue
                stack.append((child_path, child, depth + 1))
    return errors


def parse_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH):
    """Strict JSON → Python; raises `InvalidJSON` (400, fields by JSON path) for anything unsafe."""
    import json

    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJSON({"body": "is not UTF-8 text"}) from None
    else:
        text = raw
    refused = []

    def constant(name):
        refused.append(name)
        return _parse_constant(name)

    def integer(s):
        value = _parse_int(s)
        if isinstance(value, _Bad):
            refused.append(s)
        return value

    def number(s):
        value = _parse_float(s)
        if isinstance(value, _Bad):
            refused.append(s)
        return value

    try:
        value = json.loads(text, parse_constant=constant, parse_int=integer, parse_float=number)
    except RecursionError:
        raise InvalidJSON({"body": f"is nested deeper than {max_depth} levels"}) from None
    except json.JSONDecodeError as exc:
        raise InvalidJSON({"body": f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"}) from None
    except ValueError:  # e.g. int() refusing a huge literal
        raise InvalidJSON({"body": "contains a number that cannot be read"}) from None
    # Only pay for the walk when something could be wrong: a \u escape is the only way a NUL or a
    # surrogate gets into valid JSON text decoded from UTF-8; brackets bound the depth.
    check_text = "\\u" in text or not isinstance(raw, bytes | bytearray)
    deep = text.count("[") + text.count("{") > max_depth
    if refused or check_text or deep:
        errors = _problems(value, max_depth=max_depth, check_text=check_text)
        if errors:
            raise InvalidJSON(errors)
    return value


def time_in_range(value: datetime, path: str, errors: dict) -> datetime | None:
    """`value`, or None with an error at `path` when it is outside [1970, 2200)."""
    if value is not None and not (EARLIEST <= value < LATEST):
        errors[path] = f"is outside the accepted range ({EARLIEST.year}–{LATEST.year - 1})"
        return None
    return value


# --- secrets ---------------------------------------------------------------------------------------

def _bytes(value) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    # surrogatepass: a header or body value with odd characters still compares (and fails) safely.
    return str(value).encode("utf-8", "surrogatepass")


def secret_matches(given, expected) -> bool:
    """Constant-time comparison on bytes; False when either side is missing or empty."""
    if not given or not expected:
        return False
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def constant_time_equal(given, expected) -> bool:
    """Constant-time equality on bytes, empty values included (e.g. an optional username)."""
    return hmac.compare_digest(_bytes(given or ""), _bytes(expected or ""))


def hmac_sha256_hex(secret, body: bytes) -> str:
    return hmac.new(_bytes(secret), body, hashlib.sha256).hexdigest()


def bearer_token(request) -> str:
    """The credentials of `Authorization: Bearer <x>`, "" otherwise."""
    scheme, _, credentials = header(request, "Authorization").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def basic_credentials(request) -> tuple[str, str] | None:
    """(username, password) of `Authorization: Basic ...`, None when absent or malformed."""
    import base64
    import binascii

    scheme, _, credentials = header(request, "Authorization").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip().encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        return None
    username, _, password = decoded.partition(":")
    return username, password


def issue_token(nbytes: int = 24) -> str:
    """A new URL-safe secret for a hook URL."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """How hook tokens are looked up: SHA-256 hex of the token (any text, never raises)."""
    return hashlib.sha256(_bytes(token)).hexdigest()

"""Secrets out of anything shown or logged: credentials in URLs, tokens in hook paths.

`redact_url("https://user:pw@host/x")` → `"https://user:***@host/x"`. `redact_text` does the same
to every URL inside a text and masks the token of `/hooks/<kind>/<token>/` paths, which is what the
access-log filter (`aiops.logging.RedactSecretsFilter`) applies to each log line.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@")
# /hooks/<kind>/<token>/ and /hooks/<kind>/<sub>/<token>/ (token = the last long segment)
_HOOK_TOKEN = re.compile(r"(/hooks/(?:[\w-]+/){1,2})([A-Za-z0-9_\-]{12,})")


def redact_netloc(netloc: str) -> str:
    """`user:pw@host:port` → `user:***@host:port`; a netloc without a password is unchanged."""
    if "@" not in netloc:
        return netloc
    userinfo, _, host = netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    return f"{user}:{MASK}@{host}" if sep else f"{user}@{host}"


def redact_url(url: str) -> str:
    """The URL with its password (if any) masked; text that is not a URL is returned unchanged."""
    if not url or "@" not in url:
        return url or ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    return urlunsplit(parts._replace(netloc=redact_netloc(parts.netloc)))


def redact_text(text: str) -> str:
    """Every credential-bearing URL and hook token inside `text`, masked."""
    if not text:
        return text
    if "@" in text:
        text = _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    if "/hooks/" in text:
        text = _HOOK_TOKEN.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return text

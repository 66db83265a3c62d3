"""Mask the variable parts of a log message, so lines of one event look alike.

Whole-value masks first (URLs, e-mails, UUIDs, IPv4/IPv6 with port, hex, paths, durations,
numbers), then the general rule that a token holding a digit is a value (`blk_-69522958`,
`worker-7`, `0x14ed93`). `key=value` keeps its key. Every mask is `<*>`, the Loghub convention, so
templates compare equal whatever kind of value filled them.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

_WHOLE = [
    re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s\"'<>]+", re.I),  # URLs
    re.compile(r"\b[\w.+\-]+@[\w\-]+(\.[\w\-]+)+\b"),  # e-mails
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),  # UUIDs
    re.compile(r"(?<![\w.])(\d{1,3}\.){3}\d{1,3}(:\d{1,5})?(?![\w.])"),  # IPv4[:port]
    re.compile(r"(?<![\w:])([0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}(?![\w:])", re.I),  # IPv6 (loose)
    re.compile(r"\b0x[0-9a-f]+\b", re.I),  # hex literals
    re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I),  # hashes, ids
    re.compile(r"(?<![\w/])(/[\w.\-@%+~]+){2,}/?"),  # absolute paths
    re.compile(r"\b\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|kb|mb|gb|k|b)\b", re.I),  # durations, sizes
]
_KEY_VALUE = re.compile(r"^([A-Za-z_][\w.\-]*[=:])(.+)$")
_EDGE = "()[]{}<>,;:'\"`"


def _mask_token(token: str) -> str:
    if token == WILDCARD:
        return token
    if WILDCARD in token and token.replace(WILDCARD, "").strip(_EDGE + "/.-_=@#") == "":
        return WILDCARD  # "/<*>", "[<*>]:" are values with punctuation, not constants
    if not any(c.isdigit() for c in token):
        return token
    pair = _KEY_VALUE.match(token)
    if pair and any(c.isdigit() for c in pair.group(2)) and not any(c.isdigit() for c in pair.group(1)):
        return pair.group(1) + WILDCARD
    start, end = 0, len(token)
    while start < end and token[start] in _EDGE:
        start += 1
    while end > start and token[end - 1] in _EDGE:
        end -= 1
    core = token[start:end]
    if WILDCARD in core and core.replace(WILDCARD, "").strip(_EDGE + "/.-_") == "":
        return token[:start] + WILDCARD + token[end:]
    return token[:start] + WILDCARD + token[end:] if core else token


def mask(message: str) -> str:
    """The message with its variables replaced by `<*>`."""
    for pattern in _WHOLE:
        message = pattern.sub(WILDCARD, message)
    return " ".join(_mask_token(t) for t in message.split())


def tokens(message: str) -> list[str]:
    return mask(message).split()

"""Mask the variable parts of a log message, so lines of one event look alike.

Token by token (values hold no blanks): a token holding a digit is a value (`blk_-69522958`,
`worker-7`, `0x14ed93`, `10.0.0.1:8080`, `35ms`, a UUID), and so is a URL, an e-mail or an
absolute path without digits; `key=value` keeps its key. The digit test runs before any regex, to
keep the value patterns off the common path. Every mask is `<*>`, the Loghub convention, so
templates compare equal whatever kind of value filled them.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

_WHOLE = re.compile("|".join(f"(?:{p})" for p in [
    r"\b[a-z][a-z0-9+.\-]*://[^\s\"'<>]+",  # URLs
    r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b",  # e-mails
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",  # UUIDs
    r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])",  # IPv4[:port]
    r"(?<![\w:])(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}(?![\w:])",  # IPv6 (loose)
    r"\b0x[0-9a-f]+\b",  # hex literals
    r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b",  # hashes, ids
    r"(?<![\w/])(?:/[\w.\-@%+~]+){2,}/?",  # absolute paths
    r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|kb|mb|gb|k|b)\b",  # durations, sizes
]), re.I)  # one pass: alternatives are tried in this order at each position
_DIGIT = re.compile(r"\d")
_KEY_VALUE = re.compile(r"^([A-Za-z_][\w.\-]*[=:])(.+)$")
_EDGE = "()[]{}<>,;:'\"`"


def _mask_token(token: str) -> str:
    if token == WILDCARD or "://" in token:
        return WILDCARD
    if not _DIGIT.search(token):
        if "<" not in token and "://" not in token and "@" not in token and token.count("/") < 2:
            return token  # the common case, decided without a regex
        token = _WHOLE.sub(WILDCARD, token)
    if WILDCARD in token and token.replace(WILDCARD, "").strip(_EDGE + "/.-_=@#") == "":
        return WILDCARD  # "/<*>", "[<*>]:" are values with punctuation, not constants
    if not _DIGIT.search(token):
        return token
    pair = _KEY_VALUE.match(token)
    if pair and _DIGIT.search(pair.group(2)) and not _DIGIT.search(pair.group(1)):
        return pair.group(1) + WILDCARD
    return WILDCARD  # brackets and separators around a value are part of it ("[1234]:", "(uid=0)")


def mask(message: str) -> str:
    """The message with its variables replaced by `<*>`."""
    # Values never contain blanks here, so masking token by token is the same as masking the line,
    # and a token holding a digit is masked whole below without running the value patterns at all.
    return " ".join(_mask_token(t) for t in message.split())


def tokens(message: str) -> list[str]:
    return mask(message).split()

"""Split a raw log line into header and message, and read its level, by format conventions only.

Most log formats start with some of: a timestamp (ISO 8601, syslog "Mon DD HH:MM:SS", Apache's
bracketed "[Sun Dec 04 04:47:44 2005]", compact "yymmdd hhmmss", epoch seconds), a level word
(bare, bracketed, or followed by a colon), bracketed thread/process fields, separators ("-", "|"),
numeric process ids, a syslog host name, and one "component:" token (`sshd[42]:`,
`dfs.DataNode$PacketResponder:`). The header is the leading run of such tokens; what follows is the
message, which is what templates are mined from. Nothing here knows any system by name: a line that
matches none of the conventions is all message.
"""

from __future__ import annotations

import re

LEVELS = {
    "trace": "debug", "debug": "debug", "dbg": "debug", "fine": "debug", "finer": "debug", "finest": "debug",
    "info": "info", "information": "info", "notice": "info", "inf": "info",
    "warn": "warning", "warning": "warning", "wrn": "warning",
    "error": "error", "err": "error", "severe": "error", "crit": "critical", "critical": "critical",
    "fatal": "critical", "alert": "critical", "emerg": "critical", "panic": "critical",
}  # fmt: skip
MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
_DATE_WORDS = frozenset(MONTHS | WEEKDAYS)

_TIMEISH = re.compile(r"^[\[(]?\d[\d:.,\-/T+Z]*[\])]?,?$")  # 2015-07-29, 17:41:44,747, 081109, 1690000000.123
_SEPARATOR = re.compile(r"^[-|:>•]+$")
_LEVEL_TOKEN = re.compile(r"^[\[<(]?([A-Za-z]+)[\]>)]?:?$")
# A "component:" token: identifier characters, optional [pid] or (sub), ending in a colon.
_COMPONENT = re.compile(r"^[A-Za-z_][\w.$/\-]*(\[[^\]\s]*\]|\([^)\s]*\))?:$")
_EXCEPTIONISH = re.compile(r"(Error|Exception|Throwable|Warning|Fault)(\[[^\]]*\])?:$")
_DIGIT = re.compile(r"\d")
_HOST = re.compile(r"^[A-Za-z0-9][\w.\-]*$")


# One header token: a bracket group (one level of nesting, as in "[QuorumPeer[myid=1]/...]") with any
# trailing ":" or ",", or a run of non-blanks; leading blanks skipped.
_TOKEN = re.compile(
    r"[ \t]*(\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\][:,]*|<[^<>\s]*>[:,]*|\([^()]*\)[:,]*|\{[^{}]*\}[:,]*|\S+)"
)


def _next_token(text: str, pos: int) -> tuple[str, int, int]:
    """(token, start, end) of the next header token after whitespace; bracket groups are one token."""
    match = _TOKEN.match(text, pos)
    if match is None:
        return "", len(text), len(text)
    return match.group(1), match.start(1), match.end(1)


def _is_component(token: str) -> bool:
    """A logger/process name (`dfs.DataNode$PacketResponder:`, `sshd[42]:`), not a message's first word
    ("Notification:") nor an exception ("java.lang.OutOfMemoryError:")."""
    return bool(_COMPONENT.match(token)) and any(c in token for c in ".$[(/") and not _EXCEPTIONISH.search(token)


def _is_time(token: str) -> bool:
    # ISO 8601 ("2015-07-29T17:41:44.747+02:00") is within _TIMEISH's characters.
    return bool(_TIMEISH.match(token))


def _level_of(token: str) -> str | None:
    match = _LEVEL_TOKEN.match(token)
    return LEVELS.get(match.group(1).lower()) if match else None


_CLOSER = {"[": "]", "<": ">", "{": "}", "(": ")"}


def _bracket_is_header(token: str) -> bool:
    """A bracketed group is header when it holds a time, a level, or a thread/process field."""
    group = token.strip(":,")
    if len(group) < 2 or group[-1] != _CLOSER.get(group[0]):
        return False  # "<05" or "(x" is not a bracket group (and must not depend on its digits)
    inner = group[1:-1].strip()
    if not inner:
        return False
    if _level_of(token.strip(":,")) is not None:
        return True
    words = inner.split()
    if any(_is_time(w) for w in words) or (words and words[0].lower()[:3] in _DATE_WORDS):
        return True
    # Thread or logger fields have no spaces ([main], [pool-1-thread-3], [QuorumPeer[myid=1]/...]).
    return len(words) == 1


def split(line: str) -> tuple[str, str, str | None]:
    """(header, message, level) of one raw line; level is None when the header names none."""
    text = line.rstrip("\r\n")
    pos, level = boundary(text)
    return text[:pos].strip(), text[pos:].strip(), level


def _traits(token: str) -> tuple:
    """What a token can be in a header: (time or date word, its level, bracket/separator, component, host)."""
    lowered = token.lower().strip("[],:")
    found_level = _level_of(token)
    return (
        _is_time(token) or (lowered[:3] in _DATE_WORDS and len(lowered) <= 9 and lowered.isalpha()),
        found_level if found_level is not None and (token.isupper() or not token.isalpha()) else None,
        bool(token[0] in "[<{(" and _bracket_is_header(token) or _SEPARATOR.match(token)),
        _is_component(token),
        bool(_HOST.match(token)),
    )


def boundary(text: str, memo: dict | None = None) -> tuple[int, str | None]:
    """(where the message starts, the header's level or None) in `text`, a line without its newline.

    The answer depends on each character's class only, never on which digits a run holds nor its
    length (every pattern here sees digits as `\\d+`/`\\w`; only the position moves with the
    length). `drain.Miner` relies on that to reuse the level and message for lines that differ only
    in their numbers. `memo` (a dict the caller owns and bounds) keeps each token's traits,
    since the same level words, components and hosts start most lines.
    """
    pos, level, saw_time, tokens = 0, None, False, 0
    while tokens < 12:
        token, start, end = _next_token(text, pos)
        if not token:
            break
        traits = memo.get(token) if memo is not None else None
        if traits is None:
            traits = _traits(token)
            if memo is not None and len(memo) < 20_000:
                memo[token] = traits
        is_time, found_level, is_header, is_component, is_host = traits
        if is_time:
            saw_time = True
        elif found_level is not None and level is None:
            level = found_level
        elif is_header:
            pass
        elif is_component and tokens > 0:
            pos = end
            break  # the component closes the header
        elif saw_time and is_host and tokens > 0:
            # A syslog host is only header when a component follows it ("host prog[pid]: msg").
            following, _s, following_end = _next_token(text, end)
            if following and _COMPONENT.match(following):
                pos = following_end
                break
            pos = start
            break
        else:
            pos = start
            break
        pos = end
        tokens += 1
    return pos, level


_WORD_LEVEL = re.compile(
    r"\b(FATAL|CRITICAL|CRIT|PANIC|ERROR|ERR|SEVERE|WARN|WARNING|Exception|Traceback|panic:)\b"
)


def detect_level(header_level: str | None, message: str) -> str:
    """The header's level, else a level word or exception in the message, else "info"."""
    if header_level:
        return header_level
    match = _WORD_LEVEL.search(message)
    if not match:
        lowered = message.lower()
        if "exception" in lowered or "error" in lowered or "failed" in lowered or "fatal" in lowered:
            return "error"
        return "info"
    word = match.group(1).rstrip(":").lower()
    if word in ("exception", "traceback"):
        return "error"
    return LEVELS.get(word, "error")

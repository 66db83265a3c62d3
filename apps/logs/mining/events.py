"""Fold multi-line stack traces into one event, keeping the exception and the top frame.

A continuation line is one a runtime writes under an exception: Java/C# "at ..." frames,
"Caused by:", "... N more", Python's "Traceback" block ('  File "x.py", line 3, in f'), Go's
"goroutine N [running]:" and tab-indented frames, Node's "    at fn (file.js:1:2)", Ruby's
"from file.rb:10:in `m'", PHP's "#0 /path/file.php(12): f()". Those join the event above them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_CONTINUATION = re.compile(
    r"^(\s+at\s|\s*Caused by:|\s*Stack trace:$|\s*\.\.\. \d+ (more|common frames omitted)|\s+File \"|"
    r"Traceback \(most recent|"
    r"\s*goroutine \d+ \[|\s+\S+\.go:\d+|\s+from \S+:\d+:in|#\d+ \S|\s{2,}\S|\t)"
)
_PYTHON_LAST = re.compile(r"^[\w.]+(Error|Exception|Exit|Interrupt)\b")
_GO_FUNC = re.compile(r"^[\w./*()\[\]-]+\(.*\)$")
_FRAME = [
    re.compile(r"at [\w$.<>]+\(([\w$.\-]+\.(?:java|kt|scala|cs|groovy)):(\d+)\)"),  # Java, C#-ish
    re.compile(r"at .*? in (\S+\.cs):line (\d+)"),  # C#
    re.compile(r'File "([^"]+)", line (\d+)'),  # Python
    re.compile(r"at (?:.+? \()?([^\s()]+\.(?:js|mjs|cjs|ts)):(\d+):\d+\)?"),  # Node/JS
    re.compile(r"(\S+\.go):(\d+)"),  # Go
    re.compile(r"(?:from )?(\S+\.rb):(\d+):in"),  # Ruby
    re.compile(r"#\d+ (\S+\.php)\((\d+)\)"),  # PHP
]
_EXCEPTION = re.compile(
    r"((?:[\w$]+\.)*[\w$]*(?:Exception|Error|Throwable)\b(?::[^\n]*)?|panic: [^\n]+|Fatal error: [^\n]+)"
)


@dataclass(slots=True)
class LogEvent:
    """One log event: its first line, any folded continuation lines, time and labels from the source."""

    line: str
    timestamp: datetime | None = None
    labels: dict = field(default_factory=dict)
    continuation: list[str] = field(default_factory=list)
    level: str = ""  # set by patterns.mine

    @property
    def is_stack_trace(self) -> bool:
        return bool(self.continuation) and bool(self.exception or self.top_frame)

    @property
    def text(self) -> str:
        return "\n".join([self.line, *self.continuation])

    @property
    def exception(self) -> str:
        """The last "Caused by"/exception line (the root cause), else the first line's exception."""
        for candidate in reversed([self.line, *self.continuation]):
            match = _EXCEPTION.search(candidate)
            if match and not candidate.lstrip().startswith("at "):
                return match.group(1).strip()[:300]
        return ""

    @property
    def top_frame(self) -> str:
        """"PaymentProcessor.java:234": the first frame of the trace (Python: the innermost, last)."""
        frames = []
        for candidate in self.continuation:
            for pattern in _FRAME:
                match = pattern.search(candidate)
                if match:
                    frames.append(f"{match.group(1).rsplit('/', 1)[-1]}:{match.group(2)}")
                    break
        if not frames:
            return ""
        python = any('File "' in c for c in self.continuation)
        return frames[-1] if python else frames[0]


# Every continuation starts with a blank or one of these (the regex's first characters): lines that
# start otherwise — nearly all — are decided without running it.
_CONTINUATION_STARTS = frozenset("CST.g#")


def is_continuation(line: str) -> bool:
    if not line or (line[0] not in _CONTINUATION_STARTS and not line[0].isspace()):
        return False
    return bool(line.strip()) and bool(_CONTINUATION.match(line))


def _ends_python_trace(event: LogEvent, line: str) -> bool:
    """Unindented lines that still belong to a trace: Python's closing "ValueError: bad", Go's frames."""
    if any('File "' in c for c in event.continuation[-3:]) and _PYTHON_LAST.match(line):
        return True
    # Go prints each frame as an unindented "pkg.func(args)" line above its indented file:line.
    return any(c.lstrip().startswith("goroutine ") for c in event.continuation) and bool(_GO_FUNC.match(line))


def fold_events(entries) -> list[LogEvent]:
    """`entries`: (timestamp, line, labels) in time order → events with stack traces folded."""
    events: list[LogEvent] = []
    for timestamp, line, labels in entries:
        # A printable line holds no line break (the common case, decided without a list).
        parts = (line,) if line and line.isprintable() else ((line or "").splitlines() or [""])
        for part in parts:
            if events and len(events[-1].continuation) < 200 and (
                is_continuation(part) or (events[-1].continuation and _ends_python_trace(events[-1], part))
            ):
                events[-1].continuation.append(part.rstrip())
            elif part.strip():
                events.append(LogEvent(line=part.rstrip(), timestamp=timestamp, labels=labels or {}))
    return events

"""From log events to ranked patterns: counts, levels, first/last seen, samples, new/elevated.

A pattern is a mined template. Ranking puts what explains an alert first: patterns new against the
baseline (the same query over the previous hour), then elevated ones, then by level (critical,
error, warning, ...) and count. Stack traces are patterns too, keyed by exception and top frame,
so a thousand identical traces are one line with a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .drain import Miner
from .events import LogEvent

LEVEL_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3, "debug": 4}
ELEVATED_RATIO = 3.0  # this window's rate at least 3× the baseline's


@dataclass
class Pattern:
    template_id: int
    template: str
    count: int = 0
    level: str = "info"
    first_seen: str = ""
    last_seen: str = ""
    samples: list[str] = field(default_factory=list)
    exception: str = ""
    top_frame: str = ""
    stack_trace: str = ""
    baseline_count: int | None = None
    new: bool = False
    elevated: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _worst(levels: dict[str, int]) -> str:
    return min(levels, key=lambda lvl: LEVEL_RANK.get(lvl, 9)) if levels else "info"


def mine(events: list[LogEvent], *, baseline: list[LogEvent] | None = None, window_seconds: float = 600,
         baseline_seconds: float = 3600, samples: int = 3) -> tuple[list[Pattern], dict[str, int]]:
    """(patterns ranked, line counts by level) for `events`, marked against `baseline` when given."""
    miner = Miner()
    classify = miner.classify
    base_counts: dict[int, int] = {}
    for event in baseline or []:
        tid = classify(event.line)[0].id
        base_counts[tid] = base_counts.get(tid, 0) + 1
    found: dict[int, Pattern] = {}
    levels: dict[str, int] = {}
    level_of: dict[int, dict[str, int]] = {}
    for event in events:
        template, level = classify(event.line)
        event.level = level
        levels[level] = levels.get(level, 0) + 1
        tid = template.id
        pattern = found.get(tid)
        if pattern is None:
            pattern = found[tid] = Pattern(template_id=tid, template="")
            level_of[tid] = {}
        pattern.count += 1
        counts = level_of[tid]
        counts[level] = counts.get(level, 0) + 1
        if event.timestamp is not None:
            when = event.timestamp.isoformat()
            pattern.first_seen = min(pattern.first_seen or when, when)
            pattern.last_seen = max(pattern.last_seen, when)
        if len(pattern.samples) < samples and event.line not in pattern.samples:
            pattern.samples.append(event.line[:500])
        if event.continuation and not pattern.stack_trace and event.is_stack_trace:
            pattern.exception, pattern.top_frame = event.exception, event.top_frame
            pattern.stack_trace = "\n".join([event.line, *event.continuation[:12]])[:2000]
    by_id = {t.id: t for t in miner.templates}
    for tid, pattern in found.items():
        pattern.template = by_id[tid].text[:500]
        pattern.level = _worst(level_of[tid])
        if baseline is not None:
            before = base_counts.get(tid, 0)
            pattern.baseline_count = before
            pattern.new = before == 0
            rate_now = pattern.count / max(window_seconds, 1)
            rate_before = before / max(baseline_seconds, 1)
            pattern.elevated = before > 0 and rate_now >= ELEVATED_RATIO * rate_before
    ranked = sorted(
        found.values(),
        key=lambda p: (LEVEL_RANK.get(p.level, 9) > 1, not p.new, not p.elevated, LEVEL_RANK.get(p.level, 9),
                       -p.count, p.template_id),
    )
    return ranked, levels

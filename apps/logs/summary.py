"""The structured log block for the AI and the portal: bounded whatever the volume.

New patterns first, then elevated, then by level and count; stack traces collapsed to exception
and top frame; one sample per pattern. Never raw text cut at a size: whole rows are dropped from
the end until the block fits `LOGS_SUMMARY_MAX_CHARS` (~1,500 tokens).
"""

from __future__ import annotations

from . import conf


def _when(iso: str) -> str:
    return iso[11:19] if len(iso) >= 19 else iso


def pattern_line(p: dict) -> str:
    badges = "".join(b for b, on in ((" [NEW]", p.get("new")), (" [ELEVATED]", p.get("elevated"))) if on)
    text = p.get("exception") or p.get("template", "")
    frame = f" at {p['top_frame']}" if p.get("top_frame") else ""
    seen = f", {_when(p.get('first_seen', ''))}–{_when(p.get('last_seen', ''))}" if p.get("first_seen") else ""
    return f"- {p.get('level', 'info').upper()} {text[:240]}{frame} ({p.get('count', 0)}×{seen}){badges}"


def block_text(context, *, with_summary: bool = True) -> str:
    """The "Log Analysis (N entries found)" body of one stored context (its summary first, if any)."""
    counts = context.level_counts or {}
    summary = [f"Summary: {context.summary[:1200]}", ""] if with_summary and context.summary else []
    head = summary + [
        f"Source: {context.source.name if context.source else '?'} ({context.source.kind if context.source else ''})",
        f"Query: {context.query_used[:400]}",
        f"Window: {context.window_start:%Y-%m-%d %H:%M:%S} – {context.window_end:%H:%M:%S} UTC",
        "Lines by level: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"),
        "",
        "Error Patterns Detected:",
    ]
    rows = [pattern_line(p) for p in context.patterns]
    traces = [f"- {p['exception'] or p['template'][:200]} at {p.get('top_frame') or '?'} ({p['count']}×)"
              for p in context.patterns if p.get("stack_trace")]
    samples = [f"- {p['samples'][0][:300]}" for p in context.patterns[:5] if p.get("samples")]
    limit = conf.summary_max_chars()
    while True:
        parts = head + rows + (["", "Stack traces:"] + traces if traces else []) + (
            ["", "Key Log Entries:"] + samples if samples else [])
        text = "\n".join(parts)
        if len(text) <= limit or not (rows or samples or traces):
            return text[:limit]
        if samples:
            samples.pop()
        elif traces:
            traces.pop()
        else:
            rows.pop()

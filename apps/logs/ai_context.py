"""The AI context provider: the brief's "Log Analysis (N entries found)" block for an alert or incident.

It reads the stored context (fetching it now when the analysis ran before the subscriber did), so
the prompt carries the structured, bounded block of `summary.block_text`. `facts` follow the
analysis app's "logs" convention (`patterns`: [{pattern, count}]) for the offline analyser, which
turns "OutOfMemoryError" into its memory explanation.
"""

from __future__ import annotations

from apps.alerts.models import Alert

from . import services
from .choices import ContextStatus
from .summary import block_text

MAX_ALERTS = 3


def _alerts_of(subject) -> list:
    alerts = getattr(subject, "alerts", None)
    if isinstance(alerts, list | tuple):
        return list(alerts)[:MAX_ALERTS]
    if isinstance(subject, Alert):
        return [subject]
    obj = getattr(subject, "obj", None)
    if isinstance(obj, Alert):
        return [obj]
    return []


def log_context(subject):
    from apps.analysis.context import ContextBlock

    blocks = []
    for alert in _alerts_of(subject):
        row = services.context_for_alert(alert)
        if row is None:
            continue
        if row.status in (ContextStatus.ERROR, ContextStatus.UNAVAILABLE):
            body = f"Logs unavailable: {row.reason}"
        elif row.status == ContextStatus.EMPTY:
            body = f"No relevant logs found in the time window.\nQuery: {row.query_used[:400]}"
        else:
            body = block_text(row)
        patterns = [{"pattern": p.get("exception") or p.get("template"), "count": p.get("count"),
                     "new": p.get("new"), "top_frame": p.get("top_frame")} for p in row.patterns[:10]]
        blocks.append(ContextBlock(
            title=f"Log Analysis ({row.entries} entries found)", body=body, kind="logs",
            refs=[{"type": "logs.alertlogcontext", "id": row.pk, "label": row.source.name if row.source else "logs"},
                  {"type": "alerts.alert", "id": alert.pk, "label": alert.name}],
            facts={"patterns": patterns, "entries": row.entries, "status": row.status,
                   "errors": row.error_count},
        ))
    return blocks or None

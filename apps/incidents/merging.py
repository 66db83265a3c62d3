"""Merging two incidents: every alert moves to the target; the source resolves, pointing at it."""

from __future__ import annotations

from apps.topology.graph import TopologyGraph

from . import conf
from .choices import IncidentStatus, Strategy
from .lifecycle import apply_status
from .membership import publish_alert_added, recompute
from .models import CorrelationKey, Incident, IncidentAlert
from .summary import incident_summary


def merge(target: Incident, source: Incident, *, graph: TopologyGraph, label_keys, user=None, reason: str) -> int:
    """Move the source's alerts into the target (lock held by the caller); returns how many moved."""
    moved = list(IncidentAlert.objects.filter(incident=source).select_related("alert").order_by("added_at"))
    why = f"Merged from incident #{source.number}: {reason}"
    IncidentAlert.objects.filter(incident=source).update(
        incident=target, strategy=Strategy.MERGE, reason=why, added_by=user, is_root_cause=False
    )
    CorrelationKey.objects.filter(incident=source).delete()
    recompute(target, graph=graph, label_keys=label_keys, actor=user)
    recompute(source, graph=graph, label_keys=label_keys, actor=user)
    summary = incident_summary(target)
    for link in moved[: conf.merge_event_limit()]:
        publish_alert_added(target, link.alert, actor=user, strategy=Strategy.MERGE, reason=why, summary=summary)
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    if source.status != IncidentStatus.RESOLVED:
        apply_status(
            source,
            IncidentStatus.RESOLVED,
            user=user,
            reason=f"merged into incident #{target.number}",
            extra={"merged_into_id": target.pk, "merged_into_number": target.number},
        )
    return len(moved)

"""Celery tasks: take ids from domain events, re-scope, call one service."""

from celery import shared_task

from aiops import events
from apps.analysis.models import Analysis

from . import repeats


@shared_task(name="feedback.check_repeat", ignore_result=True)
def check_repeat(event: dict) -> bool | None:
    """`analysis.completed` → record whether the analysis repeated a suggestion known to have failed
    (once per event: receipts, see aiops.events.consume)."""
    return events.consume(check_repeat.name, event, lambda fresh: _check(fresh[0]))


def _check(event: dict) -> bool | None:
    data = event.get("data") or {}
    if data.get("status") != "ok":
        return None
    analysis_id = data.get("analysis_id") or (event.get("subject") or {}).get("id")
    analysis = Analysis.objects.for_org(event.get("organization_id")).filter(pk=analysis_id).first()
    if analysis is None:
        return None
    check = repeats.repeat_check_record(analysis=analysis)
    return check.repeated if check else None

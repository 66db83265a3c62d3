"""Turns an analysis's runbook hint into a runbook that exists (registered with the analysis app).

The analyser knows runbook *names* from its knowledge base; only this app knows which runbooks an
organisation has. A hint that names a runbook (by name or slug) links to it; otherwise a runbook
whose trigger matches the alert is offered, so the analysis points at something that can run.
"""
from __future__ import annotations

from django.db.models import Q
from django.utils.text import slugify

from aiops.links import absolute_reverse

from .models import Runbook
from .selectors import runbooks_for_alert


def _found(runbook: Runbook, reason: str) -> dict:
    url = absolute_reverse("runbooks:detail", args=[runbook.pk])
    return {"name": runbook.name, "id": runbook.pk, "url": url, "reason": reason}


def suggest(*, subject, analysis: dict) -> dict | None:
    """`subject` is the analysis app's Subject (its `obj` is the alert or incident)."""
    subject = getattr(subject, "obj", subject)
    organization_id = getattr(subject, "organization_id", None)
    if organization_id is None:
        return None
    hint = (analysis.get("suggested_runbook") or "").strip()
    if hint:
        named = (Runbook.objects.filter(organization_id=organization_id, enabled=True)
                 .filter(Q(name__iexact=hint) | Q(slug=slugify(hint))).first())
        if named is not None:
            return _found(named, "named by the analysis")
    if subject._meta.label_lower == "alerts.alert":
        matching = runbooks_for_alert(subject)
        if matching:
            runbook, trigger = matching[0]
            return _found(runbook, f"its trigger matches this alert ({trigger.get('alert_pattern') or subject.name})")
    return None

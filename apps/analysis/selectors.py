"""Read queries shared by the portal panel, the pages, the API and the admin."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from .choices import SECTIONS, SubjectType
from .limits import calls_last_minute, tokens_used_today
from .models import Analysis

HISTORY_SHOWN = 10


def analyses_for(*, user, organization, subject_type: str, pk: int):
    """A subject's analyses the user may see, newest version first."""
    qs = (
        Analysis.objects.visible_to(user, organization)
        .select_related("provider", "reused_from", "fallback_of", "requested_by")
    )
    if subject_type == SubjectType.ALERT:
        qs = qs.filter(alert_id=pk)
    else:
        qs = qs.filter(subject_type=SubjectType.INCIDENT, incident_id=pk)
    return qs.order_by("-version")


def ref_url(ref: dict) -> str:
    """Portal link for an evidence reference {"type": "<app_label>.<model>", "id"}, if one exists."""
    app_label = str(ref.get("type", "")).split(".")[0]
    if not app_label or ref.get("id") is None:
        return ""
    try:
        return reverse(f"{app_label}:detail", kwargs={"pk": ref["id"]})
    except NoReverseMatch:
        return ""


def evidence_by_section(analysis: Analysis) -> dict[str, list[dict]]:
    """For each section, the claims and the context blocks (with links) that support them."""
    source = analysis.effective
    blocks = {b.get("id"): b for b in source.context_blocks if b.get("id")}
    out: dict[str, list[dict]] = {s: [] for s in SECTIONS}
    for item in source.evidence:
        cited = []
        for ref_id in item.get("refs", []):
            block = blocks.get(ref_id)
            if block is None:
                continue
            links = [
                {"label": r.get("label") or f"{r.get('type')} {r.get('id')}", "url": ref_url(r)}
                for r in block.get("refs", [])
            ]
            cited.append(
                {
                    "id": ref_id,
                    "title": block.get("title", ""),
                    "source": block.get("source", ""),
                    "links": links,
                }
            )
        if item.get("section") in out:
            out[item["section"]].append({"claim": item.get("claim", ""), "blocks": cited})
    return out


def panel_context(*, user, organization, subject_type: str, pk: int) -> dict:
    """What the analysis panel shows for an alert or incident."""
    history = list(
        analyses_for(user=user, organization=organization, subject_type=subject_type, pk=pk)[:HISTORY_SHOWN]
    )
    latest = history[0] if history else None
    effective = latest.effective if latest else None
    return {
        "analysis": latest,
        "effective": effective,
        "evidence": evidence_by_section(latest) if latest else {},
        "history": history,
        "subject_type": subject_type,
        "subject_pk": pk,
        "polling": bool(latest and not latest.is_finished),
    }


def provider_usage(provider) -> dict:
    return {"calls_last_minute": calls_last_minute(provider), "tokens_today": tokens_used_today(provider)}

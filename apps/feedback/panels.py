"""Portal panels: feedback under each analysis, similar past incidents, and the dashboard section.

The feedback panel sits right after the AI analysis panel (order 21 vs its 20) on the alert and
incident pages; its buttons post with htmx and get the refreshed panel back, so rating never
reloads the page. Viewers see what others said but get no buttons.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from aiops.access import access_for
from aiops.roles import Role
from apps.analysis.choices import AnalysisStatus, SubjectType

from . import conf, selectors
from .charts import trend_charts
from .choices import FeedbackType, Section
from .similarity import similar_cases
from .stats import feedback_stats

STARS = (1, 2, 3, 4, 5)


def can_write(request) -> bool:
    org = getattr(request, "organization", None)
    return org is not None and access_for(request.user).has_role(org.pk, Role.OPERATOR)


def _ready(request, obj) -> bool:
    return (
        request is not None
        and obj is not None
        and request.user.is_authenticated
        and getattr(request, "organization", None) is not None
    )


def feedback_context(request, subject_type: str, obj) -> dict:
    """Everything the feedback panel shows for an alert's or incident's latest analysis."""
    user, org = request.user, request.organization
    analysis = selectors.latest_analysis(user=user, organization=org, subject_type=subject_type, pk=obj.pk)
    finished = analysis is not None and analysis.is_finished
    mine = selectors.my_feedback(analysis=analysis, user=user) if analysis else None
    sections = selectors.my_sections(analysis=analysis, user=user) if analysis else {}
    writable = can_write(request)
    runs = selectors.alert_runs(alert=obj, user=user, organization=org) if subject_type == SubjectType.ALERT else []
    return {
        "fb_subject_type": subject_type,
        "fb_subject": obj,
        "fb_panel_id": f"feedback-panel-{subject_type}-{obj.pk}",
        "fb_panel_url": reverse(f"feedback:{subject_type}-panel", kwargs={"pk": obj.pk}),
        "fb_analysis": analysis,
        "fb_finished": finished,
        "fb_polling": analysis is not None and not finished,
        "fb_rate_url": reverse("feedback:rate", kwargs={"pk": analysis.pk}) if analysis else "",
        "fb_mine": mine,
        "fb_sections": [{"key": s.value, "label": s.label, "mine": sections.get(s.value)} for s in Section],
        "fb_summary": selectors.feedback_summary(analysis=analysis, user=user, organization=org) if analysis else None,
        "fb_stars": STARS,
        "fb_types": FeedbackType.choices,
        "fb_can_write": writable and finished,
        "fb_can_mark": writable,
        "fb_fix_text": selectors.fix_suggestion(analysis=analysis, user=user) if finished else "",
        # The fix form offers the runbooks that ran on this alert (not every runbook of the organisation).
        "fb_runbooks": list({run.runbook_id: run.runbook for run in runs if run.runbook_id}.values()),
        "fb_runs": runs,
        "fb_failed": analysis is not None and analysis.effective.status == AnalysisStatus.FAILED,
    }


def alert_feedback_panel(request, alert):
    return feedback_context(request, SubjectType.ALERT, alert) if _ready(request, alert) else None


def incident_feedback_panel(request, incident):
    return feedback_context(request, SubjectType.INCIDENT, incident) if _ready(request, incident) else None


def similar_panel(request, alert):
    """The "Similar past incidents" panel: ranked cases with their score and why they match."""
    if not _ready(request, alert):
        return None
    cases = similar_cases(alert=alert, user=request.user, organization=request.organization, limit=8)
    return {"similar_alert": alert, "similar_cases": cases, "similar_min": round(conf.min_similarity() * 100)}


def dashboard_panel(request, organization):
    if request is None or organization is None or not request.user.is_authenticated:
        return None
    stats = feedback_stats(organization=organization, user=request.user)
    return {"fb_stats": stats, "fb_days": conf.stats_days(), **charts_for(stats)}


def charts_for(stats: dict) -> dict:
    """The SVG charts and the labelled section rows the statistics templates show."""
    sections = [(s.label, stats["section_accuracy"][s.value]) for s in Section]
    return {"fb_section_rows": sections, **_charts(stats)}


def _charts(stats: dict) -> dict:
    return trend_charts(
        stats,
        helpful_label=_("Rated helpful"),
        repeat_label=_("Repeated a failed suggestion"),
        stars_label=_("Average stars"),
        target_label=_("Target: %(p)d%% helpful") % {"p": round(stats["ratings"]["target"] * 100)},
    )


def register() -> None:
    from django.utils.translation import gettext_lazy

    from aiops.panels import register_nav_item, register_panel

    register_panel("alert_detail", "feedback", "feedback/panels/analysis.html", context=alert_feedback_panel, order=21)
    register_panel(
        "incident_detail",
        "feedback",
        "feedback/panels/analysis.html",
        context=incident_feedback_panel,
        order=21,
    )
    register_panel("alert_detail", "similar", "feedback/panels/similar.html", context=similar_panel, order=22)
    register_panel("dashboard_wide", "feedback", "feedback/panels/dashboard.html", context=dashboard_panel, order=30)
    register_nav_item(gettext_lazy("Fix library"), "feedback:library", order=65)

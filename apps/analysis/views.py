"""Portal pages: the analysis panel (htmx partial + re-analyse), analysis history and one analysis."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin
from apps.alerts.models import Alert

from . import incident_support, selectors, services
from .choices import SubjectType, Trigger
from .filtersets import AnalysisFilterSet
from .models import Analysis, LLMCall
from .subjects import Subject


def panel_urls(subject_type: str, pk: int) -> dict:
    return {
        "panel_url": reverse(f"analysis:{subject_type}-panel", kwargs={"pk": pk}),
        "analyze_url": reverse(f"analysis:{subject_type}-analyze", kwargs={"pk": pk}),
    }


def panel_extra(request, subject_type: str, pk: int, *, can_analyse: bool) -> dict:
    return {
        **selectors.panel_context(
            user=request.user, organization=request.organization, subject_type=subject_type, pk=pk
        ),
        **panel_urls(subject_type, pk),
        "can_analyse": can_analyse,
    }


class SubjectPanelView(OrgScopedViewMixin, View):
    """GET: the panel partial (htmx polls it while an analysis runs). POST: analyse again (operators)."""

    subject_type = SubjectType.ALERT

    def subject(self, pk: int) -> Subject:
        if self.subject_type == SubjectType.ALERT:
            alerts = Alert.objects.visible_to(self.request.user, self.request.organization)
            return Subject.for_alert(get_object_or_404(alerts, pk=pk))
        incidents = incident_support.visible_incidents(self.request.user, self.request.organization)
        if incidents is None:
            raise Http404
        return Subject.for_incident(get_object_or_404(incidents, pk=pk))

    def render_panel(self, pk: int):
        extra = panel_extra(self.request, self.subject_type, pk, can_analyse=self.has_role(Role.OPERATOR))
        return render(self.request, "analysis/_panel.html", extra)

    def get(self, request, pk: int):
        self.subject(pk)
        return self.render_panel(pk)

    def post(self, request, pk: int):
        self.check_role(Role.OPERATOR)
        subject = self.subject(pk)
        services.analysis_request(subject=subject, trigger=Trigger.MANUAL, requested_by=request.user)
        if request.headers.get("HX-Request"):
            return self.render_panel(pk)
        messages.success(request, _("Analysis queued."))
        if subject.is_alert:
            return redirect("alerts:detail", pk=pk)
        return redirect(incident_support.incident_url(subject.obj) or "analysis:list")


class IncidentPanelView(SubjectPanelView):
    subject_type = SubjectType.INCIDENT


class AnalysisListView(OrgScopedViewMixin, ListView):
    """Every analysis of the organisation, newest first, filterable like the API."""

    model = Analysis
    template_name = "analysis/analysis_list.html"
    context_object_name = "analyses"
    paginate_by = 50

    def get_queryset(self):
        base = super().get_queryset().select_related("alert", "provider").order_by("-created_at", "-id")
        self.filterset = AnalysisFilterSet(self.request.GET or None, queryset=base, request=self.request)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        return context


class AnalysisDetailView(OrgScopedViewMixin, DetailView):
    """One analysis: sections with evidence, the context it used, the provider calls and the raw answer."""

    model = Analysis
    template_name = "analysis/analysis_detail.html"
    context_object_name = "analysis"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("alert", "provider", "reused_from", "fallback_of", "requested_by")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        analysis = self.object
        context["effective"] = analysis.effective
        context["evidence"] = selectors.evidence_by_section(analysis)
        context["calls"] = (
            LLMCall.objects.visible_to(self.request.user, self.request.organization)
            .filter(analysis=analysis)
            .order_by("started_at")
        )
        if analysis.subject_type == SubjectType.INCIDENT:
            incident = incident_support.get_incident(
                organization_id=analysis.organization_id, pk=analysis.incident_id
            )
            context["incident_label"] = incident_support.incident_label(incident) if incident else ""
            context["incident_url"] = incident_support.incident_url(incident) if incident else ""
        return context

"""Portal pages and htmx endpoints: rate an analysis or a runbook run, mark fixes, the library, statistics.

Writes are POSTs for operators and above. An htmx request gets the refreshed panel back (no page
reload); a plain form post is redirected to the page it came from. Service errors come back as
form errors in the panel, never as a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin
from apps.alerts.models import Alert
from apps.analysis.choices import SubjectType
from apps.analysis.models import Analysis
from apps.incidents.models import Incident
from apps.runbooks.models import RunbookExecution

from . import conf, library, selectors, services
from .filtersets import SuccessfulRemediationFilterSet
from .forms import AnalysisFeedbackForm, MarkFixForm, RemediationForm, VerdictForm
from .models import SuccessfulRemediation
from .panels import charts_for, feedback_context
from .stats import feedback_stats


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{field}: {m}" if field != "__all__" else m for field, ms in exc.message_dict.items() for m in ms]
    return list(exc.messages)


def _subject_of(request, analysis: Analysis):
    """(subject type, alert or incident) the analysis belongs to, as the user may see it."""
    if analysis.subject_type == SubjectType.ALERT:
        alerts = Alert.objects.visible_to(request.user, request.organization)
        return SubjectType.ALERT, get_object_or_404(alerts, pk=analysis.alert_id)
    incidents = Incident.objects.visible_to(request.user, request.organization)
    return SubjectType.INCIDENT, get_object_or_404(incidents, pk=analysis.incident_id)


class SubjectPanelView(OrgScopedViewMixin, View):
    """GET the feedback panel partial (htmx polls it while the analysis runs)."""

    subject_type = SubjectType.ALERT

    def get(self, request, pk: int):
        model = Alert if self.subject_type == SubjectType.ALERT else Incident
        obj = get_object_or_404(model.objects.visible_to(request.user, request.organization), pk=pk)
        return render(request, "feedback/panels/analysis.html", feedback_context(request, self.subject_type, obj))


class IncidentPanelView(SubjectPanelView):
    subject_type = SubjectType.INCIDENT


def _panel_or_redirect(request, subject_type, obj, *, errors=(), notice=""):
    if request.headers.get("HX-Request"):
        context = {
            **feedback_context(request, subject_type, obj),
            "fb_errors": list(errors),
            "fb_notice": notice,
        }
        return render(request, "feedback/panels/analysis.html", context, status=400 if errors else 200)
    for error in errors:
        messages.error(request, error)
    if notice:
        messages.success(request, notice)
    return redirect(f"{'alerts' if subject_type == SubjectType.ALERT else 'incidents'}:detail", pk=obj.pk)


class RateAnalysisView(OrgScopedViewMixin, View):
    """POST a verdict on an analysis: 👍/👎, stars, comment, what fixed it, per-section accuracy."""

    required_role = Role.OPERATOR

    def post(self, request, pk: int):
        analysis = get_object_or_404(Analysis.objects.visible_to(request.user, request.organization), pk=pk)
        subject_type, obj = _subject_of(request, analysis)
        form = AnalysisFeedbackForm(request.POST)
        if not form.is_valid():
            return _panel_or_redirect(
                request,
                subject_type,
                obj,
                errors=[f"{form.fields[f].label}: {e}" for f, es in form.errors.items() for e in es],
            )
        try:
            services.feedback_record(analysis=analysis, user=request.user, sections=form.sections(), **form.changes())
        except ValidationError as exc:
            return _panel_or_redirect(request, subject_type, obj, errors=_errors(exc))
        return _panel_or_redirect(request, subject_type, obj, notice=_("Thank you: your feedback is saved."))


class MarkFixView(OrgScopedViewMixin, View):
    """POST "Mark as successful fix" from an alert, incident or execution page."""

    required_role = Role.OPERATOR
    sources = {"alert": Alert, "incident": Incident, "execution": RunbookExecution}

    def post(self, request, source: str, pk: int):
        model = self.sources.get(source)
        if model is None:
            raise Http404
        obj = get_object_or_404(model.objects.visible_to(request.user, request.organization), pk=pk)
        form = MarkFixForm(
            request.POST,
            runbooks=selectors.runbook_choices(user=request.user, organization=request.organization),
        )
        errors, notice = [], ""
        if form.is_valid():
            try:
                entry, created = library.remediation_mark_successful(
                    organization=request.organization,
                    user=request.user,
                    **{source: obj},
                    **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")},
                )
                notice = (
                    _("Saved to the fix library.")
                    if created
                    else _("This fix was already in the library: it now counts %(n)d confirmations.")
                    % {"n": entry.success_count}
                )
            except ValidationError as exc:
                errors = _errors(exc)
        else:
            errors = [f"{form.fields[f].label}: {e}" for f, es in form.errors.items() for e in es]
        if source == "execution":
            for error in errors:
                messages.error(request, error)
            if notice:
                messages.success(request, notice)
            return redirect("feedback:execution", pk=obj.pk)
        return _panel_or_redirect(
            request,
            SubjectType.ALERT if source == "alert" else SubjectType.INCIDENT,
            obj,
            errors=errors,
            notice=notice,
        )


class ExecutionFeedbackView(OrgScopedViewMixin, DetailView):
    """A runbook execution: did it fix the problem? Everyone's verdicts, yours editable, mark as fix."""

    model = RunbookExecution
    template_name = "feedback/execution.html"
    context_object_name = "execution"

    def get_queryset(self):
        return super().get_queryset().select_related("runbook", "alert")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, org = self.request.user, self.request.organization
        rows = list(selectors.execution_feedback(execution=self.object, user=user, organization=org))
        context.update(
            {
                "rows": rows,
                "mine": next((r for r in rows if r.user_id == user.pk), None),
                "types": VerdictForm.base_fields["feedback_type"].choices[1:],
                "stars": (1, 2, 3, 4, 5),
                "can_write": self.has_role(Role.OPERATOR),
                "runbooks": selectors.runbook_choices(user=user, organization=org),
            }
        )
        return context

    def post(self, request, pk: int):
        self.check_role(Role.OPERATOR)
        execution = get_object_or_404(self.get_queryset(), pk=pk)
        form = VerdictForm(request.POST)
        if form.is_valid():
            try:
                services.execution_feedback_record(execution=execution, user=request.user, **form.changes())
                messages.success(request, _("Thank you: your feedback is saved."))
            except ValidationError as exc:
                for error in _errors(exc):
                    messages.error(request, error)
        else:
            messages.error(
                request,
                _("Check the form: %(e)s") % {"e": "; ".join(e for es in form.errors.values() for e in es)},
            )
        return redirect("feedback:execution", pk=pk)


class LibraryView(OrgScopedViewMixin, ListView):
    """The fix library: search by text, filter by pattern, service, runbook, source."""

    model = SuccessfulRemediation
    template_name = "feedback/library.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        base = selectors.library(user=self.request.user, organization=self.request.organization)
        self.filterset = SuccessfulRemediationFilterSet(self.request.GET or None, queryset=base, request=self.request)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"filter": self.filterset, "can_write": self.has_role(Role.OPERATOR)})
        return context


class RemediationDetailView(OrgScopedViewMixin, DetailView):
    model = SuccessfulRemediation
    template_name = "feedback/remediation_detail.html"
    context_object_name = "entry"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "runbook", "verified_by", "created_by", "source_alert", "source_incident", "source_execution"
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = self.has_role(Role.OPERATOR)
        return context


class RemediationEditView(OrgScopedViewMixin, View):
    """Create (no pk) or curate a library entry (operators)."""

    required_role = Role.OPERATOR

    def _entry(self, pk):
        if pk is None:
            return None
        return get_object_or_404(
            selectors.library(user=self.request.user, organization=self.request.organization), pk=pk
        )

    def _form(self, entry, data=None):
        runbooks = selectors.runbook_choices(user=self.request.user, organization=self.request.organization)
        return RemediationForm(data, instance=entry or SuccessfulRemediation(), runbooks=runbooks)

    def get(self, request, pk=None):
        entry = self._entry(pk)
        return render(request, "feedback/remediation_form.html", {"form": self._form(entry), "entry": entry})

    def post(self, request, pk=None):
        entry = self._entry(pk)
        form = self._form(entry, request.POST)
        if form.is_valid():
            try:
                if entry is None:
                    entry, _created = library.remediation_mark_successful(
                        organization=request.organization, user=request.user, **form.values()
                    )
                else:
                    library.remediation_update(entry=entry, user=request.user, **form.values())
                messages.success(request, _("The fix library entry is saved."))
                return redirect("feedback:detail", pk=entry.pk)
            except ValidationError as exc:
                for field, errs in exc.message_dict.items() if hasattr(exc, "message_dict") else [(None, exc.messages)]:
                    form.add_error(field if field in form.fields else None, errs)
        return render(request, "feedback/remediation_form.html", {"form": form, "entry": entry}, status=400)


class StatsView(OrgScopedViewMixin, TemplateView):
    """Feedback statistics: helpful share, stars, section accuracy, repeats, trends, providers, patterns."""

    template_name = "feedback/stats.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        provider = self.request.GET.get("provider_kind") or None
        pattern = self.request.GET.get("alert_pattern") or None
        stats = feedback_stats(
            organization=self.request.organization,
            user=self.request.user,
            provider_kind=provider,
            alert_pattern=pattern,
        )
        context.update(
            {
                "fb_stats": stats,
                "fb_days": conf.stats_days(),
                **charts_for(stats),
                "api_url": reverse("feedback-stats"),
            }
        )
        return context

"""Portal pages: the changes dashboard, a change's page, manual entry, and the verdict buttons.

Verdicts and hand-made links are POSTs (operators); an htmx request gets the refreshed panel it
came from (alert, incident or change page), a plain form post is redirected back.
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from aiops.access import access_for
from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import conf, correlation, selectors, services, stats
from .charts import bar_chart
from .choices import CorrelationStatus
from .explain import factor_rows, reason
from .filtersets import ChangeEventFilterSet
from .forms import ChangeEventForm
from .models import ChangeCorrelation, ChangeEvent
from .panels import alert_panel_context, headline, incident_panel_context


def _charts(summary: dict) -> dict:
    services_rows = summary["services"][:15]
    frequency = [(row["service"] or _("(no service)"), row["changes"], str(row["changes"])) for row in services_rows]
    failure = [
        (
            row["service"] or _("(no service)"),
            row["change_failure_rate"] or 0,
            f"{(row['change_failure_rate'] or 0):.0%} ({row['caused_failure']}/{row['changes']})",
        )
        for row in services_rows
    ]
    return {
        "frequency_svg": bar_chart(frequency, title=_("Changes per service")),
        "failure_svg": bar_chart(failure, max_value=1, title=_("Change-failure rate per service")),
    }


class ChangeDashboardView(OrgScopedViewMixin, ListView):
    """Recent changes (filterable), frequency and change-failure rate per service, risky changes."""

    model = ChangeEvent
    template_name = "changes/dashboard.html"
    context_object_name = "changes"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = ChangeEventFilterSet(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The period follows the filter's after/before; without them, the last CHANGES_DASHBOARD_DAYS.
        valid = self.filterset.is_bound and self.filterset.is_valid()
        chosen = self.filterset.form.cleaned_data if valid else {}
        before = chosen.get("before") or timezone.now()
        after = chosen.get("after") or before - timedelta(days=conf.dashboard_days())
        summary = stats.change_stats(queryset=self.filterset.qs, after=after, before=before)
        context.update(
            {
                "filter": self.filterset,
                "summary": summary,
                "period_after": after,
                "period_before": before,
                **_charts(summary),
                "risky": selectors.risky_changes(organization=self.request.organization, since=after, until=before),
                "can_create": self.has_role(Role.OPERATOR),
            }
        )
        return context


class ChangeDetailView(OrgScopedViewMixin, DetailView):
    model = ChangeEvent
    template_name = "changes/change_detail.html"
    context_object_name = "change"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_change_links_context(self.request, self.object))
        return context


def _change_links_context(request, change) -> dict:
    links = [
        {
            "correlation": row,
            "alert": row.alert,
            "confidence": row.confidence,
            "status": row.status,
            "explanation": reason(row.factors),
            "factor_rows": factor_rows(row.factors),
        }
        for row in selectors.alerts_linked_to(change=change, user=request.user, organization=request.organization)
    ]
    return {
        "change": change,
        "links": links,
        "headline": headline(change),
        "panel_ref": "change",
        "can_decide": access_for(request.user).has_role(request.organization.pk, Role.OPERATOR),
    }


class ChangeCreateView(OrgScopedViewMixin, FormView):
    """Manual entry of an ad-hoc change (operators)."""

    model = ChangeEvent
    required_role = Role.OPERATOR
    form_class = ChangeEventForm
    template_name = "changes/change_form.html"

    def form_valid(self, form):
        result = services.change_create(
            organization=self.request.organization, user=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, _("Change recorded."))
        return redirect("changes:detail", pk=result.change.pk)


def _render_panel(request, ref: str, correlation_row: ChangeCorrelation):
    """Re-render the panel the button was on, with the refreshed state."""
    if ref == "alert":
        context = alert_panel_context(request, correlation_row.alert)
        return render(request, "changes/panels/alert.html", {**context, "object": correlation_row.alert})
    if ref.startswith("incident:") and apps.is_installed("apps.incidents"):
        model = apps.get_model("incidents", "Incident")
        incident = get_object_or_404(
            model.objects.visible_to(request.user, request.organization),
            pk=ref.partition(":")[2] or 0,
        )
        return render(
            request,
            "changes/panels/incident.html",
            {**incident_panel_context(request, incident), "object": incident},
        )
    return render(request, "changes/_change_links.html", _change_links_context(request, correlation_row.change))


class CorrelationDecideView(OrgScopedViewMixin, View):
    """POST confirm / reject / reset on one link."""

    model = ChangeCorrelation
    required_role = Role.OPERATOR
    http_method_names = ["post"]
    VERDICTS = {
        "confirm": CorrelationStatus.CONFIRMED,
        "reject": CorrelationStatus.REJECTED,
        "reset": CorrelationStatus.SUGGESTED,
    }

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(alert__in=selectors.visible_alerts(user=self.request.user, organization=self.request.organization))
        )

    def post(self, request, pk, verdict):
        if verdict not in self.VERDICTS:
            raise Http404
        row = get_object_or_404(self.get_queryset().select_related("change", "alert"), pk=pk)
        row = correlation.correlation_decide(
            correlation=row,
            status=self.VERDICTS[verdict],
            user=request.user,
            note=request.POST.get("note", "")[:2000],
        )
        return _answer(request, row)


class CorrelationLinkView(OrgScopedViewMixin, View):
    """POST: link a change of the alert's window to the alert by hand (confirmed)."""

    model = ChangeEvent
    required_role = Role.OPERATOR
    http_method_names = ["post"]

    def post(self, request, pk, alert_id):
        change = get_object_or_404(self.get_queryset(), pk=pk)
        alert = get_object_or_404(
            selectors.visible_alerts(user=request.user, organization=request.organization), pk=alert_id
        )
        row, _created = correlation.correlation_link(change=change, alert=alert, user=request.user)
        return _answer(request, row)


def _answer(request, row: ChangeCorrelation):
    row = ChangeCorrelation.objects.select_related("change", "alert").get(pk=row.pk)
    if request.headers.get("HX-Request"):
        return _render_panel(request, request.POST.get("panel", "change"), row)
    messages.success(request, _("Done."))
    fallback = reverse("changes:detail", kwargs={"pk": row.change_id})
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return redirect(target if target and safe else fallback)

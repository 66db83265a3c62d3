"""Portal pages: the SLA dashboard, compliance reports (HTML, CSV, Markdown), breach reasons, pauses."""
from __future__ import annotations

from datetime import UTC, datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import services
from .breaches import BreachReasonError
from .choices import BreachReason
from .exports import download, report_text
from .models import ComplianceReport, SLABreach, SLADefinition
from .reports import _sla_figures, month_bounds
from .selectors import clock_view, clocks_nearest_breach


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


class DashboardView(OrgScopedViewMixin, TemplateView):
    """Compliance per SLA this month so far, and the open items nearest to breach."""

    template_name = "sla/dashboard.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        org, user = self.request.organization, self.request.user
        start, end = month_bounds(timezone.now())
        slas = SLADefinition.objects.visible_to(user).for_org(org).order_by("name")
        rows = []
        for sla in slas:
            figures = _sla_figures(sla, start, end)
            rows.append({"sla": sla, "compliance": figures["compliance_percent"], "items": figures["total_incidents"],
                         "breached": figures["breached_incidents"], "mtta": figures["actual_mtta_minutes"],
                         "mttr": figures["actual_mttr_minutes"]})
        ctx.update(sla_rows=rows, period_start=start, nearest=[clock_view(c) for c in clocks_nearest_breach(
            user=user, organization_id=org.pk)],
            breaches=SLABreach.objects.visible_to(user).for_org(org).select_related("sla")[:20],
            reasons=BreachReason.choices, can_operate=self.has_role(Role.OPERATOR))
        return ctx


class ReportListView(OrgScopedViewMixin, ListView):
    model = ComplianceReport
    template_name = "sla/reports.html"
    paginate_by = 24

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_generate"] = self.has_role(Role.OPERATOR)
        return ctx


class ReportDetailView(OrgScopedViewMixin, DetailView):
    model = ComplianceReport
    template_name = "sla/report.html"
    context_object_name = "report"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = self.object.slas.select_related("sla")
        ctx["text"] = report_text(self.object)
        return ctx


class ReportDownloadView(OrgScopedViewMixin, View):
    def get(self, request, pk: int, fmt: str):
        qs = ComplianceReport.objects.visible_to(request.user).for_org(request.organization)
        report = get_object_or_404(qs, pk=pk)
        if fmt not in ("csv", "md"):
            from django.http import Http404

            raise Http404
        return download(report, fmt)


class ReportGenerateView(OrgScopedViewMixin, View):
    """POST: (re)generate a report for a month (default this one) or a date range."""

    required_role = Role.OPERATOR

    def post(self, request):
        start_day, end_day = parse_date(request.POST.get("start", "")), parse_date(request.POST.get("end", ""))
        if start_day and end_day:
            start = datetime.combine(start_day, time(), tzinfo=UTC)
            end = datetime.combine(end_day, time(), tzinfo=UTC)
        else:
            start, end = month_bounds(timezone.now())
        if end <= start:
            messages.error(request, _("The period must end after it starts."))
            return redirect("sla:reports")
        report = services.report_generate(organization_id=request.organization.pk, period_start=start,
                                          period_end=end, user=request.user)
        return redirect("sla:report", pk=report.pk)


class BreachReasonView(OrgScopedViewMixin, View):
    required_role = Role.OPERATOR

    def post(self, request, pk: int):
        breach = get_object_or_404(SLABreach.objects.visible_to(request.user).for_org(request.organization), pk=pk)
        try:
            services.breach_set_reason(breach=breach, reason=request.POST.get("reason", ""),
                                       text=request.POST.get("reason_text", ""), user=request.user)
        except BreachReasonError as exc:
            messages.error(request, str(exc))
        return _back(request, "sla:dashboard")


class PauseView(OrgScopedViewMixin, View):
    """POST from the clocks panel: pause (maintenance / third party) or resume an item's clocks."""

    required_role = Role.OPERATOR
    resume = False

    def post(self, request, kind: str, pk: int):
        from .models import SLAClock

        if not SLAClock.objects.visible_to(request.user).for_org(request.organization).filter(
                subject_kind=kind, subject_id=pk).exists():
            from django.http import Http404

            raise Http404
        fn = services.item_resume if self.resume else services.item_pause
        try:
            fn(organization_id=request.organization.pk, subject_kind=kind, subject_id=pk,
               reason=request.POST.get("reason", ""), user=request.user)
            messages.success(request, _("Clock resumed.") if self.resume else _("Clock paused."))
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        return _back(request, "sla:dashboard")

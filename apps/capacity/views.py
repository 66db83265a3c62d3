"""Portal pages: the dashboard (most urgent first), a resource with its forecast chart, reports."""
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import charts, exports, reports, services
from .choices import ReportType
from .models import CapacityMetric, CapacityReport, CapacityThreshold


class CapacityIndexView(OrgScopedViewMixin, TemplateView):
    template_name = "capacity/index.html"

    def get_context_data(self, **kwargs):
        org, user = self.request.organization, self.request.user
        rows = list(CapacityMetric.objects.visible_to(user, org)[:500])
        thresholds = list(CapacityThreshold.objects.visible_to(user, org).filter(enabled=True))
        for row in rows:
            warning, critical = reports._levels(thresholds, row)
            row.section, row.eta_shown, row.level = reports.classify(row, warning, critical)
            row.spark = mark_safe(charts.sparkline(row.history))  # noqa: S308 - built from floats only
        return super().get_context_data(
            resources=rows, reports=CapacityReport.objects.visible_to(user, org)[:10],
            can_report=self.has_role(Role.OPERATOR), **kwargs)


class ResourceDetailView(OrgScopedViewMixin, DetailView):
    model = CapacityMetric
    template_name = "capacity/resource.html"
    context_object_name = "resource"

    def get_context_data(self, **kwargs):
        metric = self.object
        visible = CapacityThreshold.objects.visible_to(self.request.user, self.request.organization)
        enabled = visible.filter(enabled=True)
        thresholds = [t for t in enabled if services.threshold_matches(t, metric)]
        warning, critical = reports._levels(thresholds, metric)
        return super().get_context_data(
            chart_svg=mark_safe(charts.forecast_chart(metric, level=critical)),  # noqa: S308 - escaped SVG
            thresholds=thresholds, warning=warning, critical=critical,
            etas=[(level, (metric.eta or {}).get(level)) for level in ("80", "90", "100")], **kwargs)


class ReportDetailView(OrgScopedViewMixin, DetailView):
    model = CapacityReport
    template_name = "capacity/report.html"
    context_object_name = "report"

    def get_context_data(self, **kwargs):
        sized = self.object.report_data.get("rightsizing") or {}
        rows = [{**r, "cpu": [exports.cores(r[k]) for k in ("cpu_request", "cpu_p95", "cpu_recommended")],
                 "memory": [exports.mebibytes(r[k]) for k in ("memory_request", "memory_max", "memory_recommended")]}
                for r in sized.get("rows", [])]
        return super().get_context_data(title=exports.report_title(self.object), rightsizing=sized,
                                        rightsizing_rows=rows, **kwargs)


class ReportDownloadView(ReportDetailView):
    def render_to_response(self, context, **kwargs):
        report = self.object
        if self.kwargs["fmt"] not in ("csv", "md"):
            raise Http404(_("Download as .csv or .md"))
        if self.kwargs["fmt"] == "csv":
            body, kind = exports.report_csv(report), "text/csv"
        else:
            body, kind = exports.report_markdown(report), "text/markdown"
        response = HttpResponse(body, content_type=f"{kind}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="capacity-report-{report.pk}.{self.kwargs["fmt"]}"'
        return response


class ReportCreateView(OrgScopedViewMixin, View):
    required_role = Role.OPERATOR

    def post(self, request):
        report = reports.request_report(organization=request.organization, user=request.user,
                                        report_type=ReportType.ON_DEMAND, email=bool(request.POST.get("email")))
        messages.success(request, _("Report generated."))
        return redirect("capacity:report", pk=report.pk)

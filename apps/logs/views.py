"""Portal pages: ad-hoc log search, log sources (with Test connection), fetch-again and download."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import selectors, services
from .forms import SearchForm
from .models import AlertLogContext, LogSource
from .providers import ProviderError


class LogSearchView(OrgScopedViewMixin, View):
    """Ad-hoc search: one source, a query in its language, the last N minutes, mined into patterns."""

    def get(self, request):
        sources = selectors.visible_sources(user=request.user, organization=request.organization).filter(enabled=True)
        initial = {}
        if "query" not in request.GET and str(request.GET.get("alert", "")).isdigit():
            alert = selectors.visible_alerts(user=request.user, organization=request.organization).filter(
                pk=int(request.GET["alert"])).first()
            ctx = alert and AlertLogContext.objects.filter(alert=alert, source__in=sources).first()
            if ctx:
                initial = {"source": ctx.source_id, "query": ctx.query_used}
        form = SearchForm(request.GET if "query" in request.GET else None, sources=sources, initial=initial)
        result = None
        if form.is_bound and form.is_valid():
            result = services.adhoc_query(source=form.cleaned_data["source"], text=form.cleaned_data["query"],
                                          minutes=form.cleaned_data["minutes"], limit=form.cleaned_data["limit"])
        return render(request, "logs/search.html", {"form": form, "result": result})


class SourceListView(OrgScopedViewMixin, ListView):
    model = LogSource
    template_name = "logs/sources.html"
    context_object_name = "sources"


class SourceTestView(OrgScopedViewMixin, View):
    required_role = Role.ADMIN

    def post(self, request, pk):
        source = get_object_or_404(selectors.visible_sources(user=request.user, organization=request.organization),
                                   pk=pk)
        ok, message = services.source_test(source=source)
        (messages.success if ok else messages.error)(request, _("%(name)s: %(message)s") % {
            "name": source.name, "message": message})
        return redirect("logs:sources")


class FetchView(OrgScopedViewMixin, View):
    required_role = Role.OPERATOR

    def post(self, request, alert_id):
        alert = get_object_or_404(selectors.visible_alerts(user=request.user, organization=request.organization),
                                  pk=alert_id)
        services.contexts_fetch(alerts=[alert], force=True)
        return redirect("alerts:detail", alert.pk)


class DownloadView(OrgScopedViewMixin, View):
    def get(self, request, pk):
        context = get_object_or_404(AlertLogContext.objects.select_related("source", "alert", "query"), pk=pk)
        if not selectors.alert_contexts(alert=context.alert, user=request.user,
                                        organization=request.organization).filter(pk=pk).exists():
            raise Http404
        try:
            lines = services.context_lines(context=context)
        except ProviderError as exc:
            return HttpResponse(_("logs unavailable: %(reason)s") % {"reason": exc}, status=502,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="alert-{context.alert_id}-logs.txt"'
        return response

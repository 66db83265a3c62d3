"""Portal pages: ad-hoc log search, log sources (with Test connection), fetch-again and download."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, ListView, UpdateView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import selectors, services
from .forms import LogQueryForm, LogSourceForm, SearchForm
from .models import AlertLogContext, LogQuery, LogSource
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

    def get_context_data(self, **kwargs):
        queries = LogQuery.objects.visible_to(self.request.user, self.request.organization).select_related(
            "source", "team")
        return super().get_context_data(queries=queries, can_edit_sources=self.has_role(Role.ADMIN),
                                        can_edit_queries=self.has_role(Role.OPERATOR), **kwargs)


class SourceFormView(OrgScopedViewMixin, View):
    """Create (pk=None) or edit a log source (admins: it holds credentials); writes go through services."""

    model = LogSource
    required_role = Role.ADMIN

    def _source(self, pk):
        if pk is None:
            return None
        return get_object_or_404(selectors.visible_sources(user=self.request.user,
                                                           organization=self.request.organization), pk=pk)

    def _render(self, form, source):
        return render(self.request, "logs/source_form.html", {"form": form, "object": source},
                      status=400 if form.is_bound else 200)

    def get(self, request, pk=None):
        source = self._source(pk)
        return self._render(LogSourceForm(organization=request.organization, instance=source), source)

    def post(self, request, pk=None):
        source = self._source(pk)
        form = LogSourceForm(request.POST, organization=request.organization, instance=source)
        if not form.is_valid():
            return self._render(form, source)
        data = dict(form.cleaned_data)
        try:
            if source is None:
                source = services.source_create(organization=request.organization, created_by=request.user, **data)
            else:
                services.source_update(source=source, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self._render(form, self._source(pk))
        messages.success(request, _("Log source %(name)s saved.") % {"name": source.name})
        return redirect("logs:sources")


class _QueryFormMixin(OrgScopedViewMixin):
    """Create or edit a query template (operators); it must render against a sample alert."""

    model = LogQuery
    form_class = LogQueryForm
    template_name = "logs/query_form.html"
    required_role = Role.OPERATOR

    def get_form_kwargs(self):
        sources = selectors.visible_sources(user=self.request.user, organization=self.request.organization)
        return {**super().get_form_kwargs(), "organization": self.request.organization, "sources": sources}

    def form_valid(self, form):
        try:
            self.object = services.query_save(query=form.instance, organization=self.request.organization,
                                              created_by=self.request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Query template %(name)s saved.") % {"name": self.object.name})
        return redirect("logs:sources")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class QueryCreateView(_QueryFormMixin, CreateView):
    pass


class QueryUpdateView(_QueryFormMixin, UpdateView):
    pass


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
